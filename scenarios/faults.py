"""Fault profiles (scenarios/faults/*.toml) and a scenario's `[faults]` plan: data, validated here.

A profile is a list of rules. Each rule picks endpoints, applies to a share of their requests
(seeded, Toxiproxy style), optionally only inside a window of time since the profile was
applied, and injects latency, an error, or both:

    description = "The card processor is slow; the rest of the API is fast"
    seed = 7
    [[rules]]
    endpoints = ["POST /v1/payment_intents/{id}/confirm"]     # fnmatch patterns, default ["*"]
    share = 1.0                                                 # default 1.0
    latency = {dist = "lognormal", p50 = "600ms", p99 = "2s"}
    [[rules]]
    start = "10s"                                               # an outage: every request,
    end = "20s"                                                 # from 10 s to 20 s
    error = "http_503"
    retry_after = "2s"

The gateway (mock_gateway/faults.py) applies profiles; the harness sends them at run time over
the admin endpoint. Both read them through this module, so a profile means the same everywhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .reading import MAX_SEED, Table, parse_duration

FAULTS_DIR = Path(__file__).resolve().parent / "faults"

# What a rule can do to a request instead of (or after) answering it.
ERROR_KINDS = ("http_500", "http_503", "http_429", "connection_reset", "timeout", "slow_body")
# Errors that can happen after the request did its work (the write committed, the client is not told).
AFTER_KINDS = ("http_500", "connection_reset", "timeout", "slow_body")
LATENCY_DISTS = ("fixed", "normal", "lognormal", "uniform")
_Z99 = 2.3263478740408408  # the standard normal's 99th percentile


@dataclass(frozen=True)
class Latency:
    """An added delay, in seconds, drawn per request; a `tail` replaces it for a share of requests."""

    dist: str
    value: float = 0.0  # fixed
    mean: float = 0.0  # normal
    sd: float = 0.0
    p50: float = 0.0  # lognormal, given by two percentiles people can read off a chart
    p99: float = 0.0
    min: float = 0.0  # uniform
    max: float = 0.0
    tail_share: float = 0.0
    tail: Latency | None = None

    def sample(self, rng: random.Random) -> float:
        if self.tail is not None and self.tail_share > 0 and rng.random() < self.tail_share:
            return self.tail.sample(rng)
        if self.dist == "fixed":
            return self.value
        if self.dist == "normal":
            return max(0.0, rng.gauss(self.mean, self.sd))
        if self.dist == "lognormal":
            sigma = math.log(self.p99 / self.p50) / _Z99
            return self.p50 * math.exp(sigma * rng.gauss(0.0, 1.0))
        return rng.uniform(self.min, self.max)

    @property
    def median(self) -> float:
        """The delay's median without the tail (for documentation and tests)."""
        return {"fixed": self.value, "normal": max(self.mean, 0.0), "lognormal": self.p50}.get(
            self.dist, (self.min + self.max) / 2
        )


@dataclass(frozen=True)
class FaultError:
    """An error instead of an answer. `when="after"` answers the request first (its write commits),
    then fails: the client does not learn the outcome, which is what reconciliation must catch."""

    kind: str
    when: str = "before"
    retry_after_s: float | None = None  # http_503 / http_429: the Retry-After header
    hang_s: float = 30.0  # timeout: how long the connection hangs before it is reset
    body_time_s: float = 5.0  # slow_body: how long the body takes to arrive


@dataclass(frozen=True)
class FaultRule:
    endpoints: tuple[str, ...] = ("*",)
    share: float = 1.0
    start_s: float | None = None
    end_s: float | None = None
    latency: Latency | None = None
    error: FaultError | None = None

    def active(self, since_applied_s: float) -> bool:
        if self.start_s is not None and since_applied_s < self.start_s:
            return False
        return self.end_s is None or since_applied_s < self.end_s


@dataclass(frozen=True)
class FaultProfile:
    name: str
    description: str
    seed: int
    rules: tuple[FaultRule, ...]
    # The table it was read from: what travels to the gateway's admin endpoint (JSON).
    table: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class FaultChange:
    """At `at_s` seconds after the load starts, apply `profile` (None: remove all faults)."""

    at_s: float
    profile: FaultProfile | None


@dataclass(frozen=True)
class FaultPlan:
    """A scenario's faults: the profile the gateway starts with, and the changes during the run."""

    start_profile: str | None  # a name in scenarios/faults/ or a path: what `--faults` is given
    start: FaultProfile | None
    timeline: tuple[FaultChange, ...]


# --------------------------------------------------------------------------------------------
# Reading


