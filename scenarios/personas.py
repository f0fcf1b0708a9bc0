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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from scenarios.errors import ScenarioError

PERSONA_DIR = Path(__file__).resolve().parent / "personas"

DEVICE_KINDS = ("desktop", "phone")
INPUTS = {"desktop": ("keyboard+mouse",), "phone": ("thumbs", "one-finger")}
LOCALES = ("en_US", "ja_JP")
# Stripe's payment-method type names, which the mock gateway follows.
PAYMENT_METHODS = ("card", "konbini", "customer_balance", "paypal", "paypay")
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
    def fixed(cls, value: float) -> "Dist":
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
    if d.min is None and d.max is None:
        return d.mean, d.sd
    lo = -math.inf if d.min is None else d.min
    hi = math.inf if d.max is None else d.max

    def miss(loc: float, log_scale: float) -> tuple[float, float]:
        try:
            m, s = _truncated_normal_moments(loc, math.exp(log_scale), lo, hi)
        except (OverflowError, ZeroDivisionError):
            return math.nan, math.nan
        return (m - d.mean) / d.sd, (s - d.sd) / d.sd

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
    devices: tuple[DeviceProfile, ...]
    klm: Klm
    reading_wpm: Dist
    patience: Patience
    noticing: Noticing
    payment: PaymentPrefs
    card: CardPrefs
    abandonment: tuple[tuple[str, float], ...]

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


