"""Journeys in worker processes: Playwright (asyncio) never shares a process with Locust (gevent).

Each worker writes one JSON line per finished journey to its own file under `journeys.d/`; the
runner merges them into `journeys.jsonl` when it stops, so an interrupted run keeps every
journey that finished.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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
        self.procs: list[subprocess.Popen] = []
        for k, part in enumerate(share(assignments, max(1, min(processes, len(assignments) or 1)))):
            spec = {
                "target": target, "api_key": api_key, "assignments": [a.as_dict() for a in part],
                "concurrency": concurrency, "pace": pace, "timeout_s": timeout_s, "currency": currency, "amount": amount,
                "out": str(self.parts_dir / f"worker-{k}.jsonl"), "traces": str(run_dir / "traces"),
                "site": site,  # scenarios.sites.SitePlan.as_dict(): a user's own checkout; None: the reference one
            }
            spec_path = self.parts_dir / f"worker-{k}.spec.json"
            spec_path.write_text(json.dumps(spec), encoding="utf-8")
            log = open(run_dir / "logs" / f"journeys-{k}.log", "a", encoding="utf-8")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "harness.journeys.worker", str(spec_path)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_sigterm_when_parent_dies() if die_with_parent else None,
            ))
            log.close()
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
                return max((abs(c) for c in codes), default=0)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM each worker (it finishes writing and closes its browser), then SIGKILL."""
        for p in self.procs:
            if p.poll() is None:
                _signal(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal(p.pid, signal.SIGKILL)  # the browser processes the worker started
            if p.poll() is None:
                p.wait(5)
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
        tmp = self.run_dir / "journeys.jsonl.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.replace(tmp, self.run_dir / "journeys.jsonl")
        self._merged = True


def _sigterm_when_parent_dies() -> Any:
    """For preexec_fn (Linux): the child gets SIGTERM when the process that started it dies, e.g. a
    Locust worker killed with its share of journeys under way (load/journeys_channel.py). libc is
    looked up here, in the parent, not between fork and exec."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def _signal(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def start_journeys(plan: Any, target: str, run_dir: Path, *, seed: int, api_key: str) -> JourneyRun:
    """Start the scenario's journeys (a scenarios.scenario.JourneyPlan) against `target`."""
    assignments = assign(plan.variants, plan.personas, plan.count, seed)
    return JourneyRun(assignments, target, run_dir, processes=plan.processes, concurrency=plan.concurrency,
                      pace=plan.pace, timeout_s=plan.timeout_s, api_key=api_key, currency=plan.currency, amount=plan.amount,
                      site=plan.site.as_dict() if getattr(plan, "site", None) else None)
