"""Journeys on the load's workers: the shares, the master's book of what came back, and the
run's view of it. No Locust here (the run's own process imports this); the messages themselves
are in locust_channel.py.

The master splits the planned journeys (plan.assign, deterministic by seed) into one share per
Locust worker, by person: person i's journeys on every variant go to the same worker, so that a
machine's speed never differs between the variants of one person. Each worker runs its share with
journeys.part.JourneyRun in its own processes and sends the records back; the master's
ShareBook keeps each journey's first record and drops any copy (a message that arrives twice, a
resend), appends it at once to `journeys.d/received.jsonl` and at the end writes `journeys.jsonl`
in journey order, as the local runner does.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..exit_codes import INTERRUPTED
from ..runfiles import write_bytes, write_json, write_jsonl
from .plan import Assignment

RECEIVED = "received.jsonl"
PROGRESS = "progress.json"
TRACE_MAX_BYTES = 8 * 1024 * 1024  # a failed journey's trace travels back if it is at most this big
LOST_AFTER_S = 15.0  # a worker with journeys left that sends nothing for this long is lost


def person_of(a: Assignment) -> str:
    """The person behind a journey: plan.assign names journeys `j{i:05d}-{variant}`."""
    return a.journey_id.split("-", 1)[0]


def split_by_person(assignments: list[Assignment], parts: int) -> list[list[Assignment]]:
    """`parts` shares, persons dealt round-robin in plan order, each person's journeys together.

    Every journey is in exactly one share; shares differ by at most one person; the same plan and
    number of parts always give the same shares."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, found {parts}")
    order: dict[str, int] = {}
    out: list[list[Assignment]] = [[] for _ in range(parts)]
    for a in assignments:
        k = order.setdefault(person_of(a), len(order))
        out[k % parts].append(a)
    return out


def processes_per_worker(total: int, workers: int) -> int:
    """The scenario's `processes` are for the whole run: each worker takes its part, at least one."""
    return max(1, math.ceil(max(1, total) / max(1, workers)))


def journeys_spec(plan: Any, target: str, run_dir: Path, *, seed: int, api_key: str) -> dict[str, Any]:
    """What the load process needs to deal out a scenario's journeys (a scenarios.scenario.JourneyPlan):
    the planned people (plan.assign, as a local run would make them) and how to run them."""
    from .plan import assign

    people = assign(plan.variants, plan.personas, plan.count, seed)
    return {
        "run_dir": str(Path(run_dir).resolve()),
        "assignments": [a.as_dict() for a in people],
        "settings": {"target": target.rstrip("/"), "api_key": api_key, "pace": plan.pace, "timeout_s": plan.timeout_s,
                     "concurrency": plan.concurrency, "processes": plan.processes, "currency": plan.currency,
                     "amount": plan.amount, "site": plan.site.as_dict() if getattr(plan, "site", None) else None},
    }


def failed_row(a: Assignment, error: str, worker: str | None, host: str | None) -> dict[str, Any]:
    """The record of a journey that never came back (same keys as a harness failure in journeys.worker)."""
    return {**a.as_dict(), "outcome": "failed", "reason": "technical failure", "error": error[:500], "human_ms": 0,
            "system_ms": 0, "fields": {}, "declines": [], "trace": None, "worker": worker, "worker_host": host}