def parse_profile(table: Any, file: str, name: str = "", path: str = "") -> FaultProfile:
    """A profile from its table (a TOML file's top level, an inline timeline entry, or JSON)."""
    t = Table(table, file, path)
    description = t.text("description", "") or ""
    seed = t.integer("seed", 0, min=0, max=MAX_SEED) or 0
    raw_rules = t.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ScenarioError(file, t.key("rules"), "a list of rule tables ([[rules]])", raw_rules)
    rules = tuple(_rule(r, file, t.key(f"rules[{i}]")) for i, r in enumerate(raw_rules))
    t.done(allowed_extra=("name",))
    return FaultProfile(name or str(table.get("name") or "inline"), description, seed, rules, dict(table))


def _rule(raw: Any, file: str, path: str) -> FaultRule:
    t = Table(raw, file, path)
    endpoints = tuple(t.text_list("endpoints", ["*"]) or ["*"])
    for i, pattern in enumerate(endpoints):
        method = pattern.split(" ", 1)[0]
        if pattern != "*" and (" " not in pattern or not (method.isupper() or method == "*")):
            raise ScenarioError(file, t.key(f"endpoints[{i}]"), 'an endpoint pattern such as "POST /v1/payment_intents/{id}/confirm", '
                                '"* /v1/refunds*" or "*"', pattern)
    share = t.decimal("share", 1.0, min=0.0, max=1.0)
    start = t.duration("start")
    end = t.duration("end")
    if start is not None and end is not None and end <= start:
        raise ScenarioError(file, t.key("end"), f"a time after start ({start:g} s)", t.get("end"))
    latency = _latency(t.get("latency"), file, t.key("latency"), allow_tail=True) if t.has("latency") else None
    error = None
    kind = t.text("error", None, choices=ERROR_KINDS)
    when = t.text("when", "before", choices=("before", "after")) or "before"
    retry_after = t.duration("retry_after")
    hang = t.duration("hang", 30.0)
    body_time = t.duration("body_time", 5.0)
    if kind is not None:
        if when == "after" and kind not in AFTER_KINDS:
            raise ScenarioError(file, t.key("when"), f'"before" for {kind} ("after" is for {", ".join(AFTER_KINDS)})', when)
        if retry_after is not None and kind not in ("http_503", "http_429"):
            raise ScenarioError(file, t.key("retry_after"), "retry_after only with error = http_503 or http_429", retry_after)
        error = FaultError(kind, when, retry_after, float(hang or 0.0), float(body_time or 0.0))
    else:
        for extra in ("when", "retry_after", "hang", "body_time"):
            if t.has(extra):
                raise ScenarioError(file, t.key("error"), f"an error kind ({', '.join(ERROR_KINDS)}) for {extra} to apply to", None)
    if latency is None and error is None:
        raise ScenarioError(file, path, "a rule with latency, error or both", dict(raw))
    t.done()
    return FaultRule(endpoints, float(share), start, end, latency, error)


def _latency(raw: Any, file: str, path: str, allow_tail: bool) -> Latency:
    """A latency: a duration ("200ms", a fixed delay) or a {dist = ...} table."""
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        return Latency("fixed", value=parse_duration(raw, file, path))
    t = Table(raw, file, path)
    dist = t.text("dist", None, choices=LATENCY_DISTS)
    if dist is None:
        raise ScenarioError(file, t.key("dist"), "one of " + ", ".join(LATENCY_DISTS), None)

    def need(name: str) -> float:
        if not t.has(name):
            raise ScenarioError(file, t.key(name), f"a duration (required for dist = {dist!r})", None)
        return float(t.duration(name) or 0.0)

    kw: dict[str, Any] = {}
    if dist == "fixed":
        kw["value"] = need("value")
    elif dist == "normal":
        kw["mean"], kw["sd"] = need("mean"), need("sd")
    elif dist == "lognormal":
        kw["p50"], kw["p99"] = need("p50"), need("p99")
        if kw["p50"] <= 0 or kw["p99"] < kw["p50"]:
            raise ScenarioError(file, t.key("p99"), f"p50 > 0 and p99 >= p50 ({kw['p50']:g} s)", t.get("p99"))
    else:
        kw["min"], kw["max"] = need("min"), need("max")
        if kw["max"] < kw["min"]:
            raise ScenarioError(file, t.key("max"), f"a duration of at least min ({kw['min']:g} s)", t.get("max"))
    if allow_tail and t.has("tail"):
        kw["tail_share"] = t.decimal("tail_share", None, min=0.0, max=1.0)
        if kw["tail_share"] is None:
            raise ScenarioError(file, t.key("tail_share"), "the share of requests that get the tail, 0..1", None)
        kw["tail"] = _latency(t.get("tail"), file, t.key("tail"), allow_tail=False)
    elif t.has("tail_share"):
        raise ScenarioError(file, t.key("tail"), "a tail latency for tail_share to apply to", None)
    t.done()
    return Latency(dist, **kw)


