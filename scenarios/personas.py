"""Personas: who the simulated shoppers are, as distributions read from TOML files.

A persona is data (scenarios/personas/*.toml); this module is its one loader and validator, so
that a typo in a persona file stops a run with a message naming the file and the key instead of
silently producing a different population. The sources of the figures live as comments beside
the parameters in the TOML files; this module only checks shapes and ranges.

A numeric parameter is either a number (fixed for everybody) or a distribution table:
    {dist="fixed", value=1.35}
    {dist="normal", mean=51.56, sd=20.20, min=10, max=150}
    {dist="lognormal", mean=10, sd=5, min=2, max=60}
    {dist="gamma", mean=0.0117, sd=0.0143}
    {dist="uniform", min=0.1, max=0.2}
For `normal` with bounds, `mean` and `sd` are the moments of the *bounded* population: the loader
solves for the underlying normal, because published figures (e.g. Dhakal et al. 2018: 51.56 wpm,
SD 20.20) describe people as measured, who are all inside the bounds.
"""

from __future__ import annotations

import math
import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios import methods
from scenarios.errors import ScenarioError
from scenarios.reading import Table

PERSONA_DIR = Path(__file__).resolve().parent / "personas"

DEVICE_KINDS = ("desktop", "phone")
INPUTS = {"desktop": ("keyboard+mouse",), "phone": ("thumbs", "one-finger")}
LOCALES = ("en_US", "ja_JP")
# Countries a shopper can live in: the harness generates addresses that agree (postal code, region,
# city) for these (harness/shopper/shopper_data.py). A persona's `countries` weights draw from them.
SHOPPER_COUNTRIES = ("JP", "US", "GB", "DE", "FR", "IN", "BR", "KR", "CN", "AU")
HOME_COUNTRY = {"en_US": "US", "ja_JP": "JP"}  # where people live when a persona names no countries
# Stripe's payment-method type names, which the mock gateway follows (scenarios/methods.py).
PAYMENT_METHODS = methods.NAMES
# Paid after the checkout ends (a konbini slip, a bank transfer, a QR code scanned elsewhere): the
# shopper is told the order is placed, and the payment waits for them.
PAID_LATER = methods.PAID_LATER
CARD_OUTCOMES = ("good", "declined", "3ds")
ERROR_KINDS = ("substitution", "omission", "insertion")
# Stated reasons for leaving a checkout (Baymard 2024 survey wording, shortened).
ABANDONMENT_REASONS = (
    "extra_costs",
    "forced_account",
    "no_trust_card",
    "slow_delivery",
    "too_long",
    "total_not_shown",
    "returns_policy",
    "site_errors",
    "not_enough_methods",
    "card_declined",
)
DIST_KINDS = ("fixed", "normal", "lognormal", "gamma", "uniform")
# Formats people type that differ from the data's own form (harness/shopper/intent.py).
INTENT_KINDS = (
    "phone_country_code",
    "phone_digits_only",
    "phone_separators",
    "fullwidth_digits",
    "postal_no_hyphen",
    "zip_plus4",
    "expiry_full_year",
    "expiry_no_separator",
    "card_number_spaces",
    "email_domain_typo",
    "name_order",
    "kanji_in_kana",
    "kana_script",
    "line2_city",
    "region_full_name",
)
# Kinds that are alternative forms of the same field: their rates share one draw, so they must
# add up to at most 1 (the rest types the data's own form).
INTENT_GROUPS = (
    ("phone_country_code", "phone_digits_only", "phone_separators"),
    ("expiry_full_year", "expiry_no_separator"),
)


# --------------------------------------------------------------------------------------------
# Distributions


