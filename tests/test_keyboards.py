"""Device keyboards (harness/shopper/keyboards.py, keystrokes.py): which keyboard a field gets,
slips that follow that keyboard's layout, and what each keyboard costs in time. All can fail."""

from __future__ import annotations

import dataclasses
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.shopper import BACKSPACE, apply_keystrokes, plan_fix, plan_typing_detailed
from harness.shopper.keyboards import (
    EMAIL,
    IME_KANA,
    KANA_FLICK,
    KEYBOARDS,
    NUMERIC_KEYPAD,
    PHONE_KEYPAD,
    QWERTY,
    QWERTY_NUMBERS,
    keyboard_for,
    typeable,
)
from harness.shopper.keystrokes import _NEIGHBOURS, neighbour
from tests.shopper_support import people


def phone_person():  # type: ignore[no-untyped-def]
    return people("phone-typical", 1)[0]


def desktop_person():  # type: ignore[no-untyped-def]
    return people("desktop-typical", 1)[0]


def clumsy(person, kinds=(("substitution", 1.0),), noticed: bool = False):  # type: ignore[no-untyped-def]
    """A person who slips often (and, unless `noticed`, never notices): every path is exercised."""
    return dataclasses.replace(person, uncorrected_error_rate=0.0 if noticed else 0.3,
                               corrected_error_rate=0.3 if noticed else 0.0, error_kinds=kinds)


def steady(person):  # type: ignore[no-untyped-def]
    """No slips and no spread in key times: time differences come from the keyboard only."""
    return dataclasses.replace(person, uncorrected_error_rate=0.0, corrected_error_rate=0.0, keystroke_cv=0.0)


# -- which keyboard --------------------------------------------------------------------------------

@pytest.mark.parametrize(("is_phone", "locale", "typ", "mode", "text", "expected"), [
    (True, "en_US", "tel", "", "4155552671", PHONE_KEYPAD),
    (True, "en_US", "text", "tel", "4155552671", PHONE_KEYPAD),
    (True, "en_US", "text", "numeric", "94107", NUMERIC_KEYPAD),
    (True, "en_US", "text", "decimal", "12", NUMERIC_KEYPAD),
    (True, "en_US", "number", "", "94107", QWERTY_NUMBERS),  # iOS: the text keyboard's digits layer
    (True, "en_US", "email", "", "a@example.com", EMAIL),
    (True, "en_US", "text", "email", "a@example.com", EMAIL),
    (True, "en_US", "tel", "text", "4155552671", QWERTY),  # inputmode wins over type
    (True, "en_US", "text", "", "Main St", QWERTY),
    (True, "ja_JP", "text", "", "ヤマダ", KANA_FLICK),
    (True, "ja_JP", "text", "", "山田", KANA_FLICK),
    (True, "ja_JP", "text", "", "taro@example.com", QWERTY),
    (True, "ja_JP", "tel", "", "090-1234-5678", PHONE_KEYPAD),
    (False, "en_US", "tel", "numeric", "4155552671", QWERTY),  # desktops keep their keyboard
    (False, "ja_JP", "text", "", "山田", IME_KANA),
    (False, "ja_JP", "text", "", "1-2-3", QWERTY),
])
def test_keyboard_follows_type_inputmode_and_what_is_typed(is_phone, locale, typ, mode, text, expected) -> None:  # type: ignore[no-untyped-def]
    assert keyboard_for(is_phone, locale, typ, mode, "", text) == expected


def test_autocomplete_does_not_change_the_keyboard() -> None:
    assert keyboard_for(True, "en_US", "text", "", "tel", "4155552671") == QWERTY
    assert keyboard_for(True, "en_US", "text", "", "cc-number", "4242") == QWERTY


# -- slips follow the layout -------------------------------------------------------------------------

