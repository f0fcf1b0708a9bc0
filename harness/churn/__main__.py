"""`python -m harness.churn --plan plan.json --out DIR --seed N [--target URL]`: the cohort simulation
in its own process (started by a run's ChurnRun part, or by hand)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from scenarios.churn import ChurnPlan

from .cohort import API_KEY, run_cohort, stop_gateways


def _on_signal(signum: int, _frame: object) -> None:
    """Stopped by the run (SIGTERM) or Ctrl-C: take the gateways down with us; results so far stay."""
    stop_gateways()
    os._exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.churn")
    p.add_argument("--plan", type=Path, required=True, help="the [churn] plan as JSON (ChurnPlan.as_dict())")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--target", help="a running gateway (default: start one per policy)")
    p.add_argument("--api-key", default=API_KEY)
    p.add_argument("--keep-ledgers", action="store_true", help="keep each policy's gateway database")
    args = p.parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)
    try:
        plan = ChurnPlan.from_dict(json.loads(args.plan.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as err:
        print(f"error: --plan {args.plan}: {err}", file=sys.stderr)
        return 2
    result = run_cohort(plan, args.out, args.seed, args.target, args.api_key, args.keep_ledgers)
    failed = [r["policy"] for r in result["policies"] if "error" in r]
    for r in result["policies"]:
        print(f"{r['policy']}: " + (f"FAILED {r['error']}" if "error" in r else f"{r['seconds']} s"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