@dataclass(frozen=True)
class Dist:
    """A one-dimensional distribution of a person's trait; sampled with a `random.Random`.

    Pure Python sampling (no numpy) so that a seed gives the same person on every platform.
    """

    kind: str
    mean: float | None = None
    sd: float | None = None
    min: float | None = None
    max: float | None = None
    value: float | None = None
    # underlying parameters, derived once
    _a: float = field(default=0.0, init=False, repr=False, compare=False)
    _b: float = field(default=0.0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        a = b = 0.0
        if self.kind == "normal":
            a, b = _underlying_normal(self)
        elif self.kind == "lognormal":
            assert self.mean is not None and self.sd is not None
            s2 = math.log(1.0 + (self.sd / self.mean) ** 2)
            a, b = math.log(self.mean) - s2 / 2.0, math.sqrt(s2)
        elif self.kind == "gamma":
            assert self.mean is not None and self.sd is not None
            a = (self.mean / self.sd) ** 2 if self.sd > 0 else math.inf  # shape
            b = self.sd**2 / self.mean if self.sd > 0 else 0.0  # scale
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_b", b)

    @classmethod
    def fixed(cls, value: float) -> Dist:
        return cls("fixed", value=float(value))

    @property
    def expected(self) -> float:
        """The nominal mean (for a bounded normal: the bounded mean, by construction)."""
        if self.kind == "fixed":
            return float(self.value)  # type: ignore[arg-type]
        if self.kind == "uniform":
            return (self.min + self.max) / 2.0  # type: ignore[operator]
        return float(self.mean)  # type: ignore[arg-type]

    def sample(self, rng: random.Random) -> float:
        """One draw; bounded kinds reject draws outside [min, max] (clip after 1000 tries)."""
        if self.kind == "fixed":
            return float(self.value)  # type: ignore[arg-type]
        if self.kind == "uniform":
            return rng.uniform(self.min, self.max)  # type: ignore[arg-type]
        if self.kind == "gamma" and self.sd == 0:
            return float(self.mean)  # type: ignore[arg-type]
        for _ in range(1000):
            if self.kind == "normal":
                x = rng.gauss(self._a, self._b)
            elif self.kind == "lognormal":
                x = rng.lognormvariate(self._a, self._b)
            else:  # gamma
                x = rng.gammavariate(self._a, self._b)
            if (self.min is None or x >= self.min) and (self.max is None or x <= self.max):
                return x
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max
        return min(max(x, lo), hi)


def _truncated_normal_moments(loc: float, scale: float, lo: float, hi: float) -> tuple[float, float]:
    """Mean and sd of a normal(loc, scale) restricted to [lo, hi] (the textbook closed forms)."""
    def pdf(z: float) -> float:
        return 0.0 if math.isinf(z) else math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)

    def cdf(z: float) -> float:
        return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))

    a, b = (lo - loc) / scale, (hi - loc) / scale
    mass = cdf(b) - cdf(a)
    if mass <= 1e-12:
        return math.nan, math.nan
    shift = (pdf(a) - pdf(b)) / mass
    spread = ((0.0 if math.isinf(a) else a * pdf(a)) - (0.0 if math.isinf(b) else b * pdf(b))) / mass
    return loc + scale * shift, scale * math.sqrt(max(0.0, 1.0 + spread - shift * shift))


def _underlying_normal(d: Dist) -> tuple[float, float]:
    """Location and scale of the normal whose part inside [min, max] has the given mean and sd.

    Newton's method on (location, log scale) with a numerical Jacobian and step halving; pure
    Python so that a journeys process needs no scipy to read a persona."""
    assert d.mean is not None and d.sd is not None
    mean, sd = d.mean, d.sd
    if d.min is None and d.max is None:
        return mean, sd
    lo = -math.inf if d.min is None else d.min
    hi = math.inf if d.max is None else d.max

    def miss(loc: float, log_scale: float) -> tuple[float, float]:
        try:
            m, s = _truncated_normal_moments(loc, math.exp(log_scale), lo, hi)
        except (OverflowError, ZeroDivisionError):
            return math.nan, math.nan
        return (m - mean) / sd, (s - sd) / sd

    def size(r: tuple[float, float]) -> float:
        return math.inf if math.isnan(r[0]) or math.isnan(r[1]) else math.hypot(*r)

    p = (d.mean, math.log(d.sd))
    r = miss(*p)
    for _ in range(200):
        if size(r) < 1e-10:
            return p[0], math.exp(p[1])
        h0, h1 = 1e-7 * d.sd, 1e-7
        r0, r1 = miss(p[0] + h0, p[1]), miss(p[0], p[1] + h1)
        j = ((r0[0] - r[0]) / h0, (r1[0] - r[0]) / h1, (r0[1] - r[1]) / h0, (r1[1] - r[1]) / h1)
        det = j[0] * j[3] - j[1] * j[2]
        if det == 0 or math.isnan(det):
            break
        step = ((j[3] * r[0] - j[1] * r[1]) / det, (j[0] * r[1] - j[2] * r[0]) / det)
        for _ in range(40):  # halve the step until the miss shrinks
            q = (p[0] - step[0], p[1] - step[1])
            rq = miss(*q)
            if size(rq) < size(r):
                p, r = q, rq
                break
            step = (step[0] / 2, step[1] / 2)
        else:
            break
    if size(r) < 1e-6:
        return p[0], math.exp(p[1])
    raise ValueError("no normal distribution has these moments inside these bounds")


