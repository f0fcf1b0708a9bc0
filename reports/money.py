"""Money as the reports show it: the currency code and the amount in its smallest unit (what the
API carries), grouped by thousands: `JPY 1,980`, `USD 1,999` (cents). One place, so the Markdown
summary and the HTML report say amounts the same way."""

from __future__ import annotations

from typing import Any


def money(amount: Any, currency: str) -> str:
    """`JPY 1,980`; a missing amount is 0."""
    return f"{currency.upper()} {int(amount or 0):,}"
