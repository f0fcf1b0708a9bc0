"""When arrivals are due in the open model: the shape's rate integrated over time, and inverted.

Arrivals follow the clock, never the answers: a slow gateway does not delay the next arrival, so
the offered load stays what the scenario says (no coordinated omission).

Each worker of a distributed run takes its own share of one schedule: with `uniform` arrivals,
worker k of n takes arrivals k, k+n, k+2n, ... of the evenly spread sequence (so the total is
exactly the integral of the rate); with `poisson`, each worker draws its own Poisson process at
rate/n (independent Poisson processes add up to one at the full rate).
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_left
from collections.abc import Iterator

from scenarios.load import Shape

MAX_STEPS = 200_000


class ArrivalSchedule:
    """Cumulative arrivals A(t) = integral of rate(t) dt over [0, t], tabulated; `time_of` inverts it."""

    def __init__(self, shape: Shape, duration_s: float, step_s: float = 0.01) -> None:
        self.duration_s = duration_s
        steps = max(1, min(MAX_STEPS, math.ceil(duration_s / step_s)))
        self.step_s = duration_s / steps
        cumulative = array("d", [0.0])
        total = 0.0
        for k in range(steps):  # midpoint rule: exact for piecewise-constant shapes between breakpoints
            total += max(0.0, shape.level((k + 0.5) * self.step_s)) * self.step_s
            cumulative.append(total)
        self.cumulative = cumulative

    @property
    def total(self) -> float:
        return self.cumulative[-1]

    def expected(self, t_s: float) -> float:
        """A(t): arrivals due by `t_s`."""
        if t_s <= 0:
            return 0.0
        if t_s >= self.duration_s:
            return self.total
        k, frac = divmod(t_s / self.step_s, 1.0)
        k = int(k)
        return self.cumulative[k] + (self.cumulative[k + 1] - self.cumulative[k]) * frac

    def time_of(self, x: float) -> float | None:
        """The time at which A(t) reaches `x`, or None if it never does within the duration."""
        if x > self.total or x < 0:
            return None
        k = max(1, bisect_left(self.cumulative, x))
        lo, hi = self.cumulative[k - 1], self.cumulative[k]
        frac = (x - lo) / (hi - lo) if hi > lo else 0.0
        return min(self.duration_s, (k - 1 + frac) * self.step_s)


def arrivals(schedule: ArrivalSchedule, kind: str, index: int, count: int, rng: random.Random) -> Iterator[tuple[int, float]]:
    """(arrival number, due time in seconds since start) for worker `index` of `count`."""
    if kind == "uniform":
        number = index
        while (due := schedule.time_of(number + 0.5)) is not None:
            yield number, due
            number += count
        return
    x = 0.0
    n = 0
    while True:
        x += rng.expovariate(1.0) * count
        due = schedule.time_of(x)
        if due is None:
            return
        yield n * count + index, due
        n += 1
