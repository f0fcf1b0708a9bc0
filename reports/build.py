"""Build every report of a run directory: summary.json, summary.md, junit.xml, report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .html import report_html
from .junit import junit_xml
from .markdown import summary_markdown
from .rundir import replace_atomically
from .summary import build_summary


def _write(path: Path, text: str) -> None:
    replace_atomically(path, text)


def build_reports(run_dir: Path, baseline_dir: Path | None = None) -> dict[str, Any]:
    """Rebuildable at any time from the files alone; returns the summary."""
    summary = build_summary(run_dir, baseline_dir)
    _write(run_dir / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n")
    _write(run_dir / "summary.md", summary_markdown(summary))
    _write(run_dir / "junit.xml", junit_xml(summary))
    _write(run_dir / "report.html", report_html(run_dir, summary))
    return summary
