"""junit.xml: one test case per gate (and per regression check), so CI shows what failed."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET


def junit_xml(summary: dict[str, Any]) -> str:
    cases: list[tuple[str, str, bool, str]] = []
    run = summary["run"]
    cases.append(("run", "run completed", bool(run["complete"]),
                  "complete" if run["complete"] else f"incomplete: {run.get('incomplete_reason')}"))
    for gate in summary.get("gates") or []:
        cases.append(("gates", gate["name"], gate["passed"], gate["message"]))
    for check in (summary.get("regression") or {}).get("checks", []):
        cases.append(("regression", check["name"], check["passed"], check["message"]))
    suite = ET.Element(
        "testsuite",
        name=f"checkout-harness {run.get('name') or ''}".strip(),
        tests=str(len(cases)),
        failures=str(sum(1 for c in cases if not c[2])),
        errors="0",
        time=f"{run.get('duration_s') or 0:.3f}",
    )
    for classname, name, passed, message in cases:
        case = ET.SubElement(suite, "testcase", classname=f"checkout_harness.{classname}", name=name)
        if not passed:
            failure = ET.SubElement(case, "failure", message=message)
            failure.text = message
        else:
            ET.SubElement(case, "system-out").text = message
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