# --------------------------------------------------------------------------------------------
# The persona, as frozen data


@dataclass(frozen=True)
class TypingProfile:
    """Typing speed and errors on one device (per-person draws come from these)."""

    wpm: Dist
    uncorrected_error_rate: Dist
    corrected_error_rate: Dist
    error_kinds: tuple[tuple[str, float], ...]
    speed_error_exponent: float
    keystroke_cv: float


@dataclass(frozen=True)
class PointingProfile:
    """Fitts's law parameters: MT = a + log2(D/W + 1) / throughput."""

    fitts_a_s: Dist
    throughput_bits_s: Dist


@dataclass(frozen=True)
class DeviceProfile:
    kind: str
    share: float
    viewport: tuple[int, int]
    input: str
    abandon_per_100ms_over_tolerance: float
    typing: TypingProfile
    pointing: PointingProfile


@dataclass(frozen=True)
class Klm:
    mental_s: Dist
    homing_s: Dist
    click_s: Dist


@dataclass(frozen=True)
class Patience:
    wait_with_feedback_s: Dist
    wait_without_feedback_s: Dist
    errors_per_field: Dist
    errors_total: Dist


@dataclass(frozen=True)
class Noticing:
    in_view_near: float
    in_view_far: float
    alert: float
    screen_reader_share: float


@dataclass(frozen=True)
class IntentProfile:
    """What people mean to type (mechanism 2): population shares of each format habit with no
    format shown, and per-person chances of copying a shown format and of understanding a
    message well enough to fix the format."""

    rates: tuple[tuple[str, float], ...]
    follow_example: Dist
    fix_specific: Dist
    fix_vague: Dist


@dataclass(frozen=True)
class KeyboardProfile:
    """Device keyboards (mechanism 4): digit pads and the Japanese input method."""

    keypad_factor: Dist  # time per key on a digit pad / time per key on the text keyboard
    ime_convert_s: Dist  # convert and confirm one run of kanji or katakana (first candidate right)
    ime_select_s: Dist  # extra: choose the wanted candidate from the list
    ime_not_first: float  # chance the wanted candidate is not the first one
    ime_wrong_candidate: float  # chance a wrong homophone is confirmed and left in
    kana_pad_share: float = 1.0  # of phone users typing Japanese: share on the 12-key kana pad (else romaji QWERTY)


# Used when a persona file has no [intent] / [keyboards] table: every format habit off and the
# values documented in docs/shopper-model.md (assumptions).
DEFAULT_INTENT = IntentProfile(rates=(), follow_example=Dist.fixed(0.85), fix_specific=Dist.fixed(0.9),
                               fix_vague=Dist.fixed(0.4))
DEFAULT_KEYBOARDS = KeyboardProfile(keypad_factor=Dist.fixed(0.8), ime_convert_s=Dist.fixed(0.6),
                                    ime_select_s=Dist.fixed(1.5), ime_not_first=0.2, ime_wrong_candidate=0.01)


@dataclass(frozen=True)
class PaymentPrefs:
    preferred: tuple[tuple[str, float], ...]
    accepts: tuple[str, ...]
    leave_if_preferred_missing: float


@dataclass(frozen=True)
class CardPrefs:
    outcomes: tuple[tuple[str, float], ...]
    retry_after_decline: float
    switch_method_after_decline: float


@dataclass(frozen=True)
class Persona:
    """Who the shoppers of a scenario are. Frozen: shared by all journeys of a run."""

    name: str
    file: str
    description: str
    locale: str
    returning_share: float
    countries: tuple[tuple[str, float], ...]  # where the shoppers live, weighted (ISO 3166-1 codes)
    devices: tuple[DeviceProfile, ...]
    klm: Klm
    reading_wpm: Dist
    patience: Patience
    noticing: Noticing
    payment: PaymentPrefs
    card: CardPrefs
    abandonment: tuple[tuple[str, float], ...]
    intent: IntentProfile = DEFAULT_INTENT
    keyboards: KeyboardProfile = DEFAULT_KEYBOARDS

    def device(self, kind: str) -> DeviceProfile:
        for d in self.devices:
            if d.kind == kind:
                return d
        raise KeyError(kind)

    @property
    def abandonment_map(self) -> dict[str, float]:
        return dict(self.abandonment)


# --------------------------------------------------------------------------------------------
# Loading and validation