class _Reader:
    """Validates one file's tables, naming every problem by its dotted key."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, expected: str, found: Any) -> ScenarioError:
        return ScenarioError(self.file, key, expected, found)

    def sub(self, t: Mapping[str, Any], name: str, path: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
        key = f"{path}.{name}" if path else name
        if name not in t:
            raise self.fail(key, "a table", None)
        v = t[name]
        if not isinstance(v, Mapping):
            raise self.fail(key, "a table", v)
        unknown = sorted(set(v) - set(allowed))
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}", f"one of the keys {', '.join(allowed)}", unknown[0])
        return v

    def number(self, t: Mapping[str, Any], name: str, path: str, lo: float = -math.inf,
               hi: float = math.inf, default: float | None = None) -> float:
        key = f"{path}.{name}" if path else name
        if name not in t:
            if default is not None:
                return default
            raise self.fail(key, f"a number in [{lo}, {hi}]", None)
        v = t[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi):
            raise self.fail(key, f"a number in [{lo}, {hi}]", v)
        return float(v)

    def prob(self, t: Mapping[str, Any], name: str, path: str, default: float | None = None) -> float:
        return self.number(t, name, path, 0.0, 1.0, default)

    def string(self, t: Mapping[str, Any], name: str, path: str, choices: tuple[str, ...] | None = None,
               default: str | None = None) -> str:
        key = f"{path}.{name}" if path else name
        if name not in t and default is not None:
            return default
        v = t.get(name)
        if not isinstance(v, str) or (choices is not None and v not in choices):
            raise self.fail(key, "one of " + ", ".join(choices) if choices else "a string", v)
        return v

    def dist(self, t: Mapping[str, Any], name: str, path: str, lo: float = 0.0,
             hi: float = math.inf, default: Dist | None = None) -> Dist:
        """A number or a {dist=...} table, whose whole support must lie in [lo, hi]."""
        key = f"{path}.{name}" if path else name
        if name not in t:
            if default is not None:
                return default
            raise self.fail(key, "a number or a {dist=...} table", None)
        v = t[name]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if not lo <= v <= hi:
                raise self.fail(key, f"a number in [{lo}, {hi}]", v)
            return Dist.fixed(v)
        if not isinstance(v, Mapping):
            raise self.fail(key, "a number or a {dist=...} table", v)
        kind = v.get("dist")
        if kind not in DIST_KINDS:
            raise self.fail(f"{key}.dist", "one of " + ", ".join(DIST_KINDS), kind)
        allowed = {"fixed": ("dist", "value"), "uniform": ("dist", "min", "max")}.get(
            kind, ("dist", "mean", "sd", "min", "max"))
        unknown = sorted(set(v) - set(allowed))
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}", f"one of the keys {', '.join(allowed)} for dist={kind}",
                            unknown[0])
        nums: dict[str, float | None] = {}
        for k in allowed[1:]:
            x = v.get(k)
            if x is not None and (isinstance(x, bool) or not isinstance(x, (int, float))):
                raise self.fail(f"{key}.{k}", "a number", x)
            nums[k] = None if x is None else float(x)
        need = {"fixed": ("value",), "uniform": ("min", "max")}.get(kind, ("mean", "sd"))
        for k in need:
            if nums[k] is None:
                raise self.fail(f"{key}.{k}", f"a number (required for dist={kind})", None)
        mn, mx = nums.get("min"), nums.get("max")
        if mn is not None and mx is not None and mn >= mx:
            raise self.fail(f"{key}.max", f"a number greater than min={mn:g}", mx)
        if kind in ("normal", "lognormal", "gamma"):
            if nums["sd"] < 0 or (kind != "gamma" and nums["sd"] == 0):  # type: ignore[operator]
                raise self.fail(f"{key}.sd", "a positive number", nums["sd"])
            if kind in ("lognormal", "gamma") and nums["mean"] <= 0:  # type: ignore[operator]
                raise self.fail(f"{key}.mean", "a positive number", nums["mean"])
            if (mn is not None and nums["mean"] <= mn) or (mx is not None and nums["mean"] >= mx):  # type: ignore[operator]
                raise self.fail(f"{key}.mean", "a number between min and max", nums["mean"])
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
            raise self.fail(f"{key}.{k}", f"a lower bound of at least {lo:g}", v.get(k))
        if support[1] > hi:  # type: ignore[operator]
            k = "value" if kind == "fixed" else "max"
            raise self.fail(f"{key}.{k}", f"an upper bound of at most {hi:g}", v.get(k))
        try:
            return Dist(kind, mean=nums.get("mean"), sd=nums.get("sd"), min=mn, max=mx,
                        value=nums.get("value"))
        except ValueError as e:
            raise self.fail(key, f"a distribution that exists ({e})", dict(v)) from None

    def weights(self, t: Mapping[str, Any], name: str, path: str, choices: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
        """A table of non-negative weights over known names, not all zero."""
        key = f"{path}.{name}" if path else name
        v = t.get(name)
        if not isinstance(v, Mapping) or not v:
            raise self.fail(key, "a table of weights, e.g. {" + f"{choices[0]}=1.0" + "}", v)
        out = []
        for k, w in v.items():
            if k not in choices:
                raise self.fail(f"{key}.{k}", "one of " + ", ".join(choices), k)
            if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
                raise self.fail(f"{key}.{k}", "a non-negative number", w)
            out.append((k, float(w)))
        if sum(w for _, w in out) <= 0:
            raise self.fail(key, "weights that are not all zero", dict(v))
        return tuple(out)


def _viewport(r: _Reader, t: Mapping[str, Any], path: str) -> tuple[int, int]:
    v = t.get("viewport")
    try:
        w, h = (int(x) for x in str(v).lower().split("x"))
        if w <= 0 or h <= 0 or not isinstance(v, str):
            raise ValueError
    except ValueError:
        raise r.fail(f"{path}.viewport", 'a string "WIDTHxHEIGHT" such as "1280x800"', v) from None
    return w, h


def _device(r: _Reader, kind: str, t: Mapping[str, Any]) -> DeviceProfile:
    path = f"device.{kind}"
    t = r.sub({kind: t}, kind, "device",  # re-use sub() for its type and unknown-key checks
              ("share", "viewport", "input", "abandon_per_100ms_over_tolerance", "typing", "pointing"))
    ty = r.sub(t, "typing", path, ("wpm", "uncorrected_error_rate", "corrected_error_rate", "error_kinds",
                                   "speed_error_exponent", "keystroke_cv"))
    tp = f"{path}.typing"
    po = r.sub(t, "pointing", path, ("fitts_a_s", "throughput_bits_s"))
    pp = f"{path}.pointing"
    return DeviceProfile(
        kind=kind,
        share=r.number(t, "share", path, 0.0, 1.0),
        viewport=_viewport(r, t, path),
        input=r.string(t, "input", path, INPUTS[kind]),
        abandon_per_100ms_over_tolerance=r.prob(t, "abandon_per_100ms_over_tolerance", path),
        typing=TypingProfile(
            wpm=r.dist(ty, "wpm", tp, 1.0, 300.0),
            uncorrected_error_rate=r.dist(ty, "uncorrected_error_rate", tp, 0.0, 0.5),
            corrected_error_rate=r.dist(ty, "corrected_error_rate", tp, 0.0, 0.5),
            error_kinds=r.weights(ty, "error_kinds", tp, ERROR_KINDS),
            speed_error_exponent=r.number(ty, "speed_error_exponent", tp, 0.0, 5.0),
            keystroke_cv=r.number(ty, "keystroke_cv", tp, 0.0, 2.0),
        ),
        pointing=PointingProfile(
            fitts_a_s=r.dist(po, "fitts_a_s", pp, 0.0, 2.0),
            throughput_bits_s=r.dist(po, "throughput_bits_s", pp, 0.5, 20.0),
        ),
    )


TOP_KEYS = ("name", "description", "locale", "returning_share", "device", "klm", "reading", "patience",
            "noticing", "payment", "card", "abandonment")


def parse_persona(data: Mapping[str, Any], file: str, default_name: str) -> Persona:
    """Validate a parsed TOML document; raise ScenarioError naming the file and the key."""
    r = _Reader(file)
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise r.fail(unknown[0], "one of the keys " + ", ".join(TOP_KEYS), unknown[0])
    dev = data.get("device")
    if not isinstance(dev, Mapping) or not dev:
        raise r.fail("device", "a table with [device.desktop] and/or [device.phone]", dev)
    for k in dev:
        if k not in DEVICE_KINDS:
            raise r.fail(f"device.{k}", "device kind desktop or phone", k)
    devices = tuple(_device(r, k, dev[k]) for k in DEVICE_KINDS if k in dev)
    total = sum(d.share for d in devices)
    if abs(total - 1.0) > 1e-6:
        raise r.fail("device", "shares that add up to 1", {d.kind: d.share for d in devices})

    klm = r.sub(data, "klm", "", ("mental_s", "homing_s", "click_s"))
    reading = r.sub(data, "reading", "", ("wpm",))
    pat = r.sub(data, "patience", "", ("wait_with_feedback_s", "wait_without_feedback_s", "errors_per_field",
                                       "errors_total"))
    noti = r.sub(data, "noticing", "", ("in_view_near", "in_view_far", "alert", "screen_reader_share"))
    pay = r.sub(data, "payment", "", ("preferred", "accepts", "leave_if_preferred_missing"))
    card = r.sub(data, "card", "", ("outcomes", "retry_after_decline", "switch_method_after_decline"))
    ab = r.sub(data, "abandonment", "", ABANDONMENT_REASONS)

    accepts = pay.get("accepts")
    if not isinstance(accepts, list) or not accepts:
        raise r.fail("payment.accepts", "a non-empty list of payment methods", accepts)
    for i, m in enumerate(accepts):
        if m not in PAYMENT_METHODS:
            raise r.fail(f"payment.accepts[{i}]", "one of " + ", ".join(PAYMENT_METHODS), m)
    preferred = r.weights(pay, "preferred", "payment", PAYMENT_METHODS)
    for m, w in preferred:
        if w > 0 and m not in accepts:
            raise r.fail(f"payment.preferred.{m}", "a method that is also in payment.accepts", m)

    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise r.fail("name", "a non-empty string", name)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise r.fail("description", "a string", description)

    return Persona(
        name=name,
        file=file,
        description=description,
        locale=r.string(data, "locale", "", LOCALES),
        returning_share=r.prob(data, "returning_share", ""),
        devices=devices,
        klm=Klm(
            mental_s=r.dist(klm, "mental_s", "klm", 0.0, 10.0),
            homing_s=r.dist(klm, "homing_s", "klm", 0.0, 5.0),
            click_s=r.dist(klm, "click_s", "klm", 0.0, 5.0),
        ),
        reading_wpm=r.dist(reading, "wpm", "reading", 20.0, 2000.0),
        patience=Patience(
            wait_with_feedback_s=r.dist(pat, "wait_with_feedback_s", "patience", 0.0, 3600.0),
            wait_without_feedback_s=r.dist(pat, "wait_without_feedback_s", "patience", 0.0, 3600.0),
            errors_per_field=r.dist(pat, "errors_per_field", "patience", 0.0, 100.0),
            errors_total=r.dist(pat, "errors_total", "patience", 0.0, 1000.0),
        ),
        noticing=Noticing(
            in_view_near=r.prob(noti, "in_view_near", "noticing"),
            in_view_far=r.prob(noti, "in_view_far", "noticing"),
            alert=r.prob(noti, "alert", "noticing"),
            screen_reader_share=r.prob(noti, "screen_reader_share", "noticing"),
        ),
        payment=PaymentPrefs(
            preferred=preferred,
            accepts=tuple(accepts),
            leave_if_preferred_missing=r.prob(pay, "leave_if_preferred_missing", "payment"),
        ),
        card=CardPrefs(
            outcomes=r.weights(card, "outcomes", "card", CARD_OUTCOMES),
            retry_after_decline=r.prob(card, "retry_after_decline", "card"),
            switch_method_after_decline=r.prob(card, "switch_method_after_decline", "card"),
        ),
        abandonment=tuple((k, r.prob(ab, k, "abandonment")) for k in ab),
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
