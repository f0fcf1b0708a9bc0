"""What people mean to type (harness/shopper/intent.py): the formats they use at the persona's
rates, steered by what the page shows, the same for the same person, and fixed only when the
message says enough. All of these can fail."""

from __future__ import annotations

import dataclasses
import functools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.shopper.intent import (
    KINDS,
    FieldHints,
    Intent,
    classify,
    fix_understood,
    intended_entry,
    intent_rng,
    is_specific,
    value_after_fix,
)
from harness.shopper.person import sample_person
from scenarios.personas import DEFAULT_INTENT
from tests.shopper_support import people, persona

N = 4000  # people per rate test: a share of 0.45 then has a standard error of 0.008




@functools.cache
def data(name: str):  # type: ignore[no-untyped-def]
    """One shopper's data: what varies between people here is the person, not the data."""
    return people(name, 1)[0].data


def kinds(name: str, key: str, hints: FieldHints, n: int = N) -> list[str | None]:
    d = data(name)
    return [intended_entry(key, d, p, None, hints).kind for p in people(name, n)]


def habits(name: str, key: str, hints: FieldHints, n: int = N) -> list[str | None]:
    d = data(name)
    return [intended_entry(key, d, p, None, hints).habit for p in people(name, n)]


def share(xs: list, value: object) -> float:  # type: ignore[type-arg]
    return sum(x == value for x in xs) / len(xs)


def within(observed: float, p: float, n: int, z: float = 4.0) -> bool:
    """Binomial tolerance: 4 standard errors (a false alarm about once in 15,000 runs)."""
    return abs(observed - p) <= z * math.sqrt(max(p * (1 - p), 1e-6) / n) + 1e-9


# -- rates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "key", "kind"), [
    ("phone-typical", "phone", "phone_digits_only"),
    ("phone-typical", "phone", "phone_separators"),
    ("phone-typical", "phone", "phone_country_code"),
    ("phone-typical", "postal_code", "zip_plus4"),
    ("desktop-typical", "card_exp", "expiry_no_separator"),
    ("desktop-typical", "card_exp", "expiry_full_year"),
    ("desktop-typical", "card_number", "card_number_spaces"),
    ("desktop-typical", "region", "region_full_name"),
    ("japan-mix", "family_name_kana", "kanji_in_kana"),
    ("japan-mix", "address_line1", "fullwidth_digits"),
])
def test_intent_rates_match_the_persona(name: str, key: str, kind: str) -> None:
    """With no format shown, the share of people typing each form is the persona's rate."""
    observed = share(habits(name, key, FieldHints(label=key)), kind)
    p = persona(name).intent.rates
    assert within(observed, dict(p)[kind], N), (observed, dict(p)[kind])


def test_email_domain_typos_match_the_persona_and_stay_valid_addresses() -> None:
    import re

    n = 20_000
    ps = people("phone-typical", n)
    d = data("phone-typical")
    intents = [intended_entry("email", d, p, None, FieldHints(label="Email")) for p in ps]
    typos = [i for i in intents if i.kind == "email_domain_typo"]
    assert within(len(typos) / n, 0.01, n)
    for i in typos:
        assert i.value != i.canonical
        assert re.fullmatch(r"[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+", i.value), i.value
        assert i.value.split("@")[0] == i.canonical.split("@")[0]  # only the domain changes


def test_japanese_name_order_is_one_habit_for_both_name_fields() -> None:
    """A person who puts the family name first does so in both fields; Latin labels ("First
    name") show the habit half the time, the card name half the time, kanji labels (名) never."""
    d = data("japan-mix")
    latin = [(intended_entry("given_name", d, p, None, FieldHints(label="First name")).kind,
              intended_entry("family_name", d, p, None, FieldHints(label="Last name")).kind)
             for p in people("japan-mix", N)]
    assert all(a == b for a, b in latin)
    r = dict(persona("japan-mix").intent.rates)["name_order"]
    assert within(share([a for a, _ in latin], "name_order"), r * 0.5, N)
    card = kinds("japan-mix", "card_name", FieldHints(label="Name on card"))
    assert within(share(card, "name_order"), r * 0.5, N)
    # the same people: whoever swaps on the card swaps in the split fields too
    assert [c == "name_order" for c in card] == [a == "name_order" for a, _ in latin]
    assert share(kinds("japan-mix", "given_name", FieldHints(label="名")), "name_order") == 0.0


