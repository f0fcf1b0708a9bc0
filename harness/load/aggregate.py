"""Merge the batches of every Locust process and write the run's `load/` files as the run goes.

A second is written to timeseries.jsonl once every live source has reported past it (its
watermark), so the file grows while the run is under way and an interrupted run keeps all the
seconds it completed. acks.jsonl is appended as acks arrive. summary.json is rewritten every few
seconds (marked incomplete) and once more at the end.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from hdrh.histogram import HdrHistogram

from ..runfiles import write_json
from .hdr import new_histogram, stats
from .recorder import OUTCOME_KINDS

ALL = "ALL"  # the timeseries line of a second that covers every endpoint (and carries arrivals)
SILENT_SOURCE_S = 10.0  # a worker silent this long no longer holds back the timeseries

class _Cell:
    """One endpoint in one second (or in the whole run)."""

    __slots__ = ("hist", "count", "errors", "kinds", "injected")

    def __init__(self) -> None:
        self.hist = new_histogram()
        self.count = 0
        self.errors = 0
        self.kinds: Counter[str] = Counter()
        self.injected: HdrHistogram | None = None

    def add(self, count: int, errors: int, hist: HdrHistogram, kinds: dict[str, int], injected: HdrHistogram | None) -> None:
        self.hist.add(hist)
        self.count += count
        self.errors += errors
        self.kinds.update(kinds)
        if injected is not None:
            if self.injected is None:
                self.injected = new_histogram()
            self.injected.add(injected)


class Aggregator:
    def __init__(self, out_dir: Path, header: dict[str, Any], sources: list[str], t0: float) -> None:
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.header = header  # model, shape, duration_s, ... (what summary.json starts with)
        self.t0 = t0
        self.sources = list(sources)
        self.watermarks: dict[str, int] = {s: 0 for s in sources}
        self.heard: dict[str, float] = {s: time.time() for s in sources}
        self.finals: set[str] = set()
        self.states: dict[str, dict[str, Any]] = {s: {} for s in sources}
        self.pending: dict[int, dict[str, _Cell]] = {}
        self.pending_arrivals: dict[int, list[int]] = {}
        self.written_through = 0  # seconds below this are in timeseries.jsonl
        self.totals: dict[str, _Cell] = {}
        self.arrivals = [0, 0, 0]  # offered, started, not started
        self.outcomes: Counter[str] = Counter()
        self.declines: Counter[str] = Counter()
        self.lag = new_histogram()
        self.per_source: dict[str, dict[str, Any]] = {s: {"requests": 0, "errors": 0, "endpoints": Counter(), "started": 0}
                                                      for s in sources}
        self.users_by_second: dict[int, int] = {}
        self.last_second: dict[str, Any] = {}
        self.ack_count = 0
        self._timeseries = open(out_dir / "timeseries.jsonl", "a", encoding="utf-8")
        self._acks = open(out_dir / "acks.jsonl", "a", encoding="utf-8")
        self._summary_at = 0.0

    # -- input --------------------------------------------------------------------------------

    def add(self, batch: dict[str, Any]) -> None:
        source = batch["source"]
        if source not in self.watermarks:  # a worker that joined late
            self.sources.append(source)
            self.watermarks[source] = 0
            self.states[source] = {}
            self.per_source[source] = {"requests": 0, "errors": 0, "endpoints": Counter(), "started": 0}
        self.heard[source] = time.time()
        mine = self.per_source[source]
        late: dict[int, dict[str, _Cell]] = {}
        for t, endpoint, count, errors, hdr, kinds, injected_hdr in batch["endpoints"]:
            hist = HdrHistogram.decode(hdr)
            injected = HdrHistogram.decode(injected_hdr) if injected_hdr else None
            target = self.pending if t >= self.written_through else late
            target.setdefault(t, {}).setdefault(endpoint, _Cell()).add(count, errors, hist, kinds, injected)
            self.totals.setdefault(endpoint, _Cell()).add(count, errors, hist, kinds, injected)
            mine["requests"] += count
            mine["errors"] += errors
            mine["endpoints"][endpoint] += count
        for t, offered, started, not_started in batch["arrivals"]:
            counts = self.pending_arrivals.setdefault(t, [0, 0, 0])
            for i, n in enumerate((offered, started, not_started)):
                counts[i] += n
                self.arrivals[i] += n
            mine["started"] += started
        if batch.get("lag"):
            self.lag.add(HdrHistogram.decode(batch["lag"]))
        for line in batch["acks"]:
            self._acks.write(orjson.dumps(line).decode() + "\n")
        self.ack_count += len(batch["acks"])
        if batch["acks"]:
            self._acks.flush()
        self.outcomes.update(batch.get("outcomes") or {})
        self.declines.update(batch.get("declines") or {})
        self.states[source] = batch.get("state") or {}
        self.watermarks[source] = max(self.watermarks[source], int(batch["watermark"]))
        if batch.get("final"):
            self.finals.add(source)
        for t in sorted(late):  # a second already written: its late part is written as its own line
            self._write_second(t, late[t], None, late=True)

    def note_users(self, users: int) -> None:
        """Closed model: users running now; open model: orders in flight now."""
        self.users_by_second[int(time.time() - self.t0)] = users

    # -- output -------------------------------------------------------------------------------

    def live_sources(self) -> list[str]:
        now = time.time()
        return [s for s in self.sources if s not in self.finals and now - self.heard[s] < SILENT_SOURCE_S]

    def flush(self, everything: bool = False) -> None:
        """Write every second that all live sources have completed."""
        if everything:
            limit = max([self.written_through, *(t + 1 for t in self.pending), *(t + 1 for t in self.pending_arrivals)])
        else:
            live = self.live_sources()
            limit = min([self.watermarks[s] for s in live]) if live else max(
                [self.written_through, *self.watermarks.values()])
        for t in range(self.written_through, limit):
            self._write_second(t, self.pending.pop(t, {}), self.pending_arrivals.pop(t, [0, 0, 0]))
        self.written_through = max(self.written_through, limit)
        self._timeseries.flush()

    def _write_second(self, t: int, cells: dict[str, _Cell], arrivals: list[int] | None, late: bool = False) -> None:
        offered = arrivals[0] if arrivals else 0
        extra = {"late": True} if late else {}
        total = _Cell()
        for endpoint in sorted(cells):
            cell = cells[endpoint]
            total.add(cell.count, cell.errors, cell.hist, cell.kinds, cell.injected)
            self._timeseries.write(json.dumps({"t": t, "endpoint": endpoint, **self._cell_fields(cell), "offered": offered, **extra}) + "\n")
        line = {"t": t, "endpoint": ALL, **self._cell_fields(total), "offered": offered}
        if arrivals is not None:
            line.update(started=arrivals[1], not_started=arrivals[2])
            users = self.users_by_second.get(t)
            if users is not None:
                line["users" if self.header["model"] == "closed" else "in_flight"] = users
            self.last_second = {"t": t, "count": total.count, "errors": total.errors, "offered": offered, "started": arrivals[1]}
        self._timeseries.write(json.dumps({**line, **extra}) + "\n")

    @staticmethod
    def _cell_fields(cell: _Cell) -> dict[str, Any]:
        declines = sum(n for k, n in cell.kinds.items() if k in OUTCOME_KINDS)
        return {"count": cell.count, "errors": cell.errors, "declines": declines, **stats(cell.hist),
                "errors_by_kind": dict(cell.kinds), "hdr": cell.hist.encode().decode("ascii")}

    def progress(self, phase: str) -> dict[str, Any]:
        elapsed = max(0.0, time.time() - self.t0)
        requests = sum(c.count for c in self.totals.values())
        failures = sum(c.errors for c in self.totals.values())
        states = self.states.values()
        return {
            "phase": phase,
            "model": self.header["model"],
            "elapsed_s": round(elapsed, 1),
            "duration_s": self.header["duration_s"],
            "requests": requests,
            "failures": failures,
            "declines": sum(c.kinds.get("card_declined", 0) for c in self.totals.values()),
            "offered": self.arrivals[0],
            "started": self.arrivals[1],
            "not_started": self.arrivals[2],
            "arrivals_per_s": self.last_second.get("offered") if self.header["model"] == "open" else None,
            **({"web_ui": self.header["web_ui"]} if self.header.get("web_ui") else {}),
            "requests_per_s": self.last_second.get("count"),
            "users": self._latest_users() if self.header["model"] == "closed" else None,
            "in_flight": sum(int(s.get("in_flight", 0)) for s in states) if self.header["model"] == "open" else None,
            "workers": len(self.live_sources()) if self.header.get("distributed") else 0,
        }

    def _latest_users(self) -> int | None:
        return self.users_by_second[max(self.users_by_second)] if self.users_by_second else None

    def write_progress(self, phase: str) -> dict[str, Any]:
        progress = self.progress(phase)
        write_json(self.out_dir / "progress.json", progress)
        return progress

    def summary(self, incomplete: bool, elapsed_s: float, reason: str | None = None) -> dict[str, Any]:
        duration = float(self.header["duration_s"])
        offered, started, not_started = self.arrivals
        open_model = self.header["model"] == "open"
        kinds: Counter[str] = Counter()
        endpoints = {}
        injected = {}
        for endpoint in sorted(self.totals):
            cell = self.totals[endpoint]
            kinds.update(cell.kinds)
            endpoints[endpoint] = {"count": cell.count, "errors": cell.errors,
                                   "declines": sum(n for k, n in cell.kinds.items() if k in OUTCOME_KINDS),
                                   **stats(cell.hist)}
            if cell.injected is not None:
                p = stats(cell.injected)
                injected[endpoint] = {"count": cell.injected.get_total_count(), "p50_ms": p["p50_ms"], "p99_ms": p["p99_ms"],
                                      "max_ms": p["max_ms"]}
        requests = sum(c.count for c in self.totals.values())
        failures = sum(c.errors for c in self.totals.values())
        lag = stats(self.lag)
        summary = {
            **self.header,
            "elapsed_s": round(elapsed_s, 3),
            "offered_rate": round(offered / duration, 4) if open_model else None,
            "achieved_rate": round(started / duration, 4),
            "offered": offered if open_model else None,
            "started": started,
            "not_started": not_started,
            "requests": requests,
            "failures": failures,
            "request_rate": round(requests / duration, 4),
            "incomplete": incomplete,
            "incomplete_reason": reason,
            "endpoints": endpoints,
            "errors_by_kind": dict(sorted(kinds.items())),
            "declines_by_code": dict(sorted(self.declines.items())),
            "outcomes": dict(sorted(self.outcomes.items())),
            "injected_delay_ms": injected,
            "start_lag_ms": {"p50_ms": lag["p50_ms"], "p99_ms": lag["p99_ms"], "max_ms": lag["max_ms"]} if open_model else None,
            "acks": self.ack_count,
            "workers": {s: {"requests": v["requests"], "errors": v["errors"], "started": v["started"],
                            "endpoints": dict(sorted(v["endpoints"].items())), "final": s in self.finals,
                            "cpu_s": self.states.get(s, {}).get("cpu_s")}
                        for s, v in sorted(self.per_source.items())},
        }
        if self.users_by_second:
            summary["users_max" if not open_model else "in_flight_max"] = max(self.users_by_second.values())
        return summary

    def write_summary(self, incomplete: bool, elapsed_s: float, reason: str | None = None, *, every_s: float = 0.0) -> None:
        now = time.time()
        if every_s and now - self._summary_at < every_s:
            return
        self._summary_at = now
        write_json(self.out_dir / "summary.json", self.summary(incomplete, elapsed_s, reason))

    def close(self) -> None:
        self._timeseries.close()
        self._acks.close()
