"""Bring your own load: a scenario's own Locust user classes run with the harness's shapes and
models, HDR per endpoint, reports and gates; Locust's CSV and HTML on request; bad input named.

Locust runs in its own process (through `checkout-harness run` or `start_load`), never here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from shop_support import ROOT, ShopProcess, free_port

from harness.load import start_load
from scenarios.errors import ScenarioError
from scenarios.load import parse_load
from scenarios.scenario import load_scenario

SHOP_LOCUSTFILE = ROOT / "examples" / "shop" / "locustfile.py"
BASE = {"model": "open", "shape": "soak", "duration": "4s", "soak": {"rate": 2}}


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- validation: file and key named, nothing imported -------------------------------------------------

@pytest.mark.parametrize("extra,key", [
    ({"locustfile": "nope.py", "user_classes": ["A"]}, "load.locustfile"),
    ({"locustfile": "users.py", "user_classes": ["Missing"]}, "load.user_classes"),
    ({"locustfile": "users.py", "user_classes": []}, "load.user_classes"),
    ({"locustfile": "users.py", "user_classes": ["Buyer", "Buyer"]}, "load.user_classes"),
    ({"locustfile": "users.txt", "user_classes": ["Buyer"]}, "load.locustfile"),
    ({"user_classes": ["Buyer"]}, "load.locustfile"),
    ({"host": "http://127.0.0.1:8000"}, "load.host"),
    ({"locustfile": "users.py", "user_classes": ["Buyer"], "host": "localhost:8000"}, "load.host"),
    ({"locustfile": "users.py", "user_classes": ["Buyer"], "mix": {"card_success": 1.0}}, "load.mix"),
    ({"locustfile": "users.py", "user_classes": ["Buyer"], "amount": 500}, "load.amount"),
    ({"locust": {"web_ui": "8089"}}, "load.locust.web_ui"),
    ({"locust": {"csv": "yes"}}, "load.locust.csv"),
    ({"locust": {"pdf": True}}, "load.locust.pdf"),
    ({"locustfile": "broken.py", "user_classes": ["Buyer"]}, "load.locustfile"),
])
def test_bad_user_classes_name_file_and_key(tmp_path: Path, extra: dict, key: str) -> None:
    _write(tmp_path / "users.py", "from locust import HttpUser, task\nclass Buyer(HttpUser):\n    @task\n    def t(self): pass\n")
    _write(tmp_path / "broken.py", "class Buyer(:\n")
    scenario = str(tmp_path / "scenario.toml")
    with pytest.raises(ScenarioError) as err:
        parse_load({**BASE, **extra}, scenario)
    assert err.value.key == key
    assert err.value.file == scenario


def test_user_classes_resolved_relative_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "locust").mkdir()
    _write(tmp_path / "locust" / "users.py", "from locust import HttpUser\nfrom other import Imported\nclass Buyer(HttpUser): pass\n")
    config = parse_load({**BASE, "locustfile": "locust/users.py", "user_classes": ["Buyer", "Imported"],
                         "host": "http://127.0.0.1:9/", "locust": {"web_ui": True, "html": True}}, str(tmp_path / "s.toml"))
    assert config.user_classes is not None
    assert config.user_classes.locustfile == str((tmp_path / "locust" / "users.py").resolve())
    assert config.user_classes.names == ("Buyer", "Imported") and config.user_classes.host == "http://127.0.0.1:9"
    assert config.locust.web_ui == "127.0.0.1:8089" and config.locust.html and not config.locust.csv


def test_shipped_example_shop_scenario_is_valid() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "example-shop.toml")
    assert scenario.load.user_classes.names == ("CardFormBuyer", "WindowShopper")
    assert Path(scenario.load.user_classes.locustfile) == SHOP_LOCUSTFILE.resolve()


# -- runs ---------------------------------------------------------------------------------------------

def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "load" / "summary.json").read_text())


@pytest.mark.slow
def test_run_with_the_users_locustfile_on_the_example_shop(gateway, tmp_path: Path) -> None:
    with ShopProcess(gateway.url, tmp_path / "shop.jsonl", stripe_js=f"{gateway.url}/v3/") as shop:
        scenario = _write(tmp_path / "shop-load.toml", f"""
            name = "shop-load"
            target = "{gateway.url}"
            max_duration = "60s"
            gates = ["error_rate <= 0.05", 'p99_ms["POST /pay"] <= 10000']
            [load]
            locustfile = "{os.path.relpath(SHOP_LOCUSTFILE, tmp_path)}"
            user_classes = ["CardFormBuyer", "WindowShopper"]
            host = "{shop.url}"
            model = "open"
            shape = "soak"
            duration = "4s"
            drain = "5s"
            max_in_flight = 20
            [load.soak]
            rate = 5
            [load.locust]
            html = true
        """)
        out = tmp_path / "run"
        done = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(scenario), "--out", str(out), "--quiet",
                               "--locust-csv"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    summary = _summary(out)
    assert summary["user_classes"] == ["CardFormBuyer", "WindowShopper"]
    assert summary["started"] == 20 and summary["not_started"] == 0  # 5 arrivals/s for 4 s, one task each
    assert summary["endpoints"]["POST /pay"]["count"] >= 1 and summary["endpoints"]["GET /"]["count"] >= 1
    per_second = [json.loads(line) for line in (out / "load" / "timeseries.jsonl").read_text().splitlines()]
    assert any(row["endpoint"] == "POST /pay" and row["hdr"] for row in per_second)  # HDR per endpoint and second
    for name in ("locust_stats.csv", "locust_stats_history.csv", "locust_report.html"):
        assert (out / "load" / name).stat().st_size > 0, name
    assert "POST" in (out / "load" / "locust_stats.csv").read_text()
    assert (out / "report.html").exists() and json.loads((out / "summary.json").read_text())["passed"] is True
    paid = httpx.get(f"{gateway.url}/v1/payment_intents", params={"limit": 100}, auth=("sk_test_x", "")).json()["data"]
    assert any((pi["description"] or "").startswith("Hoshino Coffee order") and pi["status"] == "succeeded" for pi in paid)


@pytest.mark.slow
def test_closed_model_user_classes_think_time_and_task_errors(gateway, tmp_path: Path) -> None:
    locustfile = _write(tmp_path / "api_users.py", """
        from locust import FastHttpUser, constant, task

        class Merchant(FastHttpUser):
            wait_time = constant(30)  # replaced by the scenario's think_time
            @task
            def customers(self):
                self.client.get("/v1/customers?limit=1", headers={"Authorization": "Bearer sk_test_mine"},
                                name="/v1/customers")

        class Broken(FastHttpUser):
            wait_time = constant(0.2)
            @task
            def fails(self):
                raise RuntimeError("my bug")
    """)
    config = parse_load({"model": "closed", "shape": "soak", "duration": "3s", "drain": "1s", "think_time": "0.1s",
                         "soak": {"users": 2}, "locustfile": locustfile.name, "user_classes": ["Merchant", "Broken"],
                         "host": gateway.url},  # the classes' host, not the run's target below
                        str(tmp_path / "s.toml"))
    port = free_port()
    run = start_load(config, "http://127.0.0.1:9", tmp_path / "load", seed=3, web_ui=f"127.0.0.1:{port}")
    seen: dict = {}
    try:
        while run.wait(0.3) is None and "/v1/customers" not in seen:  # Locust's web UI while the load runs (Broken's error may come first)
            try:
                stats = httpx.get(f"http://127.0.0.1:{port}/stats/requests", timeout=2).json()
            except (httpx.HTTPError, ValueError):
                continue
            seen = {row["name"]: row["num_requests"] for row in stats["stats"] if row["num_requests"]}
        assert run.wait(60) == 0, (tmp_path / "load" / "locust.log").read_text()[-3000:]
    finally:
        run.stop()
    assert "/v1/customers" in seen, seen
    summary = json.loads((tmp_path / "load" / "summary.json").read_text())
    customers = summary["endpoints"]["GET /v1/customers"]
    assert customers["count"] >= 5 and customers["errors"] == 0  # think time 0.1 s, not the class's 30 s
    assert summary["endpoints"]["TASK Broken"]["errors"] >= 1
    assert summary["failures"] >= 1 and summary["started"] >= customers["count"]


@pytest.mark.slow
def test_locustfile_that_fails_to_import_is_bad_input(tmp_path: Path) -> None:
    _write(tmp_path / "users.py", "from locust import HttpUser\nraise ImportError('no module named mything')\nclass Buyer(HttpUser): pass\n")
    config = parse_load({**BASE, "locustfile": "users.py", "user_classes": ["Buyer"]}, str(tmp_path / "s.toml"))
    run = start_load(config, "http://127.0.0.1:9", tmp_path / "load")
    try:
        assert run.wait(60) == 2
    finally:
        run.stop()
    summary = json.loads((tmp_path / "load" / "summary.json").read_text())
    assert summary["incomplete"] and "mything" in summary["incomplete_reason"]


@pytest.mark.slow
def test_faults_reach_the_users_own_classes(tmp_path: Path) -> None:
    """Embedded gateway, the user's classes aimed at it (no host: the run's target), a fault timeline."""
    _write(tmp_path / "api_users.py", """
        from locust import FastHttpUser, task

        class Checkout(FastHttpUser):
            @task
            def pay(self):
                self.client.post("/v1/payment_intents", data={"amount": "1200", "currency": "jpy"},
                                 headers={"Authorization": "Bearer sk_test_mine"}, name="/v1/payment_intents")
    """)
    scenario = _write(tmp_path / "faulted.toml", """
        name = "faulted"
        max_duration = "60s"
        [load]
        locustfile = "api_users.py"
        user_classes = ["Checkout"]
        model = "open"
        shape = "soak"
        duration = "4s"
        drain = "2s"
        [load.soak]
        rate = 10
        [[faults.timeline]]
        at = "2s"
        rules = [{error = "http_503", share = 1.0}]
    """)
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(scenario), "--out", str(out), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    summary = _summary(out)
    endpoint = summary["endpoints"]["POST /v1/payment_intents"]
    assert endpoint["count"] == 40 and 0 < endpoint["errors"] < 40  # served before the fault, 503 after
    assert summary["errors_by_kind"].get("http_503") == endpoint["errors"]
    changes = [json.loads(line) for line in (out / "load" / "faults.jsonl").read_text().splitlines()]
    assert changes and all(c["applied"] for c in changes)
