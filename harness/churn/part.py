"""The cohort simulation as a Part of a run (harness/run.py): its own process, so that a run can
poll it, wait for it and stop it (with the gateways it started) like the load and the journeys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from scenarios.churn import ChurnPlan

from ..servers import ManagedProcess


class ChurnRun:
    def __init__(self, plan: ChurnPlan, out: Path, seed: int, target: str | None = None, api_key: str | None = None) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        (out / "plan-input.json").write_text(json.dumps(plan.as_dict()), encoding="utf-8")
        argv = [sys.executable, "-m", "harness.churn", "--plan", str(out / "plan-input.json"), "--out", str(out),
                "--seed", str(seed)]
        if target:
            argv += ["--target", target]
        if api_key:
            argv += ["--api-key", api_key]
        self.process = ManagedProcess(argv, log_path=out / "churn.log")

    def poll(self) -> dict[str, Any]:
        try:
            progress = json.loads((self.out / "progress.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"phase": "starting"}
        shown: dict[str, Any] = {"elapsed_s": progress.get("elapsed_s")}
        billing = [p for p in progress.get("policies", {}).values() if "month" in p]
        if billing:  # policy-months billed of all, for a progress bar
            shown["months_done"] = sum(p["month"] for p in billing)
            shown["months_total"] = sum(p["months"] for p in billing)
        for name, p in progress.get("policies", {}).items():
            shown[name] = f"month {p['month']}/{p['months']}" if "month" in p else p.get("phase")
        return shown

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.process.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        self.process.stop()


def start_churn(plan: ChurnPlan, out: Path, *, seed: int, target: str | None = None, api_key: str | None = None) -> ChurnRun:
    return ChurnRun(plan, out, seed, target, api_key)