def profile_path(name_or_path: str | Path, base_dir: Path | None = None) -> Path:
    """A shipped profile's name (`slow-confirm`), or a path (relative to `base_dir` first)."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text).expanduser()
        if not path.is_absolute() and base_dir is not None and (base_dir / path).exists():
            path = base_dir / path
        return path
    if text not in list_profiles():  # a bare name is a shipped profile, nothing else ("..", "")
        return FAULTS_DIR / "(unknown)" / f"{text}.toml"
    return FAULTS_DIR / f"{text}.toml"


def list_profiles() -> list[str]:
    return sorted(p.stem for p in FAULTS_DIR.glob("*.toml"))


def load_profile(name_or_path: str | Path, base_dir: Path | None = None, *, file: str | None = None,
                 key: str = "(profile)", confine: bool = False) -> FaultProfile:
    """A profile by name or path. `file`/`key`: where it was named (a scenario file and its key), so
    that an unknown name is reported there; without them the error names the profile itself.
    `confine`: a scenario's profile is a shipped name or a file inside the scenario's own folder
    (`base_dir`), never a path elsewhere (`../../../../etc/passwd` names the scenario's key)."""
    expected = ("a fault profile name (" + ", ".join(list_profiles()) + ") or the path of a .toml profile" +
                (" inside the scenario's folder" if confine else ""))
    path = profile_path(name_or_path, base_dir)
    if confine and not _inside_allowed(path, base_dir):
        raise ScenarioError(file or str(name_or_path), key, expected, str(name_or_path))
    if not path.is_file():
        raise ScenarioError(file or str(name_or_path), key, expected, str(name_or_path) if file else "no such file")
    from .toml_limits import read_toml

    table = read_toml(path)
    return parse_profile(table, str(path), name=path.stem)


def _inside_allowed(path: Path, base_dir: Path | None) -> bool:
    """Shipped (scenarios/faults/) or inside the scenario's folder, symbolic links resolved."""
    resolved = path.resolve()
    roots = [FAULTS_DIR.resolve()] + ([base_dir.resolve()] if base_dir is not None else [])
    return any(resolved.is_relative_to(root) for root in roots)


def parse_faults(table: Any, file: str) -> FaultPlan:
    """A scenario's `[faults]`: `profile` at start, and `[[faults.timeline]]` changes.

        [faults]
        profile = "flaky"                 # optional: the gateway starts with it
        [[faults.timeline]]
        at = "60s"
        profile = "p99-triples"           # a shipped name or a path ...
        [[faults.timeline]]
        at = "90s"
        rules = [{error = "http_503", share = 0.5}]   # ... or inline rules
        [[faults.timeline]]
        at = "120s"
        clear = true                      # no faults from here on
    """
    t = Table(table, file, "faults")
    base_dir = Path(file).resolve().parent if file and not file.startswith("(") else None
    start_name = t.text("profile")
    start = None
    if start_name:
        start = load_profile(start_name, base_dir, file=file, key="faults.profile", confine=True)
        profile_file = profile_path(start_name, base_dir)
        if profile_file.parent != FAULTS_DIR:
            start_name = str(profile_file.resolve())  # a path the gateway can open whatever its working directory
    raw_timeline = t.get("timeline", [])
    if not isinstance(raw_timeline, list):
        raise ScenarioError(file, "faults.timeline", "a list of tables ([[faults.timeline]])", raw_timeline)
    changes = []
    last_at = -1.0
    for i, raw in enumerate(raw_timeline):
        path = f"faults.timeline[{i}]"
        entry = Table(raw, file, path)
        at = entry.duration("at")
        if at is None:
            raise ScenarioError(file, f"{path}.at", "a time since the load started, such as \"60s\"", None)
        if at < last_at:
            raise ScenarioError(file, f"{path}.at", f"a time no earlier than the entry before ({last_at:g} s)", entry.get("at"))
        last_at = at
        given = [k for k in ("profile", "rules", "clear") if entry.has(k)]
        if len(given) != 1:
            raise ScenarioError(file, path, "exactly one of profile, rules or clear = true", ", ".join(given) or None)
        if entry.has("clear"):
            if entry.flag("clear") is not True:
                raise ScenarioError(file, f"{path}.clear", "true", entry.get("clear"))
            profile = None
        elif entry.has("profile"):
            profile = load_profile(entry.text("profile") or "", base_dir, file=file, key=f"{path}.profile", confine=True)
        else:
            inline = {"rules": entry.get("rules"), "description": entry.get("description", ""), "seed": entry.get("seed", 0)}
            profile = parse_profile(inline, file, name=f"timeline[{i}]", path=path)
        entry.done(allowed_extra=("description", "seed"))
        changes.append(FaultChange(at, profile))
    t.done()
    return FaultPlan(start_name, start, tuple(changes))