def test_full_width_digits_are_one_habit_of_the_person() -> None:
    d = data("japan-mix")
    ps = people("japan-mix", N)
    rows = [[intended_entry(k, d, p, None, FieldHints(label=k)).habit == "fullwidth_digits"
             for k in ("phone", "postal_code", "card_number", "address_line1")] for p in ps]
    assert all(len(set(r)) == 1 for r in rows)
    assert within(share([r[0] for r in rows], True), dict(persona("japan-mix").intent.rates)["fullwidth_digits"], N)


def test_a_persona_without_an_intent_table_types_the_data_as_it_is() -> None:
    p = dataclasses.replace(persona("japan-mix"), intent=DEFAULT_INTENT)
    d = data("japan-mix")
    for i in range(300):
        person = sample_person(p, i)
        for key in ("phone", "postal_code", "card_exp", "email", "family_name_kana", "address_line1"):
            assert intended_entry(key, d, person, None, FieldHints(label=key)).kind is None


# -- what the page shows ---------------------------------------------------------------------------

def test_an_example_on_the_page_steers_the_format() -> None:
    """An example in the placeholder is copied by the person's follow_example share: more people
    type the page's form than without it, and the page's form is the example's."""
    d = data("phone-typical")
    plain = FieldHints(label="Phone")
    shown = FieldHints(label="Phone", placeholder="e.g. 415-555-2671")
    ps = people("phone-typical", N)
    a = [intended_entry("phone", d, p, None, plain) for p in ps]
    b = [intended_entry("phone", d, p, None, shown) for p in ps]
    dashes = d.phone.replace("(", "").replace(") ", "-")
    assert all(i.canonical == dashes for i in b)
    typed_dashes_plain = share([i.value for i in a], dashes)
    ok_shown = share([i.kind for i in b], None)
    follow = sum(p.follow_example for p in ps) / len(ps)
    separators = dict(persona("phone-typical").intent.rates)["phone_separators"]
    # those who follow the example, plus those whose own habit happens to be the example's form
    assert within(ok_shown, follow + (1 - follow) * separators, N, z=5)
    assert ok_shown > typed_dashes_plain + 0.3
    # paired: the same draws decide, so whoever typed the example's form without it still does
    assert all(y.kind is None for x, y in zip(a, b) if x.value == dashes)


def test_ordinary_forms_are_no_misunderstanding_unless_the_page_shows_another() -> None:
    """Digits only, dashes, a postal code without its hyphen, 1234 for an expiry: ordinary ways
    of writing a value. With no form shown they are what the person converges to (kind None);
    against a form the page shows they are departures. A +1 is a departure either way."""
    d = data("phone-typical")
    ps = people("phone-typical", N)
    plain = [intended_entry("phone", d, p, None, FieldHints(label="Phone")) for p in ps]
    for i in plain:
        if i.habit in ("phone_digits_only", "phone_separators"):
            assert i.kind is None and i.canonical == i.value
        if i.habit == "phone_country_code":
            assert i.kind == "phone_country_code"
    shown = [intended_entry("phone", d, p, None, FieldHints(label="Phone", placeholder=d.phone)) for p in ps]
    departures = share([i.kind for i in shown], "phone_digits_only")
    follow = sum(p.follow_example for p in ps) / len(ps)
    assert within(departures, (1 - follow) * 0.45, N, z=5)


@pytest.mark.parametrize(("hints", "expected"), [
    (FieldHints(label="Expiry", placeholder="MM / YYYY"), "07/2033"),
    (FieldHints(label="Expiry", placeholder="MM / YY"), "07/33"),
    (FieldHints(label="Expiry"), "07/33"),
])
def test_expiry_canonical_follows_the_format_shown(hints: FieldHints, expected: str) -> None:
    d = dataclasses.replace(data("desktop-typical"), card_exp_month=7, card_exp_year=2033)
    i = intended_entry("card_exp", d, people("desktop-typical", 1)[0], None, hints)
    assert i.canonical == expected


