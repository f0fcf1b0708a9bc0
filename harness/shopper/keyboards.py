"""Which keyboard a person types a field on, and which keys that keyboard has next to each other.

Why: slips follow the layout under the finger. On a phone the browser chooses the on-screen
keyboard from the field's `type` and `inputmode` (HTML Living Standard, "inputmode" attribute;
MDN: type=tel shows a telephone keypad, type=email a keyboard with "@" and ".", inputmode=numeric
and decimal a digit pad): a digit pad cannot produce a letter, so "digits only" errors come from
QWERTY keyboards only. `autocomplete` does not change the keyboard in browsers (it names what to
fill, not how to type); it is accepted so that callers can pass what they read off the page.

Japanese text is typed through an input method: on phones most people use the 12-key kana keypad
with flicks (kana_flick); on desktops romaji on QWERTY converted by the IME (ime_kana), with a
conversion step for kanji. Latin text on a ja_JP phone is typed on the QWERTY (romaji) keyboard.
"""

from __future__ import annotations

import random

QWERTY = "qwerty"
QWERTY_NUMBERS = "qwerty_numbers"  # the text keyboard opened on its digits-and-symbols layer
EMAIL = "email"
NUMERIC_KEYPAD = "numeric_keypad"
PHONE_KEYPAD = "phone_keypad"
KANA_FLICK = "kana_flick"
IME_KANA = "ime_kana"
KEYBOARDS = (QWERTY, QWERTY_NUMBERS, EMAIL, NUMERIC_KEYPAD, PHONE_KEYPAD, KANA_FLICK, IME_KANA)

# Keys each pad can type. A character a keyboard lacks cannot be typed on it (the person leaves
# it out: a hyphen in a phone number on a digit pad).
NUMERIC_KEYS = frozenset("0123456789")
# The phone keypad as iOS shows it for type=tel: a 3x4 grid of digits with "+*#" on a second
# layer; no hyphen, parentheses, dot or space (Android's pad has some of them on a second layer).
# assumption: the iOS pad is modelled (most phones in the US and Japan are iPhones).
PHONE_KEYS = frozenset("0123456789*#+")

# 3x4 pad geometry (row, column); * and # stand beside 0 on the phone pad.
_PAD = {"1": (0, 0), "2": (0, 1), "3": (0, 2), "4": (1, 0), "5": (1, 1), "6": (1, 2),
        "7": (2, 0), "8": (2, 1), "9": (2, 2), "*": (3, 0), "0": (3, 1), "#": (3, 2)}


def _pad_neighbours(keys: frozenset[str]) -> dict[str, str]:
    """Keys sharing an edge or a corner with each key, restricted to what the pad can type."""
    out: dict[str, str] = {}
    for k, (r, c) in _PAD.items():
        if k not in keys:
            continue
        out[k] = "".join(o for o, (rr, cc) in _PAD.items()
                         if o != k and o in keys and o.isdigit() and abs(rr - r) <= 1 and abs(cc - c) <= 1)
    return out


NUMERIC_NEIGHBOURS = _pad_neighbours(NUMERIC_KEYS)
PHONE_NEIGHBOURS = _pad_neighbours(PHONE_KEYS)


def _has_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"
               or "\uff01" <= ch <= "\uff9f" for ch in text)


def keyboard_for(is_phone: bool, locale: str, input_type: str = "", inputmode: str = "",
                 autocomplete: str = "", text: str = "") -> str:
    """The keyboard this person types `text` into this field on.

    Phone: inputmode wins over type (HTML: inputmode is the author's hint for the virtual
    keyboard; MDN "inputmode": tel is a telephone keypad with 0-9, * and #, numeric and decimal
    digit pads); tel -> phone_keypad; numeric/decimal -> numeric_keypad; email -> email;
    type=number without inputmode -> the text keyboard on its digits layer (what iOS shows;
    assumption: iOS stands for phones); else QWERTY, or kana_flick for Japanese text in ja_JP. Desktop: QWERTY, or
    ime_kana for Japanese text (romaji through the IME). `text` is what the person means to type:
    Japanese people switch to the kana keypad or the IME only for Japanese text.
    """
    japanese = _has_japanese(text)
    if not is_phone:
        return IME_KANA if japanese else QWERTY
    mode = (inputmode or "").strip().lower()
    typ = (input_type or "").strip().lower()
    if mode in ("tel",):
        return PHONE_KEYPAD
    if mode in ("numeric", "decimal"):
        return NUMERIC_KEYPAD
    if mode == "email":
        return EMAIL
    if mode in ("", "text", "search", "url"):
        if mode == "" and typ == "tel":
            return PHONE_KEYPAD
        if mode == "" and typ == "number":
            return QWERTY_NUMBERS
        if mode == "" and typ == "email":
            return EMAIL
    if japanese and locale == "ja_JP":
        return KANA_FLICK
    return QWERTY


def typeable(text: str, keyboard: str) -> str:
    """The part of `text` a keyboard can type: pads drop what they lack (full-width digits are
    typed as their ASCII form, since a digit pad emits ASCII)."""
    if keyboard not in (NUMERIC_KEYPAD, PHONE_KEYPAD):
        return text
    keys = NUMERIC_KEYS if keyboard == NUMERIC_KEYPAD else PHONE_KEYS
    out = []
    for ch in text:
        if "\uff10" <= ch <= "\uff19":
            ch = chr(ord(ch) - 0xFEE0)
        if ch in keys:
            out.append(ch)
    return "".join(out)


def pad_neighbour(ch: str, keyboard: str, rng: random.Random, avoid: str = "") -> str:
    """A digit next to `ch` on a digit pad, never `ch` ("*" and "#" sit on a second layer of the
    iOS phone pad and the digit pad has none, so a slip is always a digit)."""
    table = NUMERIC_NEIGHBOURS if keyboard == NUMERIC_KEYPAD else PHONE_NEIGHBOURS
    keys = NUMERIC_KEYS if keyboard == NUMERIC_KEYPAD else PHONE_KEYS
    cands = "".join(c for c in table.get(ch, "") if c != ch and c not in avoid)
    if not cands:  # a symbol off the grid (+ - ( ) . space): its slip is a digit
        cands = "".join(c for c in sorted(keys & NUMERIC_KEYS) if c != ch and c not in avoid)
    return rng.choice(cands)
