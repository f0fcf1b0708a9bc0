"""The channel a payment came through, carried as metadata[channel], so reports and the ledger
export can split by it."""

from __future__ import annotations

from typing import Any

from .errors import invalid_request

CHANNELS = ("web", "mobile_web", "app", "pos")


def check(metadata: dict[str, Any] | None, param: str = "metadata[channel]") -> None:
    """Refuse a channel outside the known set (an empty value unsets it, as metadata does)."""
    value = (metadata or {}).get("channel")
    if value not in (None, "") and value not in CHANNELS:
        raise invalid_request(f"Invalid {param}: must be one of {', '.join(CHANNELS)}; found {str(value)[:40]!r}.", param=param)
