"""Reports are built from a run directory alone, and agree with each other."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from reports.build import build_reports
from tests.rundir_factory import make_run_dir

GATES = [
    {"expression": 'p99_ms["POST /v1/payment_intents/{id}/confirm"] <= 800', "metric": "p99_ms",
     "key": "POST /v1/payment_intents/{id}/confirm", "op": "<=", "threshold": 800},
    {"expression": "error_rate <= 0.01", "metric": "error_rate", "key": None, "op": "<=", "threshold": 0.01},
    {"expression": 'conversion["inline-best"] >= 0.6', "metric": "conversion", "key": "inline-best", "op": ">=", "threshold": 0.6},
    {"expression": "integrity == true", "metric": "integrity", "key": None, "op": "==", "threshold": True},
]


def test_all_artefacts_consistent(tmp_path):
    run = make_run_dir(tmp_path, gates=GATES)
    summary = build_reports(run)
    on_disk = json.loads((run / "summary.json").read_text())
    assert on_disk["schema"] == "checkout-harness/summary/1"
    assert on_disk["passed"] is True and summary["passed"] is True
    v = on_disk["journeys"]["variants"]
    assert v["baseline"]["conversions"] == 30 and v["inline-best"]["journeys"] == 50
    low, high = v["inline-best"]["conversion_ci"]
    assert low < 0.8 < high
    assert on_disk["load"]["error_rate"] == 2 / 400
    suite = ET.parse(run / "junit.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) == 1 + len(GATES) and int(suite.get("failures")) == 0
    md = (run / "summary.md").read_text()
    assert "PASSED" in md and "inline-best converts" in md
    html = (run / "report.html").read_text()
    assert html.count("<svg") >= 5
    # self-contained: nothing is loaded from the network
    for needle in ('src="http', "src='http", 'href="http', "url(http", "<link"):
        assert needle not in html
    assert "<script" not in html


def test_failing_gate_fails_junit_case(tmp_path):
    gates = [{**GATES[0], "threshold": 100}]
    run = make_run_dir(tmp_path, gates=gates, p99_confirm_ms=450)
    summary = build_reports(run)
    assert summary["passed"] is False and summary["gates"][0]["value"] == 450
    suite = ET.parse(run / "junit.xml").getroot().find("testsuite")
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == [GATES[0]["expression"]]


def test_unmeasured_gate_fails_rather_than_passing(tmp_path):
    gates = [{"expression": "webhook_p95_ms <= 50", "metric": "webhook_p95_ms", "key": None, "op": "<=", "threshold": 50}]
    summary = build_reports(make_run_dir(tmp_path, gates=gates))
    assert summary["gates"][0]["passed"] is False and "not measured" in summary["gates"][0]["message"]


def test_incomplete_run_is_marked_and_not_passed(tmp_path):
    run = make_run_dir(tmp_path, complete=False)
    summary = build_reports(run)
    assert summary["passed"] is False and summary["run"]["incomplete_reason"] == "interrupted (SIGINT)"
    assert "Incomplete run" in (run / "report.html").read_text()


def test_regression_against_baseline(tmp_path):
    base = make_run_dir(tmp_path, "base", p99_confirm_ms=100, conversions={"baseline": (45, 60)})
    build_reports(base)
    slower = make_run_dir(tmp_path, "slower", p99_confirm_ms=160, conversions={"baseline": (20, 60)})
    summary = build_reports(slower, baseline_dir=base)
    failed = {c["name"] for c in summary["regression"]["checks"] if not c["passed"]}
    assert "p95_ms[POST /v1/payment_intents/{id}/confirm] not more than 10% worse" in failed
    assert "conversion[baseline] not significantly lower" in failed
    same = make_run_dir(tmp_path, "same", p99_confirm_ms=100, conversions={"baseline": (45, 60)})
    assert build_reports(same, baseline_dir=base)["regression"]["passed"] is True


def test_compare_two_runs_side_by_side(tmp_path):
    from harness.cli import main
    from reports.compare import compare_runs

    a = make_run_dir(tmp_path, "a", p99_confirm_ms=100)
    b = make_run_dir(tmp_path, "b", p99_confirm_ms=200)
    text, passed = compare_runs(a, b)
    assert passed is False
    assert "| `POST /v1/payment_intents/{id}/confirm` |" in text and "REGRESSION" in text
    assert main(["compare", str(a), str(a)]) == 0
    assert main(["compare", str(a), str(tmp_path / "missing")]) == 2
