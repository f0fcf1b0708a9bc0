"""Billing periods in calendar time (UTC): months keep their anchor day (31 Jan -> 28 Feb -> 31 Mar)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

INTERVALS = ("day", "week", "month", "year")
_SECONDS = {"day": 86400, "week": 7 * 86400}


def shift(anchor: int, interval: str, count: int) -> int:
    """`anchor` moved forward by `count` intervals; month and year ends are clamped to the month's length."""
    if interval in _SECONDS:
        return anchor + _SECONDS[interval] * count
    months = count * (12 if interval == "year" else 1)
    t = datetime.fromtimestamp(anchor, UTC)
    index = t.month - 1 + months
    year, month = t.year + index // 12, index % 12 + 1
    day = min(t.day, calendar.monthrange(year, month)[1])
    return int(t.replace(year=year, month=month, day=day).timestamp())


def period_end(anchor: int, interval: str, interval_count: int, index: int) -> int:
    """End of the `index`-th period (0-based) of a cycle anchored at `anchor`."""
    return shift(anchor, interval, interval_count * (index + 1))


def month_end(year: int, month: int) -> int:
    """The last second of a card's expiry month: the card works until then."""
    last = calendar.monthrange(year, month)[1]
    return int(datetime(year, month, last, 23, 59, 59, tzinfo=UTC).timestamp())


def monthly_amount(unit_amount: int, quantity: int, interval: str, interval_count: int) -> float:
    """A price's contribution to MRR."""
    per_period = unit_amount * quantity
    months = {"day": 12 / 365, "week": 12 / 52, "month": 1, "year": 12}[interval] * interval_count
    return per_period / months
