"""Forms of the same text people and pages use: full- and half-width characters, hiragana and
katakana, digits alone, and a value written with the separators of an example the page shows.
Pure functions, shared by intent.py (what people mean to type) and what they type after a message.
"""

from __future__ import annotations

import re
import unicodedata


def to_fullwidth(text: str) -> str:
    """ASCII digits, letters and - to their full-width forms (what an IME in full-width mode types)."""
    out = []
    for ch in text:
        if "!" <= ch <= "~":
            out.append("－" if ch == "-" else chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def to_halfwidth(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def digits(text: str) -> str:
    return "".join(c for c in to_halfwidth(text) if c.isdigit())


_EXAMPLE = re.compile(r"[0-9０-９+(（][0-9０-９()（）+\-－ ./／]{3,}[0-9０-９]")


def example_in(text: str) -> str | None:
    """A digit example shown on the page ("e.g. 415-555-2671", "例: 09012345678"), if any."""
    m = _EXAMPLE.search(text or "")
    return m.group(0) if m else None


def format_like(example: str, value_digits: str) -> str | None:
    """`value_digits` written with the separators of `example` (same digit count), else None."""
    ex = to_halfwidth(example)
    if sum(c.isdigit() for c in ex) != len(value_digits):
        return None
    it = iter(value_digits)
    return "".join(next(it) if c.isdigit() else c for c in ex)
