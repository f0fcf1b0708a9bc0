"""Journeys in worker processes: Playwright (asyncio) never shares a process with Locust (gevent).

Each worker writes one JSON line per finished journey to its own file under `journeys.d/`; the
runner merges them into `journeys.jsonl` when it stops, so an interrupted run keeps every
journey that finished.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..processes import ChildProcess, stop_together
from ..runfiles import write_json, write_jsonl
from .plan import Assignment, assign, share


class JourneyRun:
    """The journeys of one run, spread over `processes` worker processes."""

    def __init__(self, assignments: list[Assignment], target: str, run_dir: Path, *, processes: int, concurrency: int,
                 pace: str, timeout_s: float, api_key: str, currency: str, amount: int, die_with_parent: bool = False,
                 site: dict[str, Any] | None = None) -> None:
        self.run_dir = run_dir
        self.total = len(assignments)
        self.parts_dir = run_dir / "journeys.d"
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "logs").mkdir(exist_ok=True)
        self.started = time.monotonic()
        self.procs: list[ChildProcess] = []
        for k, part in enumerate(share(assignments, max(1, min(processes, len(assignments) or 1)))):
            spec = {
                "target": target, "api_key": api_key, "assignments": [a.as_dict() for a in part],
                "concurrency": concurrency, "pace": pace, "timeout_s": timeout_s, "currency": currency, "amount": amount,
                "out": str(self.parts_dir / f"worker-{k}.jsonl"), "traces": str(run_dir / "traces"),
                "site": site,  # scenarios.sites.SitePlan.as_dict(): a user's own checkout; None: the reference one
            }
            spec_path = self.parts_dir / f"worker-{k}.spec.json"
            write_json(spec_path, spec)
            with open(run_dir / "logs" / f"journeys-{k}.log", "a", encoding="utf-8") as log:
                # die_with_parent: e.g. a Locust worker killed with its share of journeys under way
                self.procs.append(ChildProcess([sys.executable, "-m", "harness.journeys.browser_worker", str(spec_path)],
                                               stdout=log, stderr=subprocess.STDOUT, die_with_parent=die_with_parent))
        self._merged = False

    def done_count(self) -> int:
        n = 0
        for path in self.parts_dir.glob("worker-*.jsonl"):
            with open(path, "rb") as f:
                n += sum(1 for line in f if line.endswith(b"\n"))
        return n

    def poll(self) -> dict[str, Any]:
        done = self.done_count()
        return {"journeys": f"{done}/{self.total}", "elapsed_s": time.monotonic() - self.started}

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            codes = [p.poll() for p in self.procs]
            if all(c is not None for c in codes):
                self._merge()
                return max((abs(c) for c in codes if c is not None), default=0)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM each worker (it finishes writing and closes its browser), then SIGKILL to its
        group (the browser processes the worker started)."""
        stop_together(self.procs, grace=10)
        self._merge()

    def _merge(self) -> None:
        """journeys.jsonl = every complete line of every worker file, in journey order."""
        if self._merged:
            return
        rows = []
        for path in sorted(self.parts_dir.glob("worker-*.jsonl")):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.endswith("\n") and line.strip():
                        try:
                            rows.append(json.loads(line))
                        except json.JSONDecodeError:
                            continue
        rows.sort(key=lambda r: r.get("journey_id", ""))
        write_jsonl(self.run_dir / "journeys.jsonl", rows)
        self._merged = True


def start_journeys(plan: Any, target: str, run_dir: Path, *, seed: int, api_key: str) -> JourneyRun:
    """Start the scenario's journeys (a scenarios.scenario.JourneyPlan) against `target`."""
    assignments = assign(plan.variants, plan.personas, plan.count, seed)
    return JourneyRun(assignments, target, run_dir, processes=plan.processes, concurrency=plan.concurrency,
                      pace=plan.pace, timeout_s=plan.timeout_s, api_key=api_key, currency=plan.currency, amount=plan.amount,
                      site=plan.site.as_dict() if getattr(plan, "site", None) else None)
