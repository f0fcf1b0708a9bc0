"""The whole cohort simulation: every policy on gateways of its own, its cohort split into parts
(`shards`, each part on its own gateway; shards.py), a few gateways at once; or on the scenario's
target, each policy on its own test clock. Results into a directory (normally runs/<id>/churn/):

    churn/plan.json                         the [churn] table as run
    churn/progress.json                     live progress (phase, month per policy part), rewritten as it goes
    churn/<policy>/months.jsonl             one line per simulated month (the parts added up)
    churn/<policy>/part-<k>/months.jsonl    one line per month of one part, as it is simulated
    churn/results.json                      per policy: months, final summary with reconciliation, timings
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scenarios.churn import ChurnPlan, Policy

from ..runfiles import write_json
from ..servers import GatewayProcess, ManagedProcess
from ..stripe_api import PooledStripeApi
from .concurrent import WAVE
from .driver import API_VERSION, PolicyRun
from .model import draw
from .shards import add_rows, add_summaries, split

API_KEY = "sk_test_churn"
# The cohort's gateways: no real-time sweep to speak of (everything runs on the cohort's test clock);
# SQLite's own 4 KiB pages: rows are packed to a few hundred bytes now, and a renewal step's commit writes
# every page it touched, most of them at random places (docs/subscriptions.md); and a 128 MiB page cache,
# in which the index pages a renewal touches stay instead of being read again.
GATEWAY_ARGS = ["--sweep-interval", "60", "--cache-mb", "128"]


def stop_gateways() -> None:
    """Stop the gateways still running (each is in its own session: they would outlive this process),
    including one still starting, and let no policy start another one afterwards."""
    ManagedProcess.stop_all()


def _sign_up_once(plan: ChurnPlan, cohort: Any, members: range, directory: Path, progress: Any) -> dict[str, Any]:
    """A part of the cohort signed up on a gateway of its own; its ledger file is then copied for each policy."""
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    gateway = GatewayProcess(directory / "gateway.sqlite3", extra_args=GATEWAY_ARGS, log_path=directory / "gateway.log")
    try:
        api = PooledStripeApi(gateway.url, API_KEY, timeout=900, connections=WAVE, stripe_version=API_VERSION)
        try:
            roster = PolicyRun(plan, Policy("sign-up"), cohort, api, directory, progress, members).sign_up()
        finally:
            api.close()
    finally:
        gateway.stop()  # a clean stop checkpoints the WAL into the file
    progress({"phase": "done"})
    return {**roster, "seconds": round(time.perf_counter() - started, 2)}


def _remove_ledger(directory: Path) -> None:
    """The gateway's database and every file it keeps beside it (WAL, shared memory, its lock files)."""
    for path in directory.glob("gateway.sqlite3*"):
        path.unlink(missing_ok=True)


def _heaviest_first(policies: tuple[Policy, ...]) -> list[Policy]:
    """More retries and notices mean more billing work: the longest parts start first, none is left alone at the end."""
    return sorted(policies, key=lambda p: (len(p.retry_days), p.notices), reverse=True)


