"""The one loader for scenario files: TOML in, a validated Scenario out, or a ScenarioError.

A scenario says what to start (the embedded gateway or a user's own target), what load to offer,
which shoppers to send through which checkout designs, which faults to inject and when, and which
gates decide the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .gates import Gate, parse_gate
from .reading import MAX_SEED, Table
from .toml_limits import check_depth, read_toml

SCENARIO_DIR = Path(__file__).resolve().parent
DEFAULT_SCENARIO = SCENARIO_DIR / "quickstart.toml"


@dataclass(frozen=True)
class JourneyPlan:
    """Simulated shoppers: every variant gets `count` journeys, personas drawn by weight."""

    variants: tuple[str, ...]
    personas: tuple[tuple[str, float], ...]
    count: int
    pace: str = "instant"
    concurrency: int = 2
    processes: int = 1
    timeout_s: float = 120.0
    currency: str = "jpy"
    amount: int = 4980
    site: Any | None = None  # scenarios.sites.SitePlan: the user's own checkout; None: the reference checkout


@dataclass(frozen=True)
class Regression:
    """What counts as worse than the baseline run."""

    latency_metric: str = "p95_ms"
    latency_worse_pct: float | None = 10.0
    conversion_significantly_lower: bool = True
    alpha: float = 0.05


@dataclass(frozen=True)
class Scenario:
    file: str
    name: str
    description: str
    seed: int
    target: str | None  # None: start the embedded gateway
    api_key: str
    gateway_workers: int
    max_duration_s: float
    load: Any | None  # scenarios.load.LoadConfig
    faults: Any | None  # scenarios.faults.FaultPlan
    journeys: JourneyPlan | None
    gates: tuple[Gate, ...]
    regression: Regression
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    churn: Any | None = None  # scenarios.churn.ChurnPlan: a subscriber cohort billed under dunning policies


def resolve_scenario_path(name_or_path: str | Path | None) -> Path:
    """A path, or the name of a shipped scenario (`flash-sale` -> scenarios/flash-sale.toml)."""
    if name_or_path is None:
        return DEFAULT_SCENARIO
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = SCENARIO_DIR / f"{name_or_path}.toml"
    if shipped.exists():
        return shipped
    raise ScenarioError(str(name_or_path), "(file)", "an existing scenario file or a shipped scenario name (" +
                        ", ".join(list_scenarios()) + ")", "no such file")


def list_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def load_scenario(name_or_path: str | Path | None = None, *, seed: int | None = None) -> Scenario:
    path = resolve_scenario_path(name_or_path)
    file = str(path)
    if path.is_dir():
        raise ScenarioError(file, "(file)", "a scenario file", "a directory")
    raw = read_toml(path, file)
    return parse_scenario(raw, file, default_name=path.stem, seed=seed)


def parse_scenario(raw: dict[str, Any], file: str, default_name: str = "scenario", seed: int | None = None) -> Scenario:
    check_depth(raw, file)  # a table built by hand (the journeys command) goes through the same limits
    top = Table(raw, file)
    name = top.text("name", default_name) or default_name
    description = top.text("description", "") or ""
    scenario_seed = top.integer("seed", 1, min=0, max=MAX_SEED) if seed is None else seed
    if not 0 <= scenario_seed <= MAX_SEED:
        raise ScenarioError(file, "--seed", f"a whole number between 0 and {MAX_SEED}", scenario_seed)
    target = top.text("target")
    if target is not None and not target.startswith(("http://", "https://")):
        raise ScenarioError(file, "target", "an http:// or https:// URL of a Stripe-compatible API", target)
    api_key = top.text("api_key", "sk_test_checkout_harness") or "sk_test_checkout_harness"
    if not api_key.startswith("sk_test_"):
        raise ScenarioError(file, "api_key", "a test secret key starting with sk_test_", api_key)
    max_duration = top.duration("max_duration", "30m") or 1800.0

    gateway = top.table("gateway")
    workers = 1
    if gateway is not None:
        workers = gateway.integer("workers", 1, min=1, max=64) or 1
        gateway.done()

    load = None
    if top.has("load"):
        from .load import parse_load

        load = parse_load(top.get("load"), file)
    faults = None
    if top.has("faults"):
        from .faults import parse_faults

        faults = parse_faults(top.get("faults"), file)
    if faults is not None and faults.timeline:
        _check_timeline(faults, load, file)
    journeys = _journeys(top.table("journeys"), file) if top.has("journeys") else None
    churn = None
    if top.has("churn"):
        from .churn import parse_churn

        churn = parse_churn(top.get("churn"), file)
    if load is None and journeys is None and churn is None:
        raise ScenarioError(file, "load", "a [load] table, a [journeys] table, a [churn] table, or several", None)

    gates = tuple(parse_gate(g, file, f"gates[{i}]") for i, g in enumerate(top.get("gates", []) or []))
    if not isinstance(raw.get("gates", []), list):
        raise ScenarioError(file, "gates", "a list of gate expressions", raw.get("gates"))
    for gate in gates:
        if gate.metric in ("conversion", "completion_median_s") and gate.key not in ("*", None):
            if journeys is None or gate.key not in journeys.variants:
                raise ScenarioError(file, "gates", f"a variant of [journeys] for {gate.metric}[...]", gate.key)
    regression = _regression(top.table("regression"), file)
    top.done()
    return Scenario(file, name, description, scenario_seed, target, api_key, workers, max_duration, load, faults,
                    journeys, gates, regression, raw, churn)


def _check_timeline(faults: Any, load: Any | None, file: str) -> None:
    """Fault changes during a run are applied by the load at their times: a change with no load to
    apply it, or after the load has ended, would be a fault asked for and never injected."""
    if load is None:
        raise ScenarioError(file, "faults.timeline", "a [load] table as well (the load applies the timeline's changes "
                            "at their times)", "a timeline without [load]")
    for i, change in enumerate(faults.timeline):
        if change.at_s >= load.duration_s:
            raise ScenarioError(file, f"faults.timeline[{i}].at", f"a time before the load ends ({load.duration_s:g} s)",
                                change.at_s)


def _journeys(t: Table | None, file: str) -> JourneyPlan:
    assert t is not None
    from .personas import list_personas
    from .variants import list_variants

    variants = t.text_list("variants") or []
    if not variants:
        raise ScenarioError(file, t.key("variants"), "a list of one or more variant names", t.get("variants"))
    site = None
    if t.has("site"):
        from .sites import parse_site

        site = parse_site(t.table("site", required=True))  # type: ignore[arg-type]
        known_variants = [name for name, _ in site.variants]
        where = "variant names of [journeys.site.variants]"
    else:
        known_variants = list_variants()
        where = "variant names among"
    for v in variants:
        if v not in known_variants:
            raise ScenarioError(file, t.key("variants"), where + " " + ", ".join(known_variants), v)
    raw_personas = t.get("personas")
    personas: list[tuple[str, float]]
    if isinstance(raw_personas, list) and raw_personas and all(isinstance(p, str) for p in raw_personas):
        personas = [(p, 1.0) for p in raw_personas]
    elif isinstance(raw_personas, dict) and raw_personas:
        personas = []
        for p, w in raw_personas.items():
            if isinstance(w, bool) or not isinstance(w, (int, float)) or w <= 0:
                raise ScenarioError(file, t.key(f"personas.{p}"), "a positive weight", w)
            personas.append((p, float(w)))
    else:
        raise ScenarioError(file, t.key("personas"), "a list of persona names or a table of name = weight", raw_personas)
    known_personas = list_personas()
    for p, _ in personas:
        if p not in known_personas:
            raise ScenarioError(file, t.key("personas"), "persona names among " + ", ".join(known_personas), p)
    plan = JourneyPlan(
        variants=tuple(variants),
        personas=tuple(personas),
        count=t.integer("count", 10, min=1, max=100_000) or 10,
        pace=t.text("pace", "instant", choices=("instant", "real")) or "instant",
        concurrency=t.integer("concurrency", 2, min=1, max=256) or 2,
        processes=t.integer("processes", 1, min=1, max=64) or 1,
        timeout_s=t.duration("timeout", "120s") or 120.0,
        currency=(t.text("currency", "jpy") or "jpy").lower(),
        amount=t.integer("amount", 4980, min=1) or 4980,
        site=site,
    )
    t.done()
    return plan


def _regression(t: Table | None, file: str) -> Regression:
    if t is None:
        return Regression()
    metric = t.text("latency_metric", "p95_ms", choices=("p50_ms", "p90_ms", "p95_ms", "p99_ms")) or "p95_ms"
    regression = Regression(
        latency_metric=metric,
        latency_worse_pct=t.decimal("latency_worse_pct", 10.0, min=0),
        conversion_significantly_lower=bool(t.flag("conversion_significantly_lower", True)),
        alpha=t.decimal("alpha", 0.05, min=0.0001, max=0.5) or 0.05,
    )
    t.done()
    return regression
