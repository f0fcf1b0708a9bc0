"""Key-by-key typing of one field value, with the slips people make and the ones they fix.

Why key by key: the time of each key and each correction is the person's, validation that runs
while typing, card-number formatting and autofill react to individual keys, and a value with a
slip left in is what produces the error messages whose effect a checkout study measures.

Keyboards (keyboards.py): slips hit keys next to the intended one on the keyboard the field
brought up (a digit pad's neighbouring digits, a phone's digits-and-symbols layer, the kana pad's
row, the kana one mistyped romaji letter makes); a phone's text keyboard costs a key to switch
between letters and digits; kanji and katakana runs cost an input-method conversion, now and then
with a wrong homophone left in.

Rates (per intended character, via the Person): slips are substitutions, omissions and insertions
in Dhakal et al.'s proportions (1.65 : 0.80 : 0.67); most are noticed while typing and fixed with
Backspace (Dhakal: 6.31% corrected against 1.17% left). A noticed slip is seen after 0-2 more
keys (assumption: no lag figure in the research file), erased back to the slip with Backspace and
retyped, with new chances of slipping.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from harness.shopper.keyboards import (
    EMAIL,
    IME_KANA,
    KANA_FLICK,
    NUMERIC_KEYPAD,
    PHONE_KEYPAD,
    QWERTY,
    QWERTY_NUMBERS,
    pad_neighbour,
    typeable,
)
from harness.shopper.person import Person
from harness.shopper.timing import is_kana, is_kanji, is_katakana, keystroke_ms

# The digits-and-symbols layer of a phone keyboard (iOS "123" layer; Android's is close).
PHONE_SYMBOLS = "phone_symbols"
_PHONE_SYMBOL_ROWS = ("1234567890", "-/:;()$&@\"", ".,?!'")

BACKSPACE = "Backspace"

# Keys typed after a slip before it is noticed: 0, 1, 2 (assumption). An omission is only visible
# once the next character appears, so its lag is one more.
NOTICE_LAG_WEIGHTS = (0.6, 0.3, 0.1)

_ROWS = ("1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./")
_KANA_ROWS = (
    "あいうえお", "かきくけこ", "さしすせそ", "たちつてと", "なにぬねの", "はひふへほ", "まみむめも",
    "やゆよ", "らりるれろ", "わをん", "がぎぐげご", "ざじずぜぞ", "だぢづでど", "ばびぶべぼ", "ぱぴぷぺぽ",
    "ぁぃぅぇぉ", "ゃゅょ", "っつ",
)
# Common kanji, for a wrong conversion choice when no better neighbour is known (assumption).
_KANJI_POOL = "田中山川本村木林井藤野原田口小大高上下谷松竹森石島"
_FALLBACK = "asdfghjklqwertyuiopzxcvbnm"


def _grid_neighbours(rows: tuple[str, ...]) -> dict[str, str]:
    pos = {ch: (r, c) for r, row in enumerate(rows) for c, ch in enumerate(row)}
    return {ch: "".join(o for o, (rr, cc) in pos.items() if o != ch and abs(rr - r) <= 1 and abs(cc - c) <= 1)
            for ch, (r, c) in pos.items()}


def _build_neighbours() -> dict[str, str]:
    pos = {ch: (r, c) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    out: dict[str, str] = {}
    for ch, (r, c) in pos.items():
        near = []
        for rr in (r - 1, r, r + 1):
            if 0 <= rr < len(_ROWS):
                for cc in (c - 1, c, c + 1):
                    if 0 <= cc < len(_ROWS[rr]) and (rr, cc) != (r, c):
                        near.append(_ROWS[rr][cc])
        out[ch] = "".join(near)
    out[" "] = "cvbnm,"
    for row in _KANA_ROWS:  # flick input: a wrong direction gives another kana of the same row
        for ch in row:
            others = row.replace(ch, "")
            kata = "".join(chr(ord(o) + 0x60) for o in others)
            out[ch] = out.get(ch, "") + others
            out[chr(ord(ch) + 0x60)] = out.get(chr(ord(ch) + 0x60), "") + kata
    return out


_NEIGHBOURS = _build_neighbours()

# Romaji of the basic kana (Hepburn as typed through an IME), for slips made on the letters: a
# slip on one letter of "ka" gives "ja" or "ko", another kana of another row or column.
_ROMAJI = dict(zip(
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
    "がぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽ",
    "a i u e o ka ki ku ke ko sa si su se so ta ti tu te to na ni nu ne no ha hi hu he ho ma mi mu me mo "
    "ya yu yo ra ri ru re ro wa wo nn ga gi gu ge go za zi zu ze zo da di du de do ba bi bu be bo "
    "pa pi pu pe po".split(),
))


def _build_romaji_neighbours() -> dict[str, str]:
    by_romaji = {r: k for k, r in _ROMAJI.items()}
    out: dict[str, str] = {}
    for kana, romaji in _ROMAJI.items():
        near = []
        for i, letter in enumerate(romaji):
            for other in _NEIGHBOURS.get(letter, ""):
                k = by_romaji.get(romaji[:i] + other + romaji[i + 1:])
                if k and k != kana and k not in near:
                    near.append(k)
        out[kana] = "".join(near)
        out[chr(ord(kana) + 0x60)] = "".join(chr(ord(k) + 0x60) for k in near)  # katakana
    return out


_ROMAJI_NEIGHBOURS = _build_romaji_neighbours()
_PHONE_SYMBOL_NEIGHBOURS = _grid_neighbours(_PHONE_SYMBOL_ROWS)


def neighbour(ch: str, rng: random.Random, avoid: str = "", keyboard: str = QWERTY) -> str:
    """A character a finger or a flick could hit instead of `ch` on `keyboard`: never `ch`, nor
    any in `avoid`. On a digit pad: a neighbouring key of the pad (never a letter); a kana typed
    in romaji: the kana one mistyped letter makes; on the kana pad: another kana of its row."""
    if keyboard in (NUMERIC_KEYPAD, PHONE_KEYPAD):
        return pad_neighbour(ch, keyboard, rng, avoid)
    if keyboard == PHONE_SYMBOLS and ch in _PHONE_SYMBOL_NEIGHBOURS:
        cands = "".join(c for c in _PHONE_SYMBOL_NEIGHBOURS[ch] if c != ch and c not in avoid)
        if cands:
            return rng.choice(cands)
    if keyboard == IME_KANA and _ROMAJI_NEIGHBOURS.get(ch):  # romaji: a slip on one of its letters
        cands = "".join(c for c in _ROMAJI_NEIGHBOURS[ch] if c not in avoid)
        if cands:
            return rng.choice(cands)
    lower = ch.lower()
    near = _NEIGHBOURS.get(lower)
    cands = near if near is not None else _KANJI_POOL if is_kanji(ch) else _FALLBACK
    if ch != lower:
        cands = cands.upper()
    cands = "".join(c for c in cands if c != ch and c not in avoid) or "".join(
        c for c in _FALLBACK if c != ch and c not in avoid)
    return rng.choice(cands)


@dataclass(frozen=True)
class Keystroke:
    """One key: a single character (typed or inserted) or "Backspace"; the human delay before it."""

    key: str
    delay_ms: float


@dataclass(frozen=True)
class TypingPlan:
    """The keys for one field and what the person made of it."""

    keys: tuple[Keystroke, ...]
    intended: str
    final: str
    slips: int  # all slips made
    corrected: int  # slips noticed and fixed while typing
    left: int  # slips left in (each makes the final value differ where it happened)

    @property
    def time_ms(self) -> float:
        return sum(k.delay_ms for k in self.keys)


def apply_keystrokes(keys: list[Keystroke] | tuple[Keystroke, ...], initial: str = "") -> str:
    """The field's value after the keys, typed at the end of `initial` (the caret stays at the end)."""
    buf = list(initial)
    for k in keys:
        if k.key == BACKSPACE:
            if buf:
                buf.pop()
        else:
            buf.append(k.key)
    return "".join(buf)


