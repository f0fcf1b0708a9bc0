"""A person: one draw from a persona's distributions, fixed for a whole journey.

Why a separate draw per person rather than persona averages: checkout outcomes depend on the
spread (the slow typist who makes many errors is the one who gives up), so the population must
have the published spread, not only the published mean.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from dataclasses import dataclass

from harness.shopper.shopper_data import ShopperData, make_shopper_data
from scenarios.personas import DeviceProfile, Dist, Persona

# Caps that keep a person's per-character error chance meaningful for the slowest typists in
# the tails (they are rarely reached and barely move the population means).
MAX_UNCORRECTED = 0.30
MAX_CORRECTED = 0.50


@dataclass(frozen=True)
class Device:
    kind: str  # "desktop" or "phone"
    viewport: tuple[int, int]
    input: str  # "keyboard+mouse", "thumbs", "one-finger"

    @property
    def is_phone(self) -> bool:
        return self.kind == "phone"


@dataclass(frozen=True)
class Person:
    """Everything the model knows about one shopper. Times are in ms, rates per character."""

    persona: str
    seed: str
    locale: str
    device: Device
    # typing (Dhakal et al. 2018 desktop; Palin et al. 2019 phone; via the persona)
    typing_wpm: float
    keystroke_cv: float
    uncorrected_error_rate: float  # expected share of characters left wrong
    corrected_error_rate: float  # expected corrections per character (noticed while typing)
    error_kinds: tuple[tuple[str, float], ...]  # normalised weights of substitution/omission/insertion
    # reading (Brysbaert 2019)
    reading_wpm: float
    # keystroke-level model operators (Card, Moran & Newell; Kieras)
    mental_ms: float
    homing_ms: float
    click_ms: float
    fitts_a_ms: float
    fitts_b_ms_per_bit: float  # 1000 / throughput
    # patience (Nielsen 1993, Nah 2004, Akamai/SOASTA 2017)
    wait_tolerance_ms: float  # with feedback (spinner, progress)
    wait_tolerance_no_feedback_ms: float
    abandon_per_100ms: float
    max_errors_per_field: int
    max_errors_total: int
    # noticing (assumptions in the persona)
    notice_in_view_near: float
    notice_in_view_far: float
    notice_alert: float
    uses_screen_reader: bool
    # paying
    preferred_method: str
    accepted_methods: tuple[str, ...]  # preferred first
    leave_if_preferred_missing: float
    card_outcome: str  # "good", "declined", "3ds": which test card the person holds
    backup_card_outcome: str  # the other card, if they try one after a decline
    retry_after_decline: float
    switch_method_after_decline: float
    returning: bool
    abandonment: tuple[tuple[str, float], ...]  # stated reasons (Baymard 2024), not observed
    data_seed: str  # the stream `data` is generated from
    # keyboards (mechanism 4; see harness/shopper/keyboards.py and the persona's [keyboards])
    keypad_factor: float = 1.0  # time per key on a digit pad / time per key on the text keyboard
    ime_convert_ms: float = 0.0  # convert and confirm one run of kanji or katakana
    ime_select_ms: float = 0.0  # extra when the wanted candidate is not the first
    ime_not_first: float = 0.0  # chance the wanted candidate is not the first
    ime_wrong_candidate: float = 0.0  # chance a wrong homophone is confirmed and left in
    kana_pad: bool = True  # on a phone, types Japanese on the 12-key kana pad (else romaji on QWERTY)
    # intent errors (mechanism 2; see harness/shopper/intent.py and the persona's [intent])
    intent_rates: tuple[tuple[str, float], ...] = ()  # population share of each format habit
    follow_example: float = 0.85  # chance to copy the format of an example the page shows
    fix_specific: float = 0.9  # chance to fix the format right after a message that names it
    fix_vague: float = 0.4  # ... after a message that only says "invalid"
    country: str = "US"  # where the person lives: their address, phone and the country they choose

    @functools.cached_property
    def data(self) -> ShopperData:
        """What the person types (name, address, card...). Generated on first use: statistics over
        many people often need only the traits, and Faker is the slow part of a person."""
        return make_shopper_data(self.locale, self.data_seed, self.card_outcome,
                                 self.backup_card_outcome, country=self.country)

    @property
    def ms_per_keystroke(self) -> float:
        """Mean interval between keys: wpm counts 5 characters as a word."""
        return 60_000.0 / (self.typing_wpm * 5.0)

    @property
    def error_per_attempt(self) -> float:
        """Chance of a slip each time a character is attempted.

        Noticed slips are retyped, and a retyped character can slip again; with U left and C
        corrected per character, attempts per character are 1 + C, so the chance per attempt is
        (U + C) / (1 + C), which makes the realised rates equal U and C in expectation.
        """
        u, c = self.uncorrected_error_rate, self.corrected_error_rate
        return (u + c) / (1.0 + c)

    @property
    def notice_share(self) -> float:
        """Share of slips noticed while typing (Dhakal: 6.31 corrected against 1.17 left)."""
        u, c = self.uncorrected_error_rate, self.corrected_error_rate
        return c / (u + c) if u + c > 0 else 1.0

    @property
    def abandonment_map(self) -> dict[str, float]:
        return dict(self.abandonment)

    @property
    def intent_rate_map(self) -> dict[str, float]:
        return dict(self.intent_rates)

    def traits(self) -> dict[str, object]:
        """The person's sampled traits as JSON-ready data, for journey records (no shopper data)."""
        out = dataclasses.asdict(self)
        out["viewport"] = list(self.device.viewport)
        out["device"] = self.device.kind
        out["input"] = self.device.input
        out["error_kinds"] = dict(self.error_kinds)
        out["abandonment"] = dict(self.abandonment)
        out["accepted_methods"] = list(self.accepted_methods)
        out["intent_rates"] = dict(self.intent_rates)
        return out