DIGITS = st.text(alphabet=st.sampled_from(list("0123456789")), min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(text=DIGITS, seed=st.integers(0, 2**32), pad=st.sampled_from([NUMERIC_KEYPAD, PHONE_KEYPAD]),
       kinds=st.sampled_from([(("substitution", 1.0),), (("insertion", 1.0),),
                              (("substitution", 1.65), ("omission", 0.8), ("insertion", 0.67))]),
       noticed=st.booleans())
def test_keypad_slips_are_digits(text: str, seed: int, pad: str, kinds, noticed: bool) -> None:  # type: ignore[no-untyped-def]
    plan = plan_typing_detailed(clumsy(phone_person(), kinds, noticed), text, random.Random(seed), keyboard=pad)
    assert all(k.key == BACKSPACE or k.key.isdigit() for k in plan.keys)
    assert apply_keystrokes(plan.keys) == plan.final and plan.final.isdigit() | (plan.final == "")


_PAD = {"1": (0, 0), "2": (0, 1), "3": (0, 2), "4": (1, 0), "5": (1, 1), "6": (1, 2),
        "7": (2, 0), "8": (2, 1), "9": (2, 2), "0": (3, 1)}


@settings(max_examples=100, deadline=None)
@given(text=DIGITS, seed=st.integers(0, 2**32))
def test_keypad_substitutions_hit_a_neighbouring_key(text: str, seed: int) -> None:
    plan = plan_typing_detailed(clumsy(phone_person()), text, random.Random(seed), keyboard=NUMERIC_KEYPAD)
    assert len(plan.final) == len(text)
    for meant, typed in zip(text, plan.final):
        if meant != typed:
            (r1, c1), (r2, c2) = _PAD[meant], _PAD[typed]
            assert max(abs(r1 - r2), abs(c1 - c2)) == 1, (meant, typed)


LETTERS = st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz")), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(text=LETTERS, seed=st.integers(0, 2**32), device=st.sampled_from(["phone", "desktop"]))
def test_qwerty_substitutions_are_neighbouring_keys(text: str, seed: int, device: str) -> None:
    person = phone_person() if device == "phone" else desktop_person()
    plan = plan_typing_detailed(clumsy(person), text, random.Random(seed), keyboard=QWERTY)
    assert len(plan.final) == len(text)
    for meant, typed in zip(text, plan.final):
        if meant != typed:
            assert typed in _NEIGHBOURS[meant], (meant, typed)


@settings(max_examples=100, deadline=None)
@given(text=DIGITS, seed=st.integers(0, 2**32))
def test_digits_on_a_phone_qwerty_slip_to_digits_or_symbols_never_letters(text: str, seed: int) -> None:
    """A phone's digits are on their own layer: no letter sits next to them."""
    for keyboard in (QWERTY, QWERTY_NUMBERS):
        plan = plan_typing_detailed(clumsy(phone_person()), text, random.Random(seed), keyboard=keyboard)
        assert not any(ch.isalpha() for ch in plan.final)


def test_digits_on_a_desktop_qwerty_can_slip_to_letters() -> None:
    """...whereas on a desktop keyboard the number row has letters beneath it."""
    letters = {neighbour(d, random.Random(i)) for d in "1234567890" for i in range(20)}
    assert any(ch.isalpha() for ch in letters)


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("abcXYZ0123456789 @.-()+田中アイウあい")), max_size=30),
       seed=st.integers(0, 2**32), keyboard=st.sampled_from(KEYBOARDS), who=st.integers(0, 19),
       noticed=st.booleans())
def test_every_keyboard_types_what_it_plans(text: str, seed: int, keyboard: str, who: int, noticed: bool) -> None:
    person = clumsy(people("japan-mix", 20)[who], (("substitution", 1.65), ("omission", 0.8), ("insertion", 0.67)),
                    noticed)
    plan = plan_typing_detailed(person, text, random.Random(seed), keyboard=keyboard)
    assert plan.intended == typeable(text, keyboard)
    assert apply_keystrokes(plan.keys) == plan.final
    assert (plan.final != plan.intended) == (plan.left > 0)
    assert all(k.delay_ms > 0 for k in plan.keys)
    fix = plan_fix(person, plan.final, text, random.Random(seed + 1), keyboard=keyboard)
    assert apply_keystrokes(fix.keys, plan.final) == fix.final


def test_a_digit_pad_cannot_type_separators() -> None:
    plan = plan_typing_detailed(steady(phone_person()), "(415) 555-2671", random.Random(1), keyboard=PHONE_KEYPAD)
    assert plan.final == plan.intended == "4155552671"
    assert typeable("+81 90-1234-5678", PHONE_KEYPAD) == "+819012345678"
    assert typeable("０９０", NUMERIC_KEYPAD) == "090"


# -- time per keyboard -----------------------------------------------------------------------------

def test_digit_pad_keys_take_the_persons_keypad_factor() -> None:
    p = dataclasses.replace(steady(phone_person()), keypad_factor=0.8)
    text = "4155552671"
    pad = plan_typing_detailed(p, text, random.Random(1), keyboard=NUMERIC_KEYPAD).time_ms
    # on the phone's QWERTY the same digits cost one extra key to reach the digits layer
    qwerty = plan_typing_detailed(p, text, random.Random(1), keyboard=QWERTY).time_ms
    assert pad == pytest.approx(0.8 * len(text) * p.ms_per_keystroke)
    assert qwerty == pytest.approx((len(text) + 1) * p.ms_per_keystroke)
    # type=number opens the text keyboard on its digits layer: no switch for digits
    numbers = plan_typing_detailed(p, text, random.Random(1), keyboard=QWERTY_NUMBERS).time_ms
    assert numbers == pytest.approx(len(text) * p.ms_per_keystroke)


def test_keypad_factor_spreads_around_the_persona_value() -> None:
    xs = [p.keypad_factor for p in people("phone-typical", 2000)]
    assert min(xs) >= 0.7 and max(xs) <= 0.9 and statistics.fmean(xs) == pytest.approx(0.8, abs=0.01)


