"""Subscriber-months simulated per second: the cohort simulation end to end (the cohort signed up in
parts, a gateway per policy and part, the clock advanced day by day, renewals and dunning inside the
gateways), with the CPU the gateways and the drivers used.

    .venv/bin/python bench/churn.py                       # the shipped scenario: 10,000 x 12, three policies
    .venv/bin/python bench/churn.py --subscribers 2000 --months 6
    .venv/bin/python bench/churn.py --shards 1              # each policy's cohort on one gateway

Prints the figure for the closing note; never part of the test run's pass/fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import signal
import tempfile
import time
from pathlib import Path

from harness.churn.cohort import run_cohort, stop_gateways
from scenarios.churn import ChurnPlan
from scenarios.scenario import load_scenario


def _cpu() -> tuple[float, float, float]:
    """CPU seconds so far: the gateways (children reaped), of which system, and this process (the drivers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime, children.ru_stime, own.ru_utime + own.ru_stime


def reference_rate(plan: ChurnPlan, seed: int) -> tuple[float, int]:
    """The reference, measured in the same run: one gateway alone (one process, nothing beside it) billing a
    small cohort of the last policy (the months only, not its sign-up). Its rate is what one core does here
    and now, so the main figure (sign-up and all) divided by it says how many such cores the run amounted to."""
    small = dataclasses.replace(plan, subscribers=2000, months=3, shards=1, processes=1, policies=plan.policies[-1:])
    with tempfile.TemporaryDirectory(prefix="bench-churn-reference-") as directory:
        policy = run_cohort(small, Path(directory), seed)["policies"][0]
    return small.subscribers * small.months / (policy["seconds"] - policy["setup_seconds"]), small.subscribers


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scenario", default="subscription-churn")
    p.add_argument("--subscribers", type=int)
    p.add_argument("--months", type=int)
    p.add_argument("--processes", type=int)
    p.add_argument("--shards", type=int)
    p.add_argument("--out", type=Path, help="keep the churn directory here (default: a temporary one)")
    args = p.parse_args()
    for sig in (signal.SIGTERM, signal.SIGINT):  # the gateways run in their own sessions: stop them with us
        signal.signal(sig, lambda signum, _f: (stop_gateways(), os._exit(128 + signum)))
    scenario = load_scenario(args.scenario)
    plan = scenario.churn
    changes = {k: v for k, v in (("subscribers", args.subscribers), ("months", args.months), ("processes", args.processes), ("shards", args.shards)) if v}
    plan = dataclasses.replace(plan, **changes)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-churn-"))
    load_before = os.getloadavg()[0]
    reference, reference_n = reference_rate(plan, scenario.seed)
    cpu_before = _cpu()
    started = time.perf_counter()
    result = run_cohort(plan, out, scenario.seed)
    elapsed = time.perf_counter() - started
    gateways, system, drivers = (after - before for after, before in zip(_cpu(), cpu_before))
    sm = plan.subscribers * plan.months
    print(f"{plan.subscribers:,} subscribers x {plan.months} months x {len(plan.policies)} policies, each in {plan.shards} parts, "
          f"{plan.processes} gateways at once, on {os.cpu_count()} cores (load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)")
    rate = sm * len(plan.policies) / elapsed
    print(f"total {elapsed:.1f} s (sign-up {result['sign_up_seconds'] or 0:.1f} s): {rate:,.0f} subscriber-months/s over all policies, "
          f"{sm / elapsed:,.0f} per policy-cohort")
    print(f"reference, same run: one gateway alone billing {reference_n:,} x 3 months of {plan.policies[-1].name}: {reference:,.0f} "
          f"subscriber-months/s; the whole run: x{rate / reference:.2f} that rate on {os.cpu_count()} cores")
    for r in result["policies"]:
        if "error" in r:
            print(f"  {r['policy']}: FAILED {r['error']}")
            continue
        lost = sum(m["involuntary_churn"] for m in r["months"])
        spans = ", ".join(f"{p['began']:.0f}-{p['ended']:.0f} s" for p in r.get("parts", []))
        print(f"  {r['policy']:<18} {r['seconds']:7.1f} s{f' (parts {spans})' if spans else ''}  "
              f"involuntary churn {lost:,}  reconciled {r['final']['reconciliation']['ok']}")
    print(f"CPU: gateways {gateways:.1f} s ({system:.1f} s system), this process (the drivers) {drivers:.1f} s, "
          f"of {elapsed * (os.cpu_count() or 1):.0f} core-seconds")
    print(f"results: {out / 'results.json'}")


if __name__ == "__main__":
    main()
