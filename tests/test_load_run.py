"""Real load runs on loopback: Locust in its own processes against a real gateway.

Each run is short (10 s at most) and bounded in requests; every Locust process is gone when a
test ends. Times are never asserted as performance figures: only that the harness measures what
was offered and injected.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.load import LoadRun, start_load
from harness.servers import GatewayProcess
from harness.stripe_api import StripeApi
from scenarios.faults import parse_faults
from scenarios.load import parse_load

pytestmark = pytest.mark.slow
TOKEN = "load-test-admin-token"
CARDS_ONLY = {"card_success": 1.0, "refund_share": 0, "retrieve_share": 0, "list_share": 0}


def _config(duration: str, rate: float, **extra):
    table = {"model": "open", "shape": "soak", "duration": duration, "soak": {"rate": rate}, "mix": dict(CARDS_ONLY), **extra}
    return parse_load(table, "test.toml")


def _group_gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _finish(run: LoadRun, budget_s: float) -> int:
    try:
        code = run.wait(budget_s)
    finally:
        run.stop(grace=5)
    assert _group_gone(run.pid), "a Locust process outlived the run"
    return code


def _read(out: Path) -> tuple[dict, list[dict], list[dict]]:
    summary = json.loads((out / "summary.json").read_text())
    lines = [json.loads(x) for x in (out / "timeseries.jsonl").read_text().splitlines()]
    acks = [json.loads(x) for x in (out / "acks.jsonl").read_text().splitlines()]
    return summary, lines, acks


def _intents(url: str) -> int:
    api = StripeApi(url)
    try:
        return sum(1 for _ in api.list_all("/v1/payment_intents"))
    finally:
        api.close()


@pytest.fixture(scope="module")
def open_run(tmp_path_factory):
    """A 10-second open-model run at 20 orders/s (two requests each) against a fresh gateway."""
    tmp = tmp_path_factory.mktemp("open-run")
    with GatewayProcess(tmp / "gw.sqlite3") as gw:
        run = start_load(_config("10s", 20), gw.url, tmp / "load", seed=3)
        code = _finish(run, 60)
        ledger = _intents(gw.url)
    return code, ledger, *_read(tmp / "load")


def test_open_model_achieves_the_offered_rate_and_records_every_request(open_run):
    code, ledger, summary, lines, acks = open_run
    assert code == 0 and summary["incomplete"] is False and summary["model"] == "open"
    assert summary["offered"] == 200 and summary["offered_rate"] == 20.0
    assert abs(summary["achieved_rate"] - summary["offered_rate"]) <= 0.05 * summary["offered_rate"]
    assert summary["not_started"] == 0 and summary["failures"] == 0, summary["errors_by_kind"]
    started = summary["started"]
    endpoints = summary["endpoints"]
    assert endpoints["POST /v1/payment_intents"]["count"] == started == ledger
    assert endpoints["POST /v1/payment_intents/{id}/confirm"]["count"] == started
    assert summary["requests"] == 2 * started
    assert len(acks) == 2 * started and all(a["http_status"] == 200 and a["attempts"] == 1 for a in acks)
    assert {a["status"] for a in acks if a["op"] == "confirm"} == {"succeeded"}
    per_second = [line for line in lines if line["endpoint"] == "ALL"]
    assert sum(line["count"] for line in per_second) == summary["requests"]
    assert [line["offered"] for line in per_second if line["t"] < 10] == [20] * 10
    assert all(line["p50_ms"] is not None for line in per_second if line["count"])


def test_injected_fixed_latency_is_measured(open_run, tmp_path):
    baseline = open_run[2]["endpoints"]
    with GatewayProcess(tmp_path / "gw.sqlite3", extra_args=["--faults", "fixed-200ms"]) as gw:
        run = start_load(_config("4s", 10), gw.url, tmp_path / "load", seed=4)
        assert _finish(run, 60) == 0
    summary, _lines, _acks = _read(tmp_path / "load")
    for endpoint in ("POST /v1/payment_intents", "POST /v1/payment_intents/{id}/confirm"):
        expected = 200.0 + baseline[endpoint]["p50_ms"]
        assert abs(summary["endpoints"][endpoint]["p50_ms"] - expected) <= 0.10 * expected, (endpoint, expected)
        assert summary["injected_delay_ms"][endpoint]["p50_ms"] == pytest.approx(200.0, rel=0.005)


def test_outage_errors_are_counted_and_the_open_model_keeps_offering(tmp_path):
    plan = parse_faults({"timeline": [{"at": "2s", "rules": [{"error": "http_503", "retry_after": "0s"}]},
                                      {"at": "4s", "clear": True}]}, str(tmp_path / "scenario.toml"))
    config = _config("6s", 10, client={"max_retries": 0})
    with GatewayProcess(tmp_path / "gw.sqlite3", extra_args=["--admin-token", TOKEN]) as gw:
        run = start_load(config, gw.url, tmp_path / "load", seed=5, faults=plan, admin_token=TOKEN)
        assert _finish(run, 60) == 0
    summary, lines, acks = _read(tmp_path / "load")
    per_second = {line["t"]: line for line in lines if line["endpoint"] == "ALL"}
    assert summary["offered"] == summary["started"] == 60
    assert summary["errors_by_kind"]["http_503"] == summary["failures"] > 0
    assert [per_second[t]["offered"] for t in range(6)] == [10] * 6  # offered on, down or not
    assert per_second[2]["errors"] > 0 and per_second[3]["errors"] > 0
    assert per_second[0]["errors"] == 0 and per_second[5]["errors"] == 0
    assert any(a["http_status"] == 503 for a in acks)
    changes = [json.loads(x) for x in (tmp_path / "load" / "faults.jsonl").read_text().splitlines()]
    assert [(c["at_s"], c["applied"]) for c in changes] == [(2.0, True), (4.0, True)]


def test_closed_model_follows_the_user_count(tmp_path):
    config = parse_load({"model": "closed", "shape": "ramp", "duration": "3s", "ramp": {"start_users": 1, "end_users": 3, "over": "1s"},
                         "think_time": "50ms", "mix": dict(CARDS_ONLY)}, "test.toml")
    with GatewayProcess(tmp_path / "gw.sqlite3") as gw:
        run = start_load(config, gw.url, tmp_path / "load", seed=6)
        assert _finish(run, 60) == 0
        ledger = _intents(gw.url)
    summary, lines, acks = _read(tmp_path / "load")
    assert summary["model"] == "closed" and summary["offered_rate"] is None and summary["users_max"] == 3
    assert summary["endpoints"]["POST /v1/payment_intents"]["count"] == sum(a["op"] == "create_intent" for a in acks) == ledger
    assert summary["started"] >= ledger  # an order started as the run ended may not have reached the gateway
    assert any(line.get("users") == 3 for line in lines if line["endpoint"] == "ALL")


def test_master_and_two_workers_merge_to_the_sum_of_the_parts(tmp_path):
    from harness.load.launch import free_port

    port = free_port("127.0.0.1")
    config = _config("4s", 20, distributed={"bind": f"127.0.0.1:{port}", "remote_workers": 1, "wait_workers": "60s"})
    with GatewayProcess(tmp_path / "gw.sqlite3") as gw:
        run = start_load(config, gw.url, tmp_path / "load", workers=1, seed=7)  # one local worker, one "remote"
        cli = str(Path(sys.executable).with_name("checkout-harness"))  # the console script, as a user runs it
        remote = subprocess.Popen([cli, "worker", "--master", f"127.0.0.1:{port}"],
                                  start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            code = _finish(run, 90)
            remote_code = remote.wait(30)
        finally:
            if remote.poll() is None:
                os.killpg(remote.pid, signal.SIGKILL)
                remote.wait()
        ledger = _intents(gw.url)
    assert code == 0 and remote_code == 0 and _group_gone(remote.pid)
    summary, lines, _acks = _read(tmp_path / "load")
    workers = summary["workers"]
    assert sorted(workers) == ["w0", "w1"] and all(w["final"] and w["requests"] > 0 for w in workers.values())
    assert summary["requests"] == sum(w["requests"] for w in workers.values())
    assert summary["started"] == sum(w["started"] for w in workers.values()) == 80 == ledger
    assert [w["started"] for w in workers.values()] == [40, 40]  # each takes every other arrival
    for endpoint, numbers in summary["endpoints"].items():
        assert numbers["count"] == sum(w["endpoints"].get(endpoint, 0) for w in workers.values())
    assert sum(line["count"] for line in lines if line["endpoint"] == "ALL") == summary["requests"]


def test_stop_keeps_what_was_measured(tmp_path):
    with GatewayProcess(tmp_path / "gw.sqlite3") as gw:
        run = start_load(_config("60s", 5), gw.url, tmp_path / "load", seed=8)
        deadline = time.time() + 60
        while run.poll().get("elapsed_s", 0) < 2.5 and time.time() < deadline:
            time.sleep(0.2)
        assert run.poll()["phase"] == "running"
        code = run.stop(grace=15)
    assert code == 130 and _group_gone(run.pid)
    summary, lines, _acks = _read(tmp_path / "load")
    assert summary["incomplete"] is True and "interrupted" in summary["incomplete_reason"]
    assert summary["requests"] > 0 and sum(line["count"] for line in lines if line["endpoint"] == "ALL") == summary["requests"]


@pytest.mark.parametrize("after_s", [0.0, 0.3])
def test_stop_while_starting_leaves_an_incomplete_summary(tmp_path, after_s):
    run = start_load(_config("60s", 5), "http://127.0.0.1:9", tmp_path / "load", seed=9)
    time.sleep(after_s)  # Python is still starting (0 s: before any of its code ran), or importing Locust
    code = run.stop(grace=15)
    assert code == 130 and _group_gone(run.pid)
    summary = json.loads((tmp_path / "load" / "summary.json").read_text())
    assert summary["incomplete"] is True and summary["requests"] == 0 and summary["incomplete_reason"]


def test_bad_spec_exits_2_naming_the_key(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"load": {"shape": "soak", "duration": "5s"}, "file": "s.toml", "target": "http://127.0.0.1:9",
                                "out_dir": str(tmp_path)}))
    done = subprocess.run([sys.executable, "-m", "harness.load.process_main", str(spec)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "s.toml: load.soak" in done.stderr
