"""Subscriber-months simulated per second: the cohort simulation end to end (gateways started per
policy, bulk sign-up, the clock advanced day by day, renewals and dunning inside the gateways).

    .venv/bin/python bench/churn.py                       # the shipped scenario: 10,000 x 12, three policies
    .venv/bin/python bench/churn.py --subscribers 2000 --months 6

Prints the figure for the closing note; never part of the test run's pass/fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import tempfile
import time
from pathlib import Path

from harness.churn.cohort import run_cohort, stop_gateways
from scenarios.scenario import load_scenario


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", default="subscription-churn")
    p.add_argument("--subscribers", type=int)
    p.add_argument("--months", type=int)
    p.add_argument("--processes", type=int)
    p.add_argument("--out", type=Path, help="keep the churn directory here (default: a temporary one)")
    args = p.parse_args()
    for sig in (signal.SIGTERM, signal.SIGINT):  # the gateways run in their own sessions: stop them with us
        signal.signal(sig, lambda signum, _f: (stop_gateways(), os._exit(128 + signum)))
    scenario = load_scenario(args.scenario)
    plan = scenario.churn
    changes = {k: v for k, v in (("subscribers", args.subscribers), ("months", args.months), ("processes", args.processes)) if v}
    plan = dataclasses.replace(plan, **changes)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-churn-"))
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = run_cohort(plan, out, scenario.seed)
    elapsed = time.perf_counter() - started
    sm = plan.subscribers * plan.months
    print(f"{plan.subscribers:,} subscribers x {plan.months} months x {len(plan.policies)} policies, "
          f"{plan.processes} at once, on {os.cpu_count()} cores (load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    print(f"total {elapsed:.1f} s: {sm * len(plan.policies) / elapsed:,.0f} subscriber-months/s over all policies, "
          f"{sm / elapsed:,.0f} per policy-cohort")
    for r in result["policies"]:
        if "error" in r:
            print(f"  {r['policy']}: FAILED {r['error']}")
            continue
        lost = sum(m["involuntary_churn"] for m in r["months"])
        print(f"  {r['policy']:<18} {r['seconds']:7.1f} s (sign-up {r['setup_seconds']:.1f} s)  {sm / r['seconds']:7,.0f} subscriber-months/s  "
              f"involuntary churn {lost:,}  reconciled {r['final']['reconciliation']['ok']}")
    print(f"results: {out / 'results.json'}")


if __name__ == "__main__":
    main()
