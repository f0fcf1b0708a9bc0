"""Many public API calls at once: the cohort's sign-up and each day's card changes are one request
per object (as a merchant's integration makes them), sent a few at a time so that the gateway's
group commit writes them together instead of one transaction per round trip."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

IN_FLIGHT = 16  # requests a driver keeps open at once; more only queue in the gateway
WAVE = 32  # subscribers the sign-up sends each step for at once (StripeApi.post_many), from one thread


def each(do: Callable[[Item], Result], items: Sequence[Item], in_flight: int = IN_FLIGHT,
         pool: ThreadPoolExecutor | None = None) -> list[Result]:
    """`do` on every item, up to `in_flight` at a time (or on `pool`'s threads: a caller that calls this every
    simulated day keeps one pool rather than start and join new threads each time); results in the items' order.
    The first error raised by `do` is raised here (the calls already started finish first)."""
    if len(items) <= 1:
        return [do(item) for item in items]
    if pool is not None:
        futures = [pool.submit(do, item) for item in items]
        wait(futures)
        return [future.result() for future in futures]
    with ThreadPoolExecutor(max_workers=min(in_flight, len(items)), thread_name_prefix="churn-call") as own:
        return list(own.map(do, items))


def calls_pool(in_flight: int = IN_FLIGHT) -> ThreadPoolExecutor:
    """The threads a driver sends its requests from, `in_flight` at most; the caller shuts it down."""
    return ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="churn-call")
