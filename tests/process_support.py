"""Which processes a run left behind, for tests that check that none is."""

from __future__ import annotations

from pathlib import Path

import psutil


def processes_of_run(run_dir: Path) -> list[psutil.Process]:
    """Processes still alive that belong to this run (their command line names the run directory)."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any(str(run_dir) in part for part in (p.info["cmdline"] or [])):
                found.append(p)
        except psutil.Error:
            pass
    return found
