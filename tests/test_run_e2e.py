"""`checkout-harness run` end to end: real gateway, real Locust, real browser, real reports."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reports.build import build_reports
from tests.process_support import processes_of_run
from tests.rundir_factory import make_run_dir

SHORT = """
name = "e2e"
seed = 5
max_duration = "3m"
gates = [
  "integrity == true",
  "error_rate <= 0.05",
  'p99_ms["POST /v1/payment_intents/{id}/confirm"] <= 5000',
  GATE_CONVERSION,
]

[load]
model = "open"
shape = "soak"
duration = "DURATION"
drain = "3s"

[load.soak]
rate = 6

[load.mix]
card_success = 0.8
card_decline = 0.1
card_3ds = 0.1
refund_share = 0.1

[journeys]
variants = ["baseline", "inline-best"]
personas = ["desktop-typical"]
count = COUNT
concurrency = 2
currency = "usd"
"""


def _scenario(tmp_path: Path, *, duration: str = "8s", count: int = 1, conversion_gate: str = '\'conversion["inline-best"] >= 0\'') -> Path:
    path = tmp_path / "e2e.toml"
    path.write_text(SHORT.replace("DURATION", duration).replace("COUNT", str(count)).replace("GATE_CONVERSION", conversion_gate))
    return path


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300, **kw)



@pytest.mark.slow
@pytest.mark.browser
def test_short_run_artefacts_are_complete_and_consistent(tmp_path: Path):
    out = tmp_path / "run"
    done = _run(["run", str(_scenario(tmp_path)), "--out", str(out), "--quiet"])
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("run.json", "summary.json", "summary.md", "junit.xml", "report.html", "journeys.jsonl",
                 "reconciliation.json", "load/summary.json", "load/timeseries.jsonl", "load/acks.jsonl",
                 "ledger/payment_intents.jsonl", "ledger/events.jsonl"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    run = json.loads((out / "run.json").read_text())
    assert run["complete"] is True and summary["run"]["complete"] is True and summary["passed"] is True
    # load figures agree with the load's own summary, journeys with journeys.jsonl
    load = json.loads((out / "load" / "summary.json").read_text())
    assert summary["load"]["requests"] == load["requests"] > 0
    journeys = [json.loads(line) for line in (out / "journeys.jsonl").read_text().splitlines()]
    assert len(journeys) == summary["journeys"]["total"] == 2
    assert {j["variant"] for j in journeys} == {"baseline", "inline-best"}
    paid = [j for j in journeys if j["outcome"] == "success"]
    ledger = {json.loads(line)["id"]: json.loads(line) for line in (out / "ledger" / "payment_intents.jsonl").read_text().splitlines()}
    for j in paid:
        assert ledger[j["payment_intent"]]["status"] == "succeeded"
    # integrity checked every acknowledged payment of the load and the journeys
    acks = [json.loads(line) for line in (out / "load" / "acks.jsonl").read_text().splitlines()]
    assert summary["integrity"]["ok"] is True and summary["integrity"]["acknowledged"] >= len(paid) + 1
    assert len(acks) > 0
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) == 1 + len(summary["gates"]) and int(suite.get("failures")) == 0
    assert not processes_of_run(out)


@pytest.mark.slow
@pytest.mark.browser
def test_failing_gate_exit_1_and_failed_junit_case(tmp_path: Path):
    out = tmp_path / "run"
    scenario = _scenario(tmp_path, duration="4s", conversion_gate='\'conversion["inline-best"] >= 1.01\'')
    done = _run(["run", str(scenario), "--out", str(out), "--quiet"])
    assert done.returncode == 1, done.stdout + done.stderr
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == ['conversion["inline-best"] >= 1.01']
    assert "FAILED" in (out / "summary.md").read_text()


@pytest.mark.slow
@pytest.mark.browser
def test_sigint_mid_run_keeps_results_marks_incomplete_and_leaves_no_process(tmp_path: Path):
    out = tmp_path / "run"
    scenario = _scenario(tmp_path, duration="60s", count=20)
    proc = subprocess.Popen([sys.executable, "-m", "harness", "run", str(scenario), "--out", str(out), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        # wait until load has measured something, then interrupt as a person at the terminal would
        while time.monotonic() < deadline:
            progress = out / "load" / "progress.json"
            if progress.exists() and json.loads(progress.read_text() or "{}").get("requests", 0) > 20:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the run never got going")
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, output  # interrupted by SIGINT (harness/exit_codes.py), reports written first
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["complete"] is False and "SIGINT" in summary["run"]["incomplete_reason"]
    error = ET.parse(out / "junit.xml").getroot().find("testsuite/testcase/error")
    assert error is not None and error.get("type") == "Interrupted"
    assert summary["passed"] is False
    assert summary["load"]["requests"] > 20  # what was measured before the interrupt is kept
    assert (out / "report.html").exists() and "Incomplete run" in (out / "report.html").read_text()
    assert (out / "reconciliation.json").exists()
    time.sleep(1)
    assert not processes_of_run(out), [p.cmdline() for p in processes_of_run(out)]


@pytest.mark.browser
def test_report_renders_its_charts_in_chromium(tmp_path: Path, artifacts_dir: Path, browser):
    run = make_run_dir(tmp_path)
    build_reports(run)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto((run / "report.html").as_uri())
        charts = page.locator(".chart svg")
        assert charts.count() >= 6
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 200 and box["height"] > 80
        assert page.get_by_role("heading", name="Checkout designs compared").is_visible()
        page.screenshot(path=str(artifacts_dir / "report.png"), full_page=True)
    finally:
        page.close()
