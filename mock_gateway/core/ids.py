"""Object ids with Stripe's prefixes (pi_, pm_, ch_, re_, cus_, evt_, req_, ...).

Ids of 24 characters or more start with the creation time (microseconds, base62, 9 characters)
followed by random characters, so that a new id lands at the end of the ledger's id index
instead of on a random page: fewer pages written per commit. The random part alone (15+
characters, ~88 bits) keeps them unique across processes. Shorter ids are all random.

The random part comes from the operating system's CSPRNG (what `secrets` uses): ids are capabilities
here (a Checkout Session's id is its page's URL, a client secret is built from one), and a
`random.Random` stream can be predicted from the ids it has given out. os.urandom costs ~0.3 us more
an id than Random.getrandbits (measured), a few ids a request.
"""

from __future__ import annotations

import os
import string
import time

_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase  # in ASCII order, so ids sort by time
_RANDOM = bytes((_ALPHABET.encode() * 5)[:256])  # random byte -> alphanumeric character
_TIME_CHARS = 9  # 62**9 microseconds: until the year 2398
_TIMED_FROM = 24
_urandom = os.urandom


_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # two base62 digits per lookup


_high: tuple[int, str] = (-1, "")  # the five leading digits, which change every 3844**2 us (~15 s), and their text


def _time_part(microseconds: int) -> str:
    """9 base62 digits, most significant first."""
    global _high
    rest, d1 = divmod(microseconds, 3844)
    high, d2 = divmod(rest, 3844)
    known, text = _high
    if high != known:
        rest, d3 = divmod(high, 3844)
        rest, d4 = divmod(rest, 3844)
        text = _ALPHABET[rest % 62] + _PAIRS[d4] + _PAIRS[d3]
        _high = (high, text)
    return text + _PAIRS[d2] + _PAIRS[d1]


def new_id(prefix: str, length: int = 24) -> str:
    if length >= _TIMED_FROM:
        n = length - _TIME_CHARS
        timed = _time_part(time.time_ns() // 1000)
        return f"{prefix}_{timed}{_urandom(n).translate(_RANDOM).decode()}"
    return f"{prefix}_{_urandom(length).translate(_RANDOM).decode()}"