class ShareBook:
    """The master's account of the journeys: who has which, what came back, once each."""

    def __init__(self, assignments: list[Assignment], run_dir: Path, shares: dict[str, list[Assignment]],
                 hosts: dict[str, str] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.parts_dir = self.run_dir / "journeys.d"
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        self.planned = {a.journey_id: a for a in assignments}
        self.shares = {source: [a.journey_id for a in share] for source, share in shares.items()}
        self.owner = {jid: source for source, ids in self.shares.items() for jid in ids}
        if set(self.owner) != set(self.planned) or sum(map(len, self.shares.values())) != len(self.planned):
            raise ValueError("the shares must hold every planned journey exactly once")
        self.hosts = dict(hosts or {})
        self.records: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self.unknown = 0
        self.state = {source: "running" for source in shares}
        self.exits: dict[str, int | None] = {source: None for source in shares}
        self.notes: dict[str, str] = {}
        self.last_heard = {source: time.monotonic() for source in shares}
        self._received = open(self.parts_dir / RECEIVED, "a", encoding="utf-8")

    # -- what the workers send --------------------------------------------------------------------

    def heard(self, source: str) -> None:
        if source in self.last_heard:
            self.last_heard[source] = time.monotonic()

    def add(self, source: str, records: Iterable[dict[str, Any]]) -> int:
        """Keep each journey's first record; returns how many were new. A record may carry its
        failure trace as `trace_zip` (bytes), written to the run's traces/."""
        self.heard(source)
        new = 0
        for record in records:
            record = dict(record)
            jid = record.get("journey_id")
            trace = record.pop("trace_zip", None)
            if jid not in self.planned:
                self.unknown += 1
                continue
            if jid in self.records:
                self.duplicates += 1
                continue
            if isinstance(trace, (bytes, bytearray)):
                path = self.run_dir / "traces" / f"{_safe(jid)}.zip"
                write_bytes(path, bytes(trace))
                record["trace"] = f"traces/{path.name}"
            record.setdefault("worker", source)
            self.records[jid] = record
            self._received.write(json.dumps(record, ensure_ascii=False) + "\n")
            new += 1
        if new:
            self._received.flush()
        return new

    def missing(self, source: str) -> list[str]:
        return [jid for jid in self.shares.get(source, []) if jid not in self.records]

    def done(self, source: str, exit_code: int | None, produced: Iterable[str] | None = None, *, stopped: bool = False,
             error: str | None = None, logs: str | None = None) -> list[str]:
        """The worker says every process of its share has ended and it has records of `produced`
        (None: of all it was given). Returns the journeys to ask for again: produced there but not
        received here (a lost message). Otherwise the share is closed: journeys it never produced
        are recorded as failed, unless it was `stopped` (interrupted: left out, as in a local run)."""
        self.heard(source)
        if self.state.get(source) != "running":
            return []
        owed = self.missing(source)
        made = set(self.shares[source] if produced is None else produced)
        resend = [jid for jid in owed if jid in made]
        if resend:
            return resend
        if stopped:
            self.state[source], self.exits[source] = "stopped", exit_code
        elif owed:
            host = self.hosts.get(source)
            why = f": {error}" if error else ""
            where = f" (their logs: {logs} on {host})" if logs else ""
            self.give_up(source, "done", f"no record from worker {source} ({host}): its journeys processes ended "
                                         f"(exit code {exit_code}) before finishing this journey{why}{where}", exit_code)
        else:
            self.state[source], self.exits[source] = "done", exit_code
        return []

    def give_up(self, source: str, state: str, error: str, exit_code: int | None = None) -> int:
        """Record the share's unfinished journeys as failed (`error` says why); returns how many."""
        if self.state.get(source) != "running":
            return 0
        owed = self.missing(source)
        self.add(source, [failed_row(self.planned[jid], error, source, self.hosts.get(source)) for jid in owed])
        self.state[source] = state
        self.exits[source] = exit_code
        self.notes[source] = error
        return len(owed)

    def silent(self, now: float | None = None, after_s: float = LOST_AFTER_S) -> list[str]:
        now = time.monotonic() if now is None else now
        return [s for s, st in self.state.items() if st == "running" and now - self.last_heard[s] > after_s]

    # -- the run's view ---------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return all(st != "running" for st in self.state.values())

    def exit_code(self, interrupted: bool = False) -> int:
        if interrupted:
            return INTERRUPTED
        bad = any(st != "done" for st in self.state.values()) or any(c for c in self.exits.values())
        return 1 if bad else 0

    def progress(self, phase: str, exit_code: int | None = None) -> dict[str, Any]:
        return {
            "phase": phase, "total": len(self.planned), "done": len(self.records), "duplicates": self.duplicates,
            "unknown": self.unknown, "exit": exit_code,
            "workers": {s: {"host": self.hosts.get(s), "assigned": len(ids), "received": len(ids) - len(self.missing(s)),
                            "state": self.state[s], "exit": self.exits[s], "note": self.notes.get(s)}
                        for s, ids in self.shares.items()},
        }

    def write_progress(self, phase: str, exit_code: int | None = None) -> None:
        write_json(self.parts_dir / PROGRESS, self.progress(phase, exit_code))

    def finish(self, phase: str, exit_code: int) -> None:
        self._received.close()
        write_journeys(self.run_dir, self.records.values())
        self.write_progress(phase, exit_code)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120] or "journey"


def read_received(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The master's received.jsonl, first record per journey (a line cut short by a crash is skipped)."""
    out: dict[str, dict[str, Any]] = {}
    path = Path(run_dir) / "journeys.d" / RECEIVED
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and row.get("journey_id") and row["journey_id"] not in out:
                out[row["journey_id"]] = row
    return out


def write_journeys(run_dir: Path, records: Iterable[dict[str, Any]]) -> None:
    """journeys.jsonl in journey order, replaced atomically."""
    write_jsonl(Path(run_dir) / "journeys.jsonl", sorted(records, key=lambda r: r.get("journey_id", "")))


class WorkerJourneys:
    """The run's journeys part when the load's workers run them (run.py's Part protocol).

    The load process (the Locust master) does the work and writes `journeys.d/progress.json`,
    `journeys.d/received.jsonl` and, when every share is back, `journeys.jsonl`; this follows it.
    Stopping the load stops these journeys too (the master tells its workers)."""

    def __init__(self, load: Any, run_dir: Path, total: int) -> None:
        self.load = load
        self.run_dir = Path(run_dir)
        self.total = total
        self.started = time.monotonic()
        self._code: int | None = None

    def _progress(self) -> dict[str, Any]:
        try:
            return json.loads((self.run_dir / "journeys.d" / PROGRESS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"phase": "starting", "total": self.total, "done": 0, "workers": {}}

    def poll(self) -> dict[str, Any]:
        p = self._progress()
        out: dict[str, Any] = {"journeys": f"{p.get('done', 0)}/{p.get('total', self.total)}",
                               "elapsed_s": time.monotonic() - self.started}
        workers = p.get("workers") or {}
        if workers:
            out["workers"] = " ".join(f"{s} {w['received']}/{w['assigned']}" + ("" if w["state"] in ("running", "done") else f" {w['state']}")
                                      for s, w in sorted(workers.items()))
        return out

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._code is not None:
                return self._code
            p = self._progress()
            if p.get("phase") in ("done", "interrupted") and p.get("exit") is not None:
                self._code = int(p["exit"])
                return self._code
            if self.load.wait(0) is not None:  # the load process ended without finishing the journeys
                self._salvage()
                return self._code
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.1)

    def stop(self) -> None:
        """The load's stop ends the journeys on the workers; keep whatever came back."""
        if self._code is None and self.load.wait(0) is None:
            self.load.stop()
        self.wait(0)
        if self._code is None:
            self._salvage()

    def _salvage(self) -> None:
        p = self._progress()
        if p.get("phase") in ("done", "interrupted") and p.get("exit") is not None and (self.run_dir / "journeys.jsonl").exists():
            self._code = int(p["exit"])
            return
        write_journeys(self.run_dir, read_received(self.run_dir).values())
        self._code = 1
