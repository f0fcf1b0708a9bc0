"""What one Locust process measured, second by second, as mergeable batches.

Every request lands in an HDR histogram of its endpoint and its second (microseconds, 3
significant digits), with its error kind; arrivals offered, started and not started are counted
per second too. Once a second the process hands over a batch of the seconds that are complete
(encoded histograms, counts, acks); the master (aggregate.py) merges batches from all workers.
Seconds are counted from the run's start (t0, shared by all workers) to when the answer arrived.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from hdrh.histogram import HdrHistogram

from .hdr import HIGHEST_US, new_histogram, record

DELAY_HEADER = "harness-injected-delay-ms"
# Not errors: the API answered correctly that the card was declined. Counted apart.
OUTCOME_KINDS = ("card_declined",)


def error_kind(status: int | None, exception: BaseException | None) -> str | None:
    """None for a good answer; else what went wrong, by kind (http_503, timeout, ...)."""
    if status:
        if status < 400:
            return None
        return "card_declined" if status == 402 else f"http_{status}"
    if exception is None:
        return None
    return exception_kind(exception)


def exception_kind(exception: BaseException) -> str:
    name = type(exception).__name__
    text = f"{name} {exception}".lower()
    if "timeout" in text or "timed out" in text:
        return "timeout"
    if "refused" in text:
        return "connection_refused"
    if isinstance(exception, (ConnectionError, EOFError)) or any(w in text for w in ("reset", "closed", "broken pipe", "incomplete")):
        return "connection_reset"
    return "exception_" + name.lower()


class _Second:
    __slots__ = ("hist", "count", "errors", "kinds", "injected")

    def __init__(self) -> None:
        self.hist = new_histogram()
        self.count = 0
        self.errors = 0
        self.kinds: Counter[str] = Counter()
        self.injected: HdrHistogram | None = None


class Recorder:
    """Per-process measurements; `request` is a Locust `events.request` listener."""

    def __init__(self, source: str, t0: float) -> None:
        self.source = source
        self.t0 = t0
        self.seconds: dict[int, dict[tuple[str, str], _Second]] = {}
        self.arrival_counts: dict[int, list[int]] = {}  # second -> [offered, started, not_started]
        self.lag = new_histogram()
        self.acks: list[dict[str, Any]] = []
        self.outcomes: Counter[str] = Counter()
        self.declines: Counter[str] = Counter()
        self.requests = 0
        self.failures = 0
        self.state: dict[str, Any] = {}
        self._t = -1  # the second being recorded, and its slots by (method, name)
        self._current: dict[tuple[str, str], _Second] = {}
        self.cpu0 = time.process_time()  # the process's CPU use tells whether the generator was saturated

    # -- recording (called from Locust greenlets) ---------------------------------------------

    def request(self, request_type: str, name: str, response_time: float, response: Any = None,
                exception: BaseException | None = None, **_: Any) -> None:
        t = int(time.time() - self.t0)
        if t != self._t:
            self._t = t
            self._current = self.seconds.setdefault(t, {})
        slot = self._current.get((request_type, name))
        if slot is None:
            slot = self._current[(request_type, name)] = _Second()
        slot.hist.record_value(min(HIGHEST_US, max(1, int(response_time * 1000.0))))
        slot.count += 1
        self.requests += 1
        status = response.status_code if response is not None else 0
        if exception is not None and 0 < status < 400:  # an answer the user's code marked failed (catch_response)
            slot.kinds["check_failed"] += 1
            slot.errors += 1
            self.failures += 1
        elif not status or status >= 400:
            kind = error_kind(status, exception)
            if kind is not None:
                slot.kinds[kind] += 1
                if kind not in OUTCOME_KINDS:
                    slot.errors += 1
                    self.failures += 1
        if status:
            injected = response.headers.get(DELAY_HEADER)
            if injected is not None:
                if slot.injected is None:
                    slot.injected = new_histogram()
                try:
                    record(slot.injected, float(injected) * 1000.0)
                except ValueError:
                    pass

    def arrival(self, due_s: float, started: bool, offered: bool = True) -> None:
        """An arrival due at `due_s` (since t0): started, or not (no free slot); closed-model
        orders are started without having been offered."""
        counts = self.arrival_counts.setdefault(int(due_s), [0, 0, 0])
        if offered:
            counts[0] += 1
        counts[1 if started else 2] += 1

    def start_lag(self, seconds: float) -> None:
        record(self.lag, seconds * 1_000_000.0)

    def ack(self, line: dict[str, Any]) -> None:
        self.acks.append(line)

    def outcome(self, name: str) -> None:
        self.outcomes[name] += 1

    def decline(self, code: str) -> None:
        self.declines[code] += 1

    # -- handing over ---------------------------------------------------------------------------

    def take(self, final: bool = False) -> dict[str, Any]:
        """The complete seconds (all of them if `final`) as a JSON/msgpack-friendly batch."""
        now = int(time.time() - self.t0)
        watermark = (max([now, *self.seconds, *self.arrival_counts]) + 1) if final else now
        endpoints = []
        for t in sorted(s for s in self.seconds if s < watermark):
            if t == self._t:
                self._t = -1
            for (method, name), slot in self.seconds.pop(t).items():
                endpoints.append([t, f"{method} {name}", slot.count, slot.errors, slot.hist.encode().decode("ascii"), dict(slot.kinds),
                                  slot.injected.encode().decode("ascii") if slot.injected is not None else None])
        arrivals = [[t, *self.arrival_counts.pop(t)] for t in sorted(s for s in self.arrival_counts if s < watermark)]
        lag = self.lag.encode().decode("ascii") if self.lag.get_total_count() else None
        self.lag = new_histogram()
        acks, self.acks = self.acks, []
        outcomes, self.outcomes = dict(self.outcomes), Counter()
        declines, self.declines = dict(self.declines), Counter()
        return {
            "source": self.source,
            "watermark": watermark,
            "final": final,
            "endpoints": endpoints,
            "arrivals": arrivals,
            "lag": lag,
            "acks": acks,
            "outcomes": outcomes,
            "declines": declines,
            "state": {**self.state, "requests": self.requests, "failures": self.failures,
                      "cpu_s": round(time.process_time() - self.cpu0, 3)},
        }
