"""Load: Locust users placing orders against a Stripe-compatible API, in their own processes.

`start_load` returns at once; the load runs in a subprocess (its own process group: Locust's
gevent never enters the caller's process) and writes the run's `load/` directory as it goes:
summary.json, timeseries.jsonl, acks.jsonl, progress.json, faults.jsonl, locust.log.
See README.md in this directory for the `[load]` table and the file formats.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.faults import FaultPlan
from scenarios.load import LoadConfig

from ..runfiles import write_json

if TYPE_CHECKING:
    from ..servers import ManagedProcess

__all__ = ["LoadRun", "start_load"]


class LoadRun:
    """A load run under way in its own process group."""

    def __init__(self, process: ManagedProcess, out_dir: Path, duration_s: float, drain_s: float) -> None:
        self.process = process
        self.out_dir = out_dir
        self.duration_s = duration_s  # planned (the run may take up to drain_s longer to finish orders in flight)
        self.drain_s = drain_s

    @property
    def pid(self) -> int:
        return self.process.proc.pid

    def poll(self) -> dict[str, Any]:
        """Progress, from the file the load process rewrites twice a second."""
        try:
            progress = json.loads((self.out_dir / "progress.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            progress = {"phase": "starting", "elapsed_s": 0.0, "requests": 0, "failures": 0}
        code = self.process.proc.poll()
        if code is not None:
            progress["exit"] = code
        return progress

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code (0 complete, 1 failed, 2 bad config, 3 no workers, 130 interrupted), or None if still running."""
        try:
            return self.process.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace: float | None = None) -> int | None:
        """Stop gracefully: SIGINT to the load process, which stops the test and writes what it has
        (summary.json marked incomplete); after `grace` seconds SIGTERM, then SIGKILL, to the group."""
        if self.process.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            self.wait(grace if grace is not None else self.drain_s + 15.0)
        self.process.stop(timeout=5.0)  # SIGTERM then SIGKILL to whatever is left in the group
        return self.process.proc.poll()

    def __enter__(self) -> LoadRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_load(config: LoadConfig, target_url: str, out_dir: Path, *, workers: int = 0, seed: int = 0,
               api_key: str = "sk_test_checkout_harness", faults: FaultPlan | None = None, admin_token: str | None = None,
               faults_url: str | None = None, journeys: dict[str, Any] | None = None, web_ui: str | None = None,
               locust_csv: bool = False, locust_html: bool = False) -> LoadRun:
    """Start the load described by `config` against `target_url`; return at once.

    workers: local Locust worker processes (0: one process does it all). faults/admin_token: the
    scenario's fault timeline, applied by the load process at its times (relative to the load's
    start) through the gateway's admin endpoint at `faults_url` (default `target_url`); the
    plan's start profile is the gateway's `--faults`, not applied here. journeys: from
    journeys.locust_shares.journeys_spec(...), for a distributed run (workers, or [load.distributed] remote_workers):
    the workers run these journeys as well, and the load process writes them to the run's
    journeys.jsonl (follow them with journeys.locust_shares.WorkerJourneys). web_ui ("HOST:PORT"), locust_csv,
    locust_html: Locust's own web UI while the load runs, its CSV files and HTML report in `out_dir`
    (besides the scenario's `[load.locust]`; see locust_outputs.py).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timeline = []
    if faults is not None and faults.timeline:
        if not admin_token:
            raise ValueError("a fault timeline needs the gateway's admin token (admin_token=...)")
        timeline = [{"at_s": c.at_s, "name": c.profile.name if c.profile else None,
                     "table": dict(c.profile.table) if c.profile else None} for c in faults.timeline]
    spec = {
        "load": dict(config.table),
        "file": config.file,
        "target": target_url.rstrip("/"),
        "out_dir": str(out_dir.resolve()),
        "workers": int(workers),
        "seed": int(seed),
        "run_id": uuid.uuid4().hex[:8],
        "faults": timeline,
        "faults_url": (faults_url or target_url).rstrip("/"),
        "locust": {"web_ui": web_ui, "csv": bool(locust_csv), "html": bool(locust_html)},
    }
    if journeys is not None:
        if int(workers) + config.distributed.remote_workers < 1:
            raise ValueError("journeys on the load's workers need workers (workers=N or [load.distributed] remote_workers)")
        spec["journeys"] = journeys
    spec_path = out_dir / "spec.json"
    write_json(spec_path, spec)
    # Until the load process writes its own: whatever happens to it, the run finds a summary.
    write_json(out_dir / "summary.json", {
        "model": config.model, "shape": dict(config.shape.configured), "duration_s": config.duration_s,
        "offered_rate": None, "achieved_rate": 0.0, "not_started": 0, "requests": 0, "failures": 0,
        "incomplete": True, "incomplete_reason": "the load process did not start", "endpoints": {},
        "errors_by_kind": {}, "injected_delay_ms": {}})
    # One BLAS thread: numpy (percentiles) must not start threads that spin on the cores the load needs.
    env = {"CHECKOUT_HARNESS_API_KEY": api_key, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if admin_token:
        env["CHECKOUT_HARNESS_ADMIN_TOKEN"] = admin_token
    from ..servers import ManagedProcess  # not at import: the load process imports this package too

    process = ManagedProcess([sys.executable, "-m", "harness.load.process_main", str(spec_path)], out_dir / "locust.log", env,
                             hold_stop_signals=True)
    return LoadRun(process, out_dir, config.duration_s, config.drain_s)