@functools.lru_cache(maxsize=64)
def speed_error_norm(wpm: Dist, exponent: float) -> float:
    """E[(mean / W) ** k] over the persona's speed distribution, so that scaling errors by speed
    (faster typists make fewer errors, Dhakal et al. 2018) keeps the population mean rate at the
    published figure. A fixed-seed Monte Carlo: deterministic and good to ~0.5%."""
    rng = random.Random(0)
    m = wpm.expected
    n = 40_000
    return sum((m / wpm.sample(rng)) ** exponent for _ in range(n)) / n


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    names = [k for k, _ in pairs]
    return rng.choices(names, weights=[w for _, w in pairs])[0]


def _pick_device(persona: Persona, rng: random.Random) -> DeviceProfile:
    return rng.choices(persona.devices, weights=[d.share for d in persona.devices])[0]


def sample_person(persona: Persona, seed: int | str) -> Person:
    """Draw one person from a persona. Same persona and seed: an identical Person.

    Traits and data use separate random streams, so adding a data field never changes anyone's
    typing speed; the data is generated when first read.
    """
    rng = random.Random(f"{persona.name}|{seed}|traits")
    dev = _pick_device(persona, rng)
    ty = dev.typing
    wpm = ty.wpm.sample(rng)
    speed = (ty.wpm.expected / wpm) ** ty.speed_error_exponent / speed_error_norm(ty.wpm, ty.speed_error_exponent)
    uncorrected = min(ty.uncorrected_error_rate.sample(rng) * speed, MAX_UNCORRECTED)
    corrected = min(ty.corrected_error_rate.sample(rng) * speed, MAX_CORRECTED)
    kinds_total = sum(w for _, w in ty.error_kinds)
    error_kinds = tuple((k, w / kinds_total) for k, w in ty.error_kinds)
    reading_wpm = persona.reading_wpm.sample(rng)
    mental = persona.klm.mental_s.sample(rng) * 1000
    homing = persona.klm.homing_s.sample(rng) * 1000
    click = persona.klm.click_s.sample(rng) * 1000
    fitts_a = dev.pointing.fitts_a_s.sample(rng) * 1000
    fitts_b = 1000.0 / dev.pointing.throughput_bits_s.sample(rng)
    pat = persona.patience
    wait_fb = pat.wait_with_feedback_s.sample(rng) * 1000
    wait_nofb = pat.wait_without_feedback_s.sample(rng) * 1000
    max_field = max(1, round(pat.errors_per_field.sample(rng)))
    max_total = max(max_field, round(pat.errors_total.sample(rng)))
    screen_reader = rng.random() < persona.noticing.screen_reader_share
    preferred = _weighted(rng, persona.payment.preferred)
    accepted = (preferred,) + tuple(m for m in persona.payment.accepts if m != preferred)
    card_outcome = _weighted(rng, persona.card.outcomes)
    backup_outcome = _weighted(rng, persona.card.outcomes)
    returning = rng.random() < persona.returning_share
    # Traits added in the second edition come from their own stream: the draws above (and so
    # everyone's earlier traits) stay as they were.
    rng2 = random.Random(f"{persona.name}|{seed}|traits2")
    kb, it = persona.keyboards, persona.intent
    keypad_factor = kb.keypad_factor.sample(rng2)
    ime_convert = kb.ime_convert_s.sample(rng2) * 1000
    ime_select = kb.ime_select_s.sample(rng2) * 1000
    follow_example = it.follow_example.sample(rng2)
    fix_specific = it.fix_specific.sample(rng2)
    fix_vague = it.fix_vague.sample(rng2)
    kana_pad = rng2.random() < kb.kana_pad_share
    # where they live: a stream of its own, so the persona's country mix changes nothing else
    country = _weighted(random.Random(f"{persona.name}|{seed}|country"), persona.countries)

    return Person(
        persona=persona.name, seed=str(seed), locale=persona.locale,
        device=Device(dev.kind, dev.viewport, dev.input),
        typing_wpm=wpm, keystroke_cv=ty.keystroke_cv,
        uncorrected_error_rate=uncorrected, corrected_error_rate=corrected, error_kinds=error_kinds,
        reading_wpm=reading_wpm,
        mental_ms=mental, homing_ms=homing, click_ms=click, fitts_a_ms=fitts_a, fitts_b_ms_per_bit=fitts_b,
        wait_tolerance_ms=wait_fb, wait_tolerance_no_feedback_ms=wait_nofb,
        abandon_per_100ms=dev.abandon_per_100ms_over_tolerance,
        max_errors_per_field=max_field, max_errors_total=max_total,
        notice_in_view_near=persona.noticing.in_view_near, notice_in_view_far=persona.noticing.in_view_far,
        notice_alert=persona.noticing.alert, uses_screen_reader=screen_reader,
        preferred_method=preferred, accepted_methods=accepted,
        leave_if_preferred_missing=persona.payment.leave_if_preferred_missing,
        card_outcome=card_outcome, backup_card_outcome=backup_outcome,
        retry_after_decline=persona.card.retry_after_decline,
        switch_method_after_decline=persona.card.switch_method_after_decline,
        returning=returning, abandonment=persona.abandonment, data_seed=f"{persona.name}|{seed}|data",
        keypad_factor=keypad_factor, ime_convert_ms=ime_convert, ime_select_ms=ime_select,
        ime_not_first=kb.ime_not_first, ime_wrong_candidate=kb.ime_wrong_candidate, kana_pad=kana_pad,
        intent_rates=it.rates, follow_example=follow_example, fix_specific=fix_specific, fix_vague=fix_vague,
        country=country,
    )
