"""Human time: what the model says a person spends, kept apart from system time.

`pace="instant"` only records (fast runs, statistics); `pace="real"` also sleeps, so that journeys
load a system the way real people do. `sleep` and `async_sleep` are injectable for tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Literal

Pace = Literal["instant", "real"]
PACES: tuple[str, ...] = ("instant", "real")


class HumanClock:
    """Accumulates modelled human time (ms), by kind (typing, reading, pointing, ...)."""

    def __init__(self, pace: Pace = "instant", sleep: Callable[[float], None] = time.sleep,
                 async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if pace not in PACES:
            raise ValueError(f"pace: expected one of {', '.join(PACES)}, found {pace!r}")
        self.pace = pace
        self._sleep = sleep
        self._async_sleep = async_sleep
        self.total_ms = 0.0
        self.by_kind: dict[str, float] = {}

    def _add(self, ms: float, kind: str) -> float:
        if ms < 0:
            raise ValueError(f"human time cannot be negative: {ms}")
        self.total_ms += ms
        self.by_kind[kind] = self.by_kind.get(kind, 0.0) + ms
        return ms

    def spend(self, ms: float, kind: str = "other") -> float:
        """Record `ms` of human time; sleep it when pace is real. Returns ms."""
        self._add(ms, kind)
        if self.pace == "real" and ms > 0:
            self._sleep(ms / 1000.0)
        return ms

    async def aspend(self, ms: float, kind: str = "other") -> float:
        """As `spend`, for async journeys (does not block the event loop)."""
        self._add(ms, kind)
        if self.pace == "real" and ms > 0:
            await self._async_sleep(ms / 1000.0)
        return ms
