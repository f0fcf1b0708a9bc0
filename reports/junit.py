"""junit.xml: one test case per gate (and per regression check), so CI shows what failed.

A gate that failed is a <failure>; the lab failing (a part crashed, no browser, the target
unreachable, the ledger export failed, a fault not applied, a full disk) or a signal interrupting
the run is an <error> with a `type`, so that a pipeline tells a slower release from a broken lab.
Each test case has its `time` (the run case: the run's duration; a gate: 0, it is read from the
files), the suite its `timestamp` (when the run started, ISO 8601).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

# What a test case ends with: None (passed), ("failure", type, message) or ("error", type, message).
Outcome = tuple[str, str, str] | None


def _run_outcome(run: dict[str, Any]) -> Outcome:
    if run.get("complete"):
        return None
    failure = run.get("failure") or {}
    message = f"incomplete: {run.get('incomplete_reason')}"
    if failure.get("kind") in ("lab", "interrupted"):
        return ("error", str(failure.get("type") or "LabFailure"), message)
    return ("failure", str(failure.get("type") or "Incomplete"), message)


def junit_xml(summary: dict[str, Any]) -> str:
    run = summary["run"]
    duration = float(run.get("duration_s") or 0)
    cases: list[tuple[str, str, Outcome, str, float]] = [
        ("run", "run completed", _run_outcome(run), "complete" if run["complete"] else f"incomplete: {run.get('incomplete_reason')}",
         duration)]
    named = {str((run.get("failure") or {}).get("type"))}
    for extra in (run.get("failures") or [])[1:]:  # later lab failures of another kind (a full disk while stopping, ...)
        if extra.get("kind") == "lab" and str(extra.get("type")) not in named:
            named.add(str(extra.get("type")))
            cases.append(("lab", f"lab: {extra.get('type')}", ("error", str(extra.get("type")), str(extra.get("message"))),
                          str(extra.get("message")), 0.0))
    for gate in summary.get("gates") or []:
        outcome = None if gate["passed"] else ("failure", "GateFailed", gate["message"])
        cases.append(("gates", gate["name"], outcome, gate["message"], 0.0))
    for check in (summary.get("regression") or {}).get("checks", []):
        outcome = None if check["passed"] else ("failure", "Regression", check["message"])
        cases.append(("regression", check["name"], outcome, check["message"], 0.0))
    started = run.get("started_at")
    timestamp = (datetime.fromtimestamp(float(started), UTC).strftime("%Y-%m-%dT%H:%M:%S")
                 if isinstance(started, (int, float)) else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    suite = ET.Element(
        "testsuite",
        name=f"checkout-harness {run.get('name') or ''}".strip(),
        tests=str(len(cases)),
        failures=str(sum(1 for c in cases if c[2] and c[2][0] == "failure")),
        errors=str(sum(1 for c in cases if c[2] and c[2][0] == "error")),
        skipped="0",
        time=f"{duration:.3f}",
        timestamp=timestamp,
    )
    for classname, name, outcome, message, seconds in cases:
        case = ET.SubElement(suite, "testcase", classname=f"checkout_harness.{classname}", name=name, time=f"{seconds:.3f}")
        if outcome is not None:
            tag, kind, text = outcome
            element = ET.SubElement(case, tag, message=text, type=kind)
            element.text = text
        else:
            ET.SubElement(case, "system-out").text = message
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
