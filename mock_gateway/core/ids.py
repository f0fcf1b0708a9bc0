"""Object ids with Stripe's prefixes (pi_, pm_, ch_, re_, cus_, evt_, req_, ...)."""

from __future__ import annotations

import random
import string

_ALPHABET = string.ascii_letters + string.digits
_random = random.Random()  # seeded from os.urandom per process; ids only need to be unique


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + "".join(_random.choices(_ALPHABET, k=length))
