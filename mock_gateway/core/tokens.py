"""Comparing a secret a client gave (client secret, page token) with the one kept: in constant time,
whatever characters it holds (hmac.compare_digest refuses str with non-ASCII characters: a 500)."""

from __future__ import annotations

import hmac


def same_secret(given: str | None, kept: str | None) -> bool:
    if not given or not kept:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), kept.encode("utf-8", "surrogatepass"))