def _layer(ch: str, keyboard: str) -> int:
    """Which layer of a phone's text keyboard `ch` is on: 0 letters (or kana), 1 digits and
    symbols ("123" key on iOS and Android; "@" and "." sit on the letter layer of the email
    keyboard). Digit pads have one layer."""
    if keyboard in (NUMERIC_KEYPAD, PHONE_KEYPAD):
        return 0
    if keyboard == EMAIL and ch in "@.":
        return 0
    if ch == " " or (ch.isascii() and ch.isalpha()) or is_kana(ch) or is_kanji(ch):
        return 0
    return 1


def _japanese_runs(text: str, start: int) -> list[tuple[int, int, bool]]:
    """(begin, end, has_kanji) of each run of kanji/katakana from `start`: what the input method
    converts in one step (hiragana is confirmed as typed)."""
    runs = []
    i = start
    while i < len(text):
        if is_kanji(text[i]) or is_katakana(text[i]):
            j = i
            while j < len(text) and (is_kanji(text[j]) or is_katakana(text[j]) or text[j] == "ー"):
                j += 1
            runs.append((i, j, any(is_kanji(c) for c in text[i:j])))
            i = j
        else:
            i += 1
    return runs


def _plan(person: Person, text: str, rng: random.Random, start: int = 0, keyboard: str = QWERTY) -> TypingPlan:
    """Type text[start:] after text[:start] is already in the field, on `keyboard`.

    On a phone's text keyboard, moving between letters and digits/symbols costs a key (the layer
    switch). Japanese kanji and katakana go through the input method: at the end of each run the
    person converts (`ime_convert_ms`, plus `ime_select_ms` when the wanted candidate is not the
    first); now and then a wrong homophone is confirmed and left in (a slip left)."""
    q = person.error_per_attempt
    s = person.notice_share
    kinds = [k for k, _ in person.error_kinds]
    weights = [w for _, w in person.error_kinds]
    keys: list[Keystroke] = []
    switching = person.device.is_phone and keyboard not in (NUMERIC_KEYPAD, PHONE_KEYPAD)
    layer = [1 if keyboard == QWERTY_NUMBERS else 0]

    # the input method's conversions, decided per run before typing (draws only for Japanese)
    target = list(text)
    convert_at: dict[int, float] = {}  # index of a run's last character -> conversion time
    wrong = 0
    for begin, end, has_kanji in _japanese_runs(text, start):
        t = person.ime_convert_ms
        if has_kanji and rng.random() < person.ime_not_first:
            t += person.ime_select_ms
        if has_kanji and rng.random() < person.ime_wrong_candidate:
            at = begin + int(rng.random() * (end - begin))
            if is_kanji(text[at]):
                target[at] = neighbour(text[at], rng)
                wrong += 1
        convert_at[end - 1] = t
    typed_text = "".join(target)

    def press(ch: str, extra: float = 0.0) -> None:
        delay = keystroke_ms(person, ch, rng, keyboard) + extra
        if switching and _layer(ch, keyboard) != layer[0]:
            layer[0] = _layer(ch, keyboard)
            delay += keystroke_ms(person, None, rng, keyboard)
        keys.append(Keystroke(ch, delay))

    slips = corrected = 0
    left = wrong
    slips += wrong
    n = len(typed_text)
    i = start
    while i < n:
        c = typed_text[i]
        if rng.random() >= q:
            press(c, convert_at.get(i, 0.0))
            i += 1
            continue
        slips += 1
        kind = rng.choices(kinds, weights)[0]
        noticed = rng.random() < s
        prev = typed_text[i - 1] if i > 0 else ""
        if kind == "substitution":
            typed = [neighbour(c, rng, avoid=text[i], keyboard=_slip_layout(person, c, keyboard))]
        elif kind == "insertion":
            # The extra key differs from the intended key and from the previous one, so that an
            # insertion can never cancel an earlier omission inside a run of equal characters.
            typed = [neighbour(c, rng, avoid=prev + text[i], keyboard=_slip_layout(person, c, keyboard)), c]
        else:
            typed = []
        for ch in typed:
            press(ch)
        if not noticed:
            left += 1
            i += 1
            continue
        corrected += 1
        lag = rng.choices((0, 1, 2), NOTICE_LAG_WEIGHTS)[0] + (1 if kind == "omission" else 0)
        lag = min(lag, n - (i + 1))
        for ch in typed_text[i + 1 : i + 1 + lag]:
            press(ch)
        for _ in range(len(typed) + lag):
            keys.append(Keystroke(BACKSPACE, keystroke_ms(person, None, rng, keyboard)))
        # resume at the slip: the character is attempted again, with a new chance to slip
    final = apply_keystrokes(keys, text[:start])
    return TypingPlan(tuple(keys), text, final, slips, corrected, left)