def _section(t: Table, name: str, keys: tuple[str, ...]) -> Table:
    """A required sub-table that may hold only `keys`."""
    sub = t.table(name, required=True)
    assert sub is not None  # required=True raised otherwise
    return sub.known(keys)


def _dist(t: Table, name: str, lo: float, hi: float) -> Dist:
    """A number or a {dist=...} table, whose whole support must lie in [lo, hi]."""
    v = t.get(name)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Dist.fixed(t.number(name, lo, hi))
    if not isinstance(v, Mapping):
        raise ScenarioError(t.file, t.key(name), "a number or a {dist=...} table", v)
    d = Table(v, t.file, t.key(name))
    kind = d.choice("dist", DIST_KINDS)
    need = {"fixed": ("value",), "uniform": ("min", "max")}.get(kind, ("mean", "sd"))
    keys = need + (("min", "max") if kind in ("normal", "lognormal", "gamma") else ())
    d.known(keys)
    nums = {k: d.decimal(k) for k in keys}
    for k in need:
        if nums[k] is None:
            raise ScenarioError(d.file, d.key(k), f"a number (required for dist={kind})", None)
    mn, mx = nums.get("min"), nums.get("max")
    if mn is not None and mx is not None and mn >= mx:
        raise ScenarioError(d.file, d.key("max"), f"a number greater than min={mn:g}", mx)
    if kind in ("normal", "lognormal", "gamma"):
        if nums["sd"] < 0 or (kind != "gamma" and nums["sd"] == 0):  # type: ignore[operator]
            raise ScenarioError(d.file, d.key("sd"), "a positive number", nums["sd"])
        if kind in ("lognormal", "gamma") and nums["mean"] <= 0:  # type: ignore[operator]
            raise ScenarioError(d.file, d.key("mean"), "a positive number", nums["mean"])
        if (mn is not None and nums["mean"] <= mn) or (mx is not None and nums["mean"] >= mx):  # type: ignore[operator]
            raise ScenarioError(d.file, d.key("mean"), "a number between min and max", nums["mean"])
    # the support must respect the parameter's own range
    if kind == "fixed":
        support = (nums["value"], nums["value"])
    elif kind == "uniform":
        support = (mn, mx)
    else:
        support = (mn if mn is not None else (0.0 if kind != "normal" else -math.inf),
                   mx if mx is not None else math.inf)
    if support[0] < lo:  # type: ignore[operator]
        k = "value" if kind == "fixed" else "min"
        raise ScenarioError(d.file, d.key(k), f"a lower bound of at least {lo:g}", v.get(k))
    if support[1] > hi:  # type: ignore[operator]
        k = "value" if kind == "fixed" else "max"
        raise ScenarioError(d.file, d.key(k), f"an upper bound of at most {hi:g}", v.get(k))
    try:
        return Dist(kind, mean=nums.get("mean"), sd=nums.get("sd"), min=mn, max=mx, value=nums.get("value"))
    except ValueError as e:
        raise ScenarioError(t.file, t.key(name), f"a distribution that exists ({e})", dict(v)) from None


