"""Object ids with Stripe's prefixes (pi_, pm_, ch_, re_, cus_, evt_, req_, ...).

Ids of 24 characters or more start with the creation time (microseconds, base62, 9 characters)
followed by random characters, so that a new id lands at the end of the ledger's id index
instead of on a random page: fewer pages written per commit. The random part alone (15+
characters, ~88 bits) keeps them unique across processes. Shorter ids are all random.

The random part comes from the operating system's CSPRNG (what `secrets` uses): ids are capabilities
here (a Checkout Session's id is its page's URL, a client secret is built from one), and a
`random.Random` stream can be predicted from the ids it has given out. The bytes are read 4 KiB at a
time (an os.urandom call per id cost ~0.7 us, 1.5% of a renewal day; from the pool ~0.2 us), and a
forked child drops what its parent had read, so that two processes never hand out the same bytes.
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
_POOL_BYTES = 4096
_pool = b""
_used = 0


def forget_pool() -> None:
    """Drop the random bytes read ahead (in a forked child: they are its parent's too)."""
    global _pool, _used
    _pool, _used = b"", 0


os.register_at_fork(after_in_child=forget_pool)


def _random_bytes(n: int) -> bytes:
    global _pool, _used
    end = _used + n
    if end > len(_pool):
        _pool, _used, end = _urandom(_POOL_BYTES), 0, n
    chunk = _pool[_used:end]
    _used = end
    return chunk


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
        return f"{prefix}_{timed}{_random_bytes(n).translate(_RANDOM).decode()}"
    return f"{prefix}_{_random_bytes(length).translate(_RANDOM).decode()}"
