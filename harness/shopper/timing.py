"""Human time for single actions: keystrokes, pointing, reading (Keystroke-Level Model operators).

The model returns milliseconds and never sleeps; HumanClock decides whether time passes for real.
Sources: Card, Moran & Newell 1980/1983 (KLM, values as tabulated by Kieras), Dhakal et al. 2018
and Palin et al. 2019 (typing), Soukoreff & MacKenzie 2004 (Fitts's law, Shannon form; the
research file marks the throughput figures "to be checked"), Brysbaert 2019 (reading).
"""

from __future__ import annotations

import math
import random
import re
import unicodedata

from harness.shopper.person import Person

CHARS_PER_WORD = 5.0  # the convention behind wpm in Dhakal et al. and Palin et al.

# Keystroke equivalents per character. assumption (not in the research file): Japanese is typed
# through an input method: a kana takes ~2 romaji keys on a keyboard or a tap plus a flick on a
# phone; a kanji ~2 kana of its reading. Converting a run of kanji (choosing the candidate) is
# timed separately, once per run (keystrokes.py, Person.ime_convert_ms).
KANA_KEYS = 2.0
KANJI_KEYS = 4.0
# assumption (refined in docs/shopper-model.md): a kana on the 12-key flick pad is one touch with
# a direction, slower than a QWERTY tap but fewer touches than romaji.
KANA_FLICK_KEYS = 1.5

# Reading Japanese: assumption that ~2.5 characters carry what one English word does (Brysbaert 2019
# notes that rates in other languages follow from the words needed for the same message).
CJK_CHARS_PER_WORD = 2.5

_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['’.-][A-Za-z0-9\u00C0-\u024F]+)*")


def is_kana(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f"


def is_katakana(ch: str) -> bool:
    return "\u30a1" <= ch <= "\u30fa" or "\uff66" <= ch <= "\uff9d"


def is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def key_cost(ch: str | None, keyboard: str = "qwerty") -> float:
    """How many keystroke times one character costs on `keyboard` (Backspace and ASCII: 1).

    On the kana flick keypad a kana is one tap with a flick (KANA_FLICK_KEYS), through a desktop
    IME ~2 romaji keys (KANA_KEYS); a kanji is its reading plus choosing the conversion."""
    if ch is None or len(ch) != 1:
        return 1.0
    if is_kana(ch):
        return KANA_FLICK_KEYS if keyboard == "kana_flick" else KANA_KEYS
    if is_kanji(ch):
        return KANJI_KEYS / KANA_KEYS * KANA_FLICK_KEYS if keyboard == "kana_flick" else KANJI_KEYS
    return 1.0


def keyboard_factor(person: Person, keyboard: str) -> float:
    """The person's time per key on `keyboard` relative to their text keyboard (the device's
    QWERTY, whose speed the person's wpm is): digit pads are faster per key (see Person)."""
    if keyboard in ("numeric_keypad", "phone_keypad"):
        return person.keypad_factor
    return 1.0


def keystroke_ms(person: Person, ch: str | None, rng: random.Random, keyboard: str = "qwerty") -> float:
    """Delay before one key: lognormal around the person's mean interval (12000 / wpm ms), scaled
    for the keyboard.

    Lognormal because intervals are positive and right-skewed; its spread is the persona's
    `keystroke_cv` (within one person).
    """
    mean = person.ms_per_keystroke * key_cost(ch, keyboard) * keyboard_factor(person, keyboard)
    cv = person.keystroke_cv
    if cv <= 0:
        return mean
    s2 = math.log(1.0 + cv * cv)
    return rng.lognormvariate(math.log(mean) - s2 / 2.0, math.sqrt(s2))


def fitts_bits(distance_px: float, width_px: float) -> float:
    """Index of difficulty, Shannon form: log2(D / W + 1) (Soukoreff & MacKenzie 2004)."""
    if width_px <= 0:
        raise ValueError("target width must be positive")
    return math.log2(max(distance_px, 0.0) / width_px + 1.0)


def pointing_ms(person: Person, distance_px: float, width_px: float) -> float:
    """P: move the pointer (mouse or thumb) to a target: a + b * ID, b = 1 / throughput.

    Without the click; see `Person.click_ms` (KLM B).
    """
    return person.fitts_a_ms + person.fitts_b_ms_per_bit * fitts_bits(distance_px, width_px)


def word_count(text: str) -> float:
    """Words in English terms: Latin-script words, plus CJK characters / 2.5 (assumption)."""
    latin = len(_WORD.findall(text))
    cjk = sum(1 for ch in text if is_kana(ch) or is_kanji(ch) or unicodedata.east_asian_width(ch) == "W"
              and unicodedata.category(ch).startswith("L"))
    return latin + cjk / CJK_CHARS_PER_WORD


def reading_ms(person: Person, text: str) -> float:
    """Time to read a message silently at the person's reading speed (Brysbaert 2019)."""
    return word_count(text) / person.reading_wpm * 60_000.0