def run_cohort(plan: ChurnPlan, out: Path, seed: int, target: str | None = None, api_key: str = API_KEY,
               keep_ledgers: bool = False) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "plan.json", {"seed": seed, "target": target, **plan.as_dict()})
    cohort = draw(plan, seed)
    parts = split(plan.subscribers, 1 if target else plan.shards)  # on a target: one clock per policy
    lock = threading.Lock()
    started = time.perf_counter()
    workers = 1 if target else plan.processes

    def label(name: str, k: int) -> str:
        return name if len(parts) == 1 else f"{name} {k + 1}/{len(parts)}"

    progress: dict[str, Any] = {label(p.name, k): {"phase": "waiting"} for p in plan.policies for k in range(len(parts))}

    def report(name: str, values: dict[str, Any]) -> None:
        with lock:
            progress[name] = values
            write_json(out / "progress.json", {"elapsed_s": round(time.perf_counter() - started, 1), "policies": progress})

    def part_dir(policy: str, k: int) -> Path:
        return out / policy if len(parts) == 1 else out / policy / f"part-{k + 1}"

    rosters: list[dict[str, Any] | None] = [None] * len(parts)
    if target is None and len(plan.policies) > 1:  # sign up once, then every policy starts from a copy of that ledger
        with ThreadPoolExecutor(max_workers=min(workers, len(parts))) as pool:
            rosters = list(pool.map(lambda k: _sign_up_once(plan, cohort, parts[k], part_dir("sign-up", k),
                                                            lambda v: report(label("sign-up", k), v)), range(len(parts))))

    def one(policy: Policy, k: int) -> dict[str, Any]:
        directory = part_dir(policy.name, k)
        directory.mkdir(parents=True, exist_ok=True)
        name = label(policy.name, k)
        began = time.perf_counter()
        gateway = None
        try:
            if rosters[k] is not None:
                for suffix in ("", "-wal"):
                    source = part_dir("sign-up", k) / f"gateway.sqlite3{suffix}"
                    if source.exists():
                        shutil.copyfile(source, directory / f"gateway.sqlite3{suffix}")
            url = target
            if url is None:
                gateway = GatewayProcess(directory / "gateway.sqlite3", extra_args=GATEWAY_ARGS, log_path=directory / "gateway.log")
                url = gateway.url
            api = PooledStripeApi(url, api_key, timeout=900, connections=WAVE, stripe_version=API_VERSION)
            try:
                result = PolicyRun(plan, policy, cohort, api, directory, lambda v: report(name, v), parts[k]).run(rosters[k])
            finally:
                api.close()
            report(name, {"phase": "done", "seconds": result["seconds"]})
            return {**result, "began": began - started, "ended": time.perf_counter() - started}
        except Exception as err:
            report(name, {"phase": "failed", "error": f"{type(err).__name__}: {err}"})
            return {"policy": policy.name, "error": f"{type(err).__name__}: {err}"}
        finally:
            if gateway is not None:
                gateway.stop()
                if not keep_ledgers:
                    _remove_ledger(directory)

    units = [(policy, k) for policy in _heaviest_first(plan.policies) for k in range(len(parts))]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = dict(zip(units, pool.map(lambda unit: one(*unit), units)))
    if not keep_ledgers:
        shutil.rmtree(out / "sign-up", ignore_errors=True)
    results = [_policy_result(policy, [done[(policy, k)] for k in range(len(parts))], out) for policy in plan.policies]
    elapsed = time.perf_counter() - started
    summary = {
        "seed": seed,
        "sign_up_seconds": max((r["seconds"] for r in rosters if r), default=None),
        "subscribers": plan.subscribers,
        "months": plan.months,
        "shards": len(parts),
        "seconds": round(elapsed, 2),
        "subscriber_months_per_s": round(plan.subscribers * plan.months * len(plan.policies) / elapsed, 1),
        "policies": results,
    }
    write_json(out / "results.json", summary)
    return summary


def _policy_result(policy: Policy, parts: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """The policy over the whole cohort: its parts added up (the part itself when there is one)."""
    failed = [p["error"] for p in parts if "error" in p]
    if failed:
        return {"policy": policy.name, "error": "; ".join(dict.fromkeys(failed))}
    timeline = [{"began": round(p.pop("began"), 2), "ended": round(p.pop("ended"), 2)} for p in parts]
    if len(parts) == 1:
        return parts[0]
    began, ended = min(t["began"] for t in timeline), max(t["ended"] for t in timeline)
    months = [add_rows(list(rows)) for rows in zip(*(p["months"] for p in parts))]
    with open(out / policy.name / "months.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in months)
    return {**{k: parts[0][k] for k in ("policy", "retry_days", "after_retries", "notices", "dunning_settings")},
            "months": months, "final": add_summaries([p["final"] for p in parts]),
            "driver": add_summaries([p["driver"] for p in parts]),
            "seconds": round(ended - began, 2), "setup_seconds": max(p["setup_seconds"] for p in parts),
            "parts": [{"subscribers": p["months"][0]["cohort"], "seconds": p["seconds"], **t} for p, t in zip(parts, timeline)]}