def test_kana_fields_want_the_script_their_label_names() -> None:
    d = data("japan-mix")
    person = people("japan-mix", 1)[0]
    kata = intended_entry("family_name_kana", d, person, None, FieldHints(label="セイ（フリガナ）"))
    hira = intended_entry("family_name_kana", d, person, None, FieldHints(label="せい（ふりがな）"))
    assert all("\u30a1" <= c <= "\u30fa" or c == "ー" for c in kata.canonical)
    assert all("\u3041" <= c <= "\u3096" or c == "ー" for c in hira.canonical)


def test_line2_city_only_where_line_two_says_nothing_about_what_it_is() -> None:
    vague = kinds("phone-typical", "address_line2", FieldHints(label="Address line 2"))
    clear = kinds("phone-typical", "address_line2", FieldHints(label="Apartment, suite, unit"))
    assert share(clear, "line2_city") == 0.0
    has_line2 = bool(data("phone-typical").address_line2)
    r = dict(persona("phone-typical").intent.rates)["line2_city"]
    assert within(share(vague, "line2_city"), 0.0 if has_line2 else r, N)


# -- same seed, same people -------------------------------------------------------------------------

def test_same_person_same_intents_whatever_the_call_order() -> None:
    d = data("japan-mix")
    keys = ("phone", "postal_code", "email", "card_exp", "family_name_kana", "given_name", "address_line1")
    for p in people("japan-mix", 200):
        forward = [intended_entry(k, d, p, None, FieldHints(label=k)) for k in keys]
        backward = [intended_entry(k, d, p, None, FieldHints(label=k)) for k in reversed(keys)][::-1]
        assert forward == backward
        again = sample_person(persona("japan-mix"), p.seed)
        assert [intended_entry(k, d, again, intent_rng(again, k), FieldHints(label=k)) for k in keys] == forward


def test_second_edition_traits_leave_earlier_traits_unchanged() -> None:
    """The intent and keyboard traits come from their own stream: a persona without them gives
    the same people otherwise."""
    full = persona("phone-typical")
    bare = dataclasses.replace(full, intent=DEFAULT_INTENT)
    for i in range(50):
        a, b = sample_person(full, i), sample_person(bare, i)
        assert (a.typing_wpm, a.reading_wpm, a.mental_ms, a.card_outcome, a.preferred_method) == \
               (b.typing_wpm, b.reading_wpm, b.mental_ms, b.card_outcome, b.preferred_method)


# -- messages and fixing ------------------------------------------------------------------------------

SPECIFIC = ["Enter a 10-digit phone number, e.g. 415-555-2671", "Digits only, no spaces or dashes",
            "Use the format MM/YY", "Did you mean example.com?", "半角数字で入力してください",
            "ハイフンなしで入力してください", "カタカナで入力してください", "Include the area code",
            "ZIP code must be 5 digits", "Expiry date (MM/YY)", "郵便番号は7桁で入力してください",
            "Format: 415-555-2671"]
VAGUE = ["Invalid phone number", "Please check this field", "This value is not valid", "正しく入力してください",
         "入力内容に誤りがあります", "Error", "Invalid format", "Invalid characters", "Please enter a valid ZIP code"]


@pytest.mark.parametrize("message", SPECIFIC)
def test_specific_messages_are_recognised(message: str) -> None:
    assert is_specific(message)


@pytest.mark.parametrize("message", VAGUE)
def test_vague_messages_are_recognised(message: str) -> None:
    assert not is_specific(message)


def test_a_specific_message_is_understood_more_often_than_a_vague_one() -> None:
    person = people("phone-typical", 1)[0]
    intent = Intent("+1 415 555 2671", "(415) 555-2671", "phone_country_code", "phone")
    rng = random.Random(3)
    n = 5000
    spec = sum(fix_understood(SPECIFIC[0], intent, person, rng) for _ in range(n)) / n
    vague = sum(fix_understood(VAGUE[0], intent, person, rng) for _ in range(n)) / n
    assert within(spec, person.fix_specific, n) and within(vague, person.fix_vague, n)
    assert spec > vague + 0.2