def test_phone_layer_switches_cost_a_key_desktop_none() -> None:
    phone = steady(phone_person())
    desk = steady(desktop_person())
    for p, extra in ((phone, 3), (desk, 0)):  # to digits, back to letters, to digits
        mixed = plan_typing_detailed(p, "ab12cd34", random.Random(1)).time_ms
        plain = plan_typing_detailed(p, "abcdefgh", random.Random(1)).time_ms
        assert mixed - plain == pytest.approx(extra * p.ms_per_keystroke)
    # "@" and "." are on the email keyboard's letter layer
    at = plan_typing_detailed(phone, "a@b.c", random.Random(1), keyboard=EMAIL).time_ms
    assert at == pytest.approx(5 * phone.ms_per_keystroke)


def test_kanji_go_through_a_conversion_step() -> None:
    base = dataclasses.replace(steady(people("japan-mix", 1)[0]), ime_convert_ms=600.0, ime_select_ms=1500.0,
                               ime_not_first=0.0, ime_wrong_candidate=0.0)
    name = "山田"
    kanji_keys = plan_typing_detailed(base, name, random.Random(1), keyboard=IME_KANA)
    no_ime = dataclasses.replace(base, ime_convert_ms=0.0)
    assert kanji_keys.time_ms - plan_typing_detailed(no_ime, name, random.Random(1), keyboard=IME_KANA).time_ms \
        == pytest.approx(600.0)
    choosing = dataclasses.replace(base, ime_not_first=1.0)
    assert plan_typing_detailed(choosing, name, random.Random(1), keyboard=IME_KANA).time_ms \
        == pytest.approx(kanji_keys.time_ms + 1500.0)
    # hiragana is confirmed as typed: no conversion
    assert plan_typing_detailed(base, "やまだ", random.Random(1), keyboard=IME_KANA).time_ms \
        == plan_typing_detailed(no_ime, "やまだ", random.Random(1), keyboard=IME_KANA).time_ms


def test_a_wrong_conversion_candidate_is_left_in_as_a_slip() -> None:
    p = dataclasses.replace(steady(people("japan-mix", 1)[0]), ime_wrong_candidate=1.0, kana_pad=True)
    plan = plan_typing_detailed(p, "山田 太郎", random.Random(4), keyboard=KANA_FLICK)
    assert plan.left == 2 and plan.final != plan.intended
    assert sum(a != b for a, b in zip(plan.final, plan.intended)) == 2  # one kanji per run


def test_flick_kana_is_cheaper_than_romaji_through_the_ime() -> None:
    p = dataclasses.replace(steady(people("japan-mix", 1)[0]), kana_pad=True)
    flick = plan_typing_detailed(p, "やまだ", random.Random(1), keyboard=KANA_FLICK).time_ms
    romaji = plan_typing_detailed(p, "やまだ", random.Random(1), keyboard=IME_KANA).time_ms
    assert flick < romaji


def test_phone_users_without_the_kana_pad_type_japanese_in_romaji() -> None:
    """The persona's kana_pad_share of Japanese phone users type on the 12-key kana pad; the
    others get the QWERTY keyboard with the input method (romaji: more keys per kana)."""
    ps = people("japan-mix", 3000)
    share = sum(p.kana_pad for p in ps) / len(ps)
    assert share == pytest.approx(0.59, abs=0.04)
    pad = dataclasses.replace(steady(ps[0]), kana_pad=True)
    romaji = dataclasses.replace(pad, kana_pad=False)
    t_pad = plan_typing_detailed(pad, "やまだ", random.Random(1), keyboard=KANA_FLICK).time_ms
    t_romaji = plan_typing_detailed(romaji, "やまだ", random.Random(1), keyboard=KANA_FLICK).time_ms
    assert t_romaji == pytest.approx(plan_typing_detailed(pad, "やまだ", random.Random(1), keyboard=IME_KANA).time_ms)
    assert t_romaji > t_pad


KANA = st.text(alphabet=st.sampled_from(list("かきくけこさしすせそたちつてとなにぬねのまみむめもらりるれろ")),
               min_size=1, max_size=15)


@settings(max_examples=80, deadline=None)
@given(text=KANA, seed=st.integers(0, 2**32), katakana=st.booleans())
def test_romaji_slips_give_the_kana_one_mistyped_letter_makes(text: str, seed: int, katakana: bool) -> None:
    """Through the desktop IME a slip hits a letter of the romaji: か (ka) can become ま (ma),
    never a character of another script; on the kana pad a slip stays in the kana's row."""
    from harness.shopper.keystrokes import _ROMAJI, _ROMAJI_NEIGHBOURS

    if katakana:
        text = "".join(chr(ord(c) + 0x60) for c in text)
    person = clumsy(desktop_person())
    plan = plan_typing_detailed(person, text, random.Random(seed), keyboard=IME_KANA)
    assert len(plan.final) == len(text)
    for meant, typed in zip(text, plan.final):
        if meant != typed:
            assert typed in _ROMAJI_NEIGHBOURS[meant] or (not _ROMAJI_NEIGHBOURS[meant] and typed in _NEIGHBOURS[meant])
    hira = "".join(chr(ord(c) - 0x60) if katakana else c for c in text)
    assert all(c in _ROMAJI for c in hira)