def _weights(t: Table, name: str, choices: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """A table of non-negative weights over known names, not all zero."""
    v = t.get(name)
    if not isinstance(v, Mapping) or not v:
        raise ScenarioError(t.file, t.key(name), "a table of weights, e.g. {" + f"{choices[0]}=1.0" + "}", v)
    w = Table(v, t.file, t.key(name)).known(choices)
    out = tuple((k, w.number(k, min=0.0)) for k in v)
    if sum(x for _, x in out) <= 0:
        raise ScenarioError(t.file, t.key(name), "weights that are not all zero", dict(v))
    return out


def _viewport(t: Table) -> tuple[int, int]:
    v = t.get("viewport")
    try:
        w, h = (int(x) for x in str(v).lower().split("x"))
        if w <= 0 or h <= 0 or not isinstance(v, str):
            raise ValueError
    except ValueError:
        raise ScenarioError(t.file, t.key("viewport"), 'a string "WIDTHxHEIGHT" such as "1280x800"', v) from None
    return w, h


def _device(devices: Table, kind: str) -> DeviceProfile:
    t = _section(devices, kind, ("share", "viewport", "input", "abandon_per_100ms_over_tolerance", "typing",
                                 "pointing"))
    ty = _section(t, "typing", ("wpm", "uncorrected_error_rate", "corrected_error_rate", "error_kinds",
                                "speed_error_exponent", "keystroke_cv"))
    po = _section(t, "pointing", ("fitts_a_s", "throughput_bits_s"))
    return DeviceProfile(
        kind=kind,
        share=t.prob("share"),
        viewport=_viewport(t),
        input=t.choice("input", INPUTS[kind]),
        abandon_per_100ms_over_tolerance=t.prob("abandon_per_100ms_over_tolerance"),
        typing=TypingProfile(
            wpm=_dist(ty, "wpm", 1.0, 300.0),
            uncorrected_error_rate=_dist(ty, "uncorrected_error_rate", 0.0, 0.5),
            corrected_error_rate=_dist(ty, "corrected_error_rate", 0.0, 0.5),
            error_kinds=_weights(ty, "error_kinds", ERROR_KINDS),
            speed_error_exponent=ty.number("speed_error_exponent", 0.0, 5.0),
            keystroke_cv=ty.number("keystroke_cv", 0.0, 2.0),
        ),
        pointing=PointingProfile(
            fitts_a_s=_dist(po, "fitts_a_s", 0.0, 2.0),
            throughput_bits_s=_dist(po, "throughput_bits_s", 0.5, 20.0),
        ),
    )


TOP_KEYS = ("name", "description", "locale", "countries", "returning_share", "device", "klm", "reading", "patience",
            "noticing", "payment", "card", "abandonment", "intent", "keyboards")


def _intent(top: Table) -> IntentProfile:
    """The optional [intent] table: follow_example, fix_specific, fix_vague and [intent.rates]."""
    if not top.has("intent"):
        return DEFAULT_INTENT
    t = _section(top, "intent", ("rates", "follow_example", "fix_specific", "fix_vague"))
    rates: tuple[tuple[str, float], ...] = ()
    if t.has("rates"):
        r = _section(t, "rates", INTENT_KINDS)
        rates = tuple((k, r.prob(k)) for k in r.data)
        given = dict(rates)
        for group in INTENT_GROUPS:
            total = sum(given.get(k, 0.0) for k in group)
            if total > 1.0 + 1e-9:
                raise ScenarioError(t.file, t.key("rates"), f"rates of {', '.join(group)} adding up to at most 1",
                                    {k: given.get(k, 0.0) for k in group})
    return IntentProfile(
        rates=rates,
        follow_example=_dist(t, "follow_example", 0.0, 1.0) if t.has("follow_example") else DEFAULT_INTENT.follow_example,
        fix_specific=_dist(t, "fix_specific", 0.0, 1.0) if t.has("fix_specific") else DEFAULT_INTENT.fix_specific,
        fix_vague=_dist(t, "fix_vague", 0.0, 1.0) if t.has("fix_vague") else DEFAULT_INTENT.fix_vague,
    )


def _keyboards(top: Table) -> KeyboardProfile:
    """The optional [keyboards] table."""
    if not top.has("keyboards"):
        return DEFAULT_KEYBOARDS
    t = _section(top, "keyboards", ("keypad_factor", "ime_convert_s", "ime_select_s", "ime_not_first",
                                    "ime_wrong_candidate", "kana_pad_share"))
    d = DEFAULT_KEYBOARDS
    return KeyboardProfile(
        keypad_factor=_dist(t, "keypad_factor", 0.1, 5.0) if t.has("keypad_factor") else d.keypad_factor,
        ime_convert_s=_dist(t, "ime_convert_s", 0.0, 10.0) if t.has("ime_convert_s") else d.ime_convert_s,
        ime_select_s=_dist(t, "ime_select_s", 0.0, 20.0) if t.has("ime_select_s") else d.ime_select_s,
        ime_not_first=t.prob("ime_not_first") if t.has("ime_not_first") else d.ime_not_first,
        ime_wrong_candidate=t.prob("ime_wrong_candidate") if t.has("ime_wrong_candidate") else d.ime_wrong_candidate,
        kana_pad_share=t.prob("kana_pad_share") if t.has("kana_pad_share") else d.kana_pad_share,
    )


def parse_persona(data: Mapping[str, Any], file: str, default_name: str) -> Persona:
    """Validate a parsed TOML document; raise ScenarioError naming the file and the key."""
    top = Table(data, file).known(TOP_KEYS)
    dev = top.get("device")
    if not isinstance(dev, Mapping) or not dev:
        raise ScenarioError(file, "device", "a table with [device.desktop] and/or [device.phone]", dev)
    dev_table = Table(dev, file, "device").known(DEVICE_KINDS)
    devices = tuple(_device(dev_table, k) for k in DEVICE_KINDS if dev_table.has(k))
    total = sum(d.share for d in devices)
    if abs(total - 1.0) > 1e-6:
        raise ScenarioError(file, "device", "shares that add up to 1", {d.kind: d.share for d in devices})

    klm = _section(top, "klm", ("mental_s", "homing_s", "click_s"))
    reading = _section(top, "reading", ("wpm",))
    pat = _section(top, "patience", ("wait_with_feedback_s", "wait_without_feedback_s", "errors_per_field",
                                     "errors_total"))
    noti = _section(top, "noticing", ("in_view_near", "in_view_far", "alert", "screen_reader_share"))
    pay = _section(top, "payment", ("preferred", "accepts", "leave_if_preferred_missing"))
    card = _section(top, "card", ("outcomes", "retry_after_decline", "switch_method_after_decline"))
    ab = _section(top, "abandonment", ABANDONMENT_REASONS)

    accepts = pay.get("accepts")
    if not isinstance(accepts, list) or not accepts:
        raise ScenarioError(file, "payment.accepts", "a non-empty list of payment methods", accepts)
    for i, m in enumerate(accepts):
        if m not in PAYMENT_METHODS:
            raise ScenarioError(file, f"payment.accepts[{i}]", "one of " + ", ".join(PAYMENT_METHODS), m)
    preferred = _weights(pay, "preferred", PAYMENT_METHODS)
    for m, w in preferred:
        if w > 0 and m not in accepts:
            raise ScenarioError(file, f"payment.preferred.{m}", "a method that is also in payment.accepts", m)

    locale = top.choice("locale", LOCALES)
    name = top.text("name", default_name)
    if not name:
        raise ScenarioError(file, "name", "a non-empty string", name)

    return Persona(
        name=name,
        file=file,
        description=top.text("description", "") or "",
        locale=locale,
        countries=_weights(top, "countries", SHOPPER_COUNTRIES) if top.has("countries") else ((HOME_COUNTRY[locale], 1.0),),
        returning_share=top.prob("returning_share"),
        devices=devices,
        klm=Klm(
            mental_s=_dist(klm, "mental_s", 0.0, 10.0),
            homing_s=_dist(klm, "homing_s", 0.0, 5.0),
            click_s=_dist(klm, "click_s", 0.0, 5.0),
        ),
        reading_wpm=_dist(reading, "wpm", 20.0, 2000.0),
        patience=Patience(
            wait_with_feedback_s=_dist(pat, "wait_with_feedback_s", 0.0, 3600.0),
            wait_without_feedback_s=_dist(pat, "wait_without_feedback_s", 0.0, 3600.0),
            errors_per_field=_dist(pat, "errors_per_field", 0.0, 100.0),
            errors_total=_dist(pat, "errors_total", 0.0, 1000.0),
        ),
        noticing=Noticing(
            in_view_near=noti.prob("in_view_near"),
            in_view_far=noti.prob("in_view_far"),
            alert=noti.prob("alert"),
            screen_reader_share=noti.prob("screen_reader_share"),
        ),
        payment=PaymentPrefs(
            preferred=preferred,
            accepts=tuple(accepts),
            leave_if_preferred_missing=pay.prob("leave_if_preferred_missing"),
        ),
        card=CardPrefs(
            outcomes=_weights(card, "outcomes", CARD_OUTCOMES),
            retry_after_decline=card.prob("retry_after_decline"),
            switch_method_after_decline=card.prob("switch_method_after_decline"),
        ),
        abandonment=tuple((k, ab.prob(k)) for k in ab.data),
        intent=_intent(top),
        keyboards=_keyboards(top),
    )


def _resolve(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.parent != Path("."):
        return p
    return PERSONA_DIR / f"{name_or_path}.toml"


def load_persona(name_or_path: str | Path) -> Persona:
    """Load and validate a persona by name (scenarios/personas/<name>.toml) or by path."""
    path = _resolve(name_or_path)
    file = str(path)
    if not path.is_file():
        raise ScenarioError(file, "persona", "an existing persona file (one of: "
                            + ", ".join(list_personas()) + ")", str(name_or_path))
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(file, "(syntax)", "valid TOML", str(e)) from None
    return parse_persona(data, file, path.stem)


def list_personas() -> list[str]:
    """Names of the personas shipped in scenarios/personas/."""
    return sorted(p.stem for p in PERSONA_DIR.glob("*.toml"))