@pytest.mark.parametrize(("intent", "message", "expected"), [
    (Intent("(415) 555-2671", "(415) 555-2671", None, "phone"), "Digits only", "4155552671"),
    (Intent("4155552671", "(415) 555-2671", "phone_digits_only", "phone"), "Format: 415-555-2671", "415-555-2671"),
    (Intent("０９０－１２３４－５６７８", "090-1234-5678", "fullwidth_digits", "phone"),
     "半角数字で入力してください", "090-1234-5678"),
    (Intent("０９０－１２３４－５６７８", "090-1234-5678", "fullwidth_digits", "phone"),
     "半角数字、ハイフンなしで入力してください", "09012345678"),
    (Intent("12/2034", "12/34", "expiry_full_year", "card_exp"), "Use the format MM/YY", "12/34"),
    (Intent("山田", "ヤマダ", "kanji_in_kana", "family_name_kana"), "ひらがなで入力してください", "やまだ"),
    (Intent("1-2-3", "１－２－３", "halfwidth_digits", "address_line1"), "全角で入力してください", "１－２－３"),
])
def test_an_understood_message_gives_the_form_it_asks_for(intent: Intent, message: str, expected: str) -> None:
    assert value_after_fix(intent, message, True, random.Random(0)) == expected


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), who=st.integers(0, 199),
       key=st.sampled_from(["phone", "postal_code", "card_exp", "email", "family_name_kana", "card_number"]),
       message=st.sampled_from(VAGUE + SPECIFIC))
def test_a_misunderstood_message_gets_the_same_value_or_another_known_form(seed: int, who: int, key: str,
                                                                          message: str) -> None:
    person = people("japan-mix", 200)[who]
    intent = intended_entry(key, data("japan-mix"), person, None, FieldHints(label=key))
    assert intent.kind in KINDS + (None,)
    assert (intent.kind is None) == (intent.value == intent.canonical)
    again = value_after_fix(intent, message, False, random.Random(seed))
    assert again == intent.value or again in intent.alternatives


def test_misunderstood_fixes_sometimes_change_the_wrong_thing() -> None:
    intent = intended_entry("phone", data("phone-typical"),
                            next(p for p in people("phone-typical", 500)
                                 if intended_entry("phone", data("phone-typical"), p, None,
                                                   FieldHints(label="Phone")).kind == "phone_country_code"),
                            None, FieldHints(label="Phone"))
    rng = random.Random(1)
    outcomes = {value_after_fix(intent, "Invalid", False, rng) for _ in range(200)}
    assert intent.value in outcomes and len(outcomes) >= 3  # same again, canonical by luck, another form


@pytest.mark.parametrize(("key", "value", "canonical", "kind"), [
    ("phone", "+1 415 555 2671", "(415) 555-2671", "phone_country_code"),
    ("phone", "4155552671", "(415) 555-2671", "phone_digits_only"),
    ("phone", "415.555.2671", "(415) 555-2671", "phone_separators"),
    ("phone", "０９０１２３４５６７８", "090-1234-5678", "fullwidth_digits"),
    ("postal_code", "94107-1234", "94107", "zip_plus4"),
    ("postal_code", "1000001", "100-0001", "postal_no_hyphen"),
    ("postal_code", "100-0001", "1000001", "postal_hyphen"),
    ("card_exp", "12/2034", "12/34", "expiry_full_year"),
    ("card_exp", "1234", "12/34", "expiry_no_separator"),
    ("card_exp_year", "34", "2034", "expiry_short_year"),
    ("card_number", "4242 4242 4242 4242", "4242424242424242", "card_number_spaces"),
    ("address_line1", "1-2-3", "１－２－３", "halfwidth_digits"),
    ("phone", "(415) 555-2671", "(415) 555-2671", None),
])
def test_classify_names_the_departure(key: str, value: str, canonical: str, kind: str | None) -> None:
    assert classify(key, value, canonical) == kind