def _slip_layout(person: Person, ch: str, keyboard: str) -> str:
    """The layout under the finger for a slip on `ch`: a phone's digits and symbols are on their
    own layer (a digit slips to a digit or symbol beside it, never to a letter)."""
    if person.device.is_phone and keyboard not in (NUMERIC_KEYPAD, PHONE_KEYPAD) and _layer(ch, keyboard) == 1:
        return PHONE_SYMBOLS
    return keyboard


def own_keyboard(person: Person, keyboard: str) -> str:
    """The keyboard this person actually uses: a phone user who types Japanese in romaji (not on
    the kana pad) gets the QWERTY keyboard with the input method."""
    return IME_KANA if keyboard == KANA_FLICK and not person.kana_pad else keyboard


def plan_typing_detailed(person: Person, text: str, rng: random.Random, keyboard: str = QWERTY) -> TypingPlan:
    """Plan typing `text` into an empty field on `keyboard` (see keyboards.keyboard_for).

    A digit pad cannot type what it lacks (a hyphen on a numeric pad): `intended` is then the part
    of `text` the keyboard can type, and slips go to neighbouring keys of that pad."""
    keyboard = own_keyboard(person, keyboard)
    return _plan(person, typeable(text, keyboard), rng, keyboard=keyboard)


def plan_typing(person: Person, text: str, rng: random.Random, keyboard: str = QWERTY) -> list[Keystroke]:
    """The keys a person presses to type `text` into an empty field, with human delays."""
    return list(plan_typing_detailed(person, text, rng, keyboard).keys)


def plan_fix(person: Person, current: str, intended: str, rng: random.Random, keyboard: str = QWERTY) -> TypingPlan:
    """Fix a field after noticing an error: Backspace to the first wrong character, retype the rest.

    Retyping brings new chances to slip. `apply_keystrokes(plan.keys, current) == plan.final`.
    Assumes the person found where the value goes wrong (they read the message and the value).
    """
    keyboard = own_keyboard(person, keyboard)
    intended = typeable(intended, keyboard)
    p = 0
    while p < min(len(current), len(intended)) and current[p] == intended[p]:
        p += 1
    erase = [Keystroke(BACKSPACE, keystroke_ms(person, None, rng, keyboard)) for _ in range(len(current) - p)]
    rest = _plan(person, intended, rng, start=p, keyboard=keyboard)
    return TypingPlan(tuple(erase) + rest.keys, intended, rest.final, rest.slips, rest.corrected, rest.left)
