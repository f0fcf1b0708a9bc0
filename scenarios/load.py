"""A scenario's `[load]` table: which workload model, which shape over time, which order mix.

Read and validated here (ScenarioError naming the key for bad input); run by harness/load/.
The format, with an example of each shape and both models, is in harness/load/README.md.

Shapes give a level over time: arrivals per second in the open model (keys end in `_rate`),
users in the closed model (keys end in `_users`):

    ramp        start_X (0) -> end_X over `over` (default: the whole duration), then hold
    step        start_X (0), + step_X every `every`, at most `steps` times
    spike       base_X; at `at` rise over `rise` (0) to peak_X, hold `hold`, fall over `fall` (0)
    flash-sale  base_X; at `at` rise over `rise` (0) to peak_X, then decay back to base_X
                exponentially with time constant `decay`
    soak        X (rate or users) for the whole duration, reached over `warmup` (0)

Bring your own load: `locustfile` (a path relative to the scenario file) and `user_classes` (class
names it defines) run the user's own Locust users with these shapes and models instead of the
harness's orders; `host` says where they send requests (default: their own `host`, else the
run's target). `[load.locust]` asks for Locust's own web UI, CSV and HTML report.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .methods import LOAD_KEYS
from .reading import Table, parse_duration

MODELS = ("open", "closed")
SHAPES = ("ramp", "step", "spike", "flash-sale", "soak")
ARRIVALS = ("uniform", "poisson")

# name -> ("level" | "time" | "count", required?, default)
_LEVEL, _TIME, _COUNT = "level", "time", "count"
SHAPE_PARAMS: dict[str, tuple[tuple[str, str, bool, float | None], ...]] = {
    "ramp": (("start", _LEVEL, False, 0.0), ("end", _LEVEL, True, None), ("over", _TIME, False, None)),
    "step": (("start", _LEVEL, False, 0.0), ("step", _LEVEL, True, None), ("every", _TIME, True, None),
             ("steps", _COUNT, False, None)),
    "spike": (("base", _LEVEL, True, None), ("peak", _LEVEL, True, None), ("at", _TIME, True, None),
              ("hold", _TIME, True, None), ("rise", _TIME, False, 0.0), ("fall", _TIME, False, 0.0)),
    "flash-sale": (("base", _LEVEL, True, None), ("peak", _LEVEL, True, None), ("at", _TIME, True, None),
                   ("rise", _TIME, False, 0.0), ("decay", _TIME, True, None)),
    "soak": (("", _LEVEL, True, None), ("warmup", _TIME, False, 0.0)),
}

# Payment-method mix keys: what the shopper pays with. card_* are Stripe test cards; the others
# are Stripe payment-method types (scenarios/methods.py).
METHOD_KEYS = LOAD_KEYS
# Where an order comes from, as the gateway records it in metadata[channel] (mock_gateway/core/channels.py).
CHANNELS = ("web", "mobile_web", "app", "pos")
DEFAULT_METHODS = (("card_success", 0.85), ("card_decline", 0.1), ("card_3ds", 0.05))


@dataclass(frozen=True)
class Shape:
    """A level over time: arrivals/s (open model) or users (closed model)."""

    kind: str
    unit: str  # "rate" | "users"
    params: tuple[tuple[str, float], ...]
    configured: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def p(self, name: str) -> float:
        return dict(self.params)[name]

    def level(self, t: float) -> float:
        p = dict(self.params)
        if t < 0:
            t = 0.0
        if self.kind == "ramp":
            over = p["over"]
            frac = 1.0 if over <= 0 else min(1.0, t / over)
            return p["start"] + (p["end"] - p["start"]) * frac
        if self.kind == "step":
            n = math.floor(t / p["every"])
            if p.get("steps", -1) >= 0:
                n = min(n, int(p["steps"]))
            return p["start"] + p["step"] * n
        if self.kind == "soak":
            warm = p["warmup"]
            return p["level"] * (1.0 if warm <= 0 else min(1.0, t / warm))
        base, peak, at, rise = p["base"], p["peak"], p["at"], p["rise"]
        if t < at:
            return base
        if t < at + rise:
            return base + (peak - base) * (t - at) / rise
        after = t - at - rise
        if self.kind == "flash-sale":
            return base + (peak - base) * math.exp(-after / p["decay"])
        if after < p["hold"]:
            return peak
        fall = p["fall"]
        if after < p["hold"] + fall:
            return peak + (base - peak) * (after - p["hold"]) / fall
        return base

    def peak_level(self, duration_s: float) -> float:
        """The highest level within the run (sampled every 10 ms plus the breakpoints)."""
        points = [i * duration_s / 2000 for i in range(2001)]
        for name in ("at", "over", "rise", "hold"):
            if name in dict(self.params):
                points.append(dict(self.params)[name])
        if "at" in dict(self.params):
            points.append(self.p("at") + dict(self.params).get("rise", 0.0))
        return max(self.level(min(max(t, 0.0), duration_s)) for t in points)


@dataclass(frozen=True)
class ThinkTime:
    """Closed model: what a user waits between orders (constant, uniform or exponential)."""

    kind: str = "constant"
    a: float = 1.0  # constant value, uniform min, exponential mean
    b: float = 1.0  # uniform max


@dataclass(frozen=True)
class Mix:
    """What each order does: how it pays, and what else the merchant does with it."""

    methods: tuple[tuple[str, float], ...] = DEFAULT_METHODS
    checkout_session: float = 0.0  # share of orders through Checkout Sessions instead of PaymentIntents
    retry_declined: float = 1.0  # share of declined shoppers who try another card
    manual_capture: float = 0.0  # share of card orders authorised first and captured after
    refund_share: float = 0.05  # share of paid orders refunded
    partial_refund: float = 0.5  # of those, the share refunded in part
    retrieve_share: float = 0.1  # share of orders whose PaymentIntent is retrieved again
    list_share: float = 0.05  # share of orders followed by a list call (a merchant dashboard)
    # the channel each order is sent from (metadata[channel]), weighted; assumption: a merchant's
    # web checkout unless the scenario says otherwise
    channels: tuple[tuple[str, float], ...] = (("web", 1.0),)


@dataclass(frozen=True)
class ClientConfig:
    """How the merchant's client behaves: timeouts, and retries with the same Idempotency-Key."""

    timeout_s: float = 10.0
    max_retries: int = 2
    backoff_s: float = 0.5
    max_backoff_s: float = 5.0


@dataclass(frozen=True)
class Distributed:
    """Locust's master/worker mode: where the master listens and how many remote workers to wait for."""

    bind_host: str = "127.0.0.1"
    bind_port: int = 0  # 0: any free port (enough for local workers)
    remote_workers: int = 0
    wait_workers_s: float = 60.0
    target: str | None = None  # the URL workers on other machines use, if not the run's target


@dataclass(frozen=True)
class LocustOutputs:
    """Locust's own views of the run, besides the harness's files: its web UI and its reports."""

    web_ui: str | None = None  # "HOST:PORT" where Locust's web UI listens while the load runs
    csv: bool = False  # load/locust_stats.csv, _stats_history.csv, _failures.csv, _exceptions.csv
    html: bool = False  # load/locust_report.html


@dataclass(frozen=True)
class UserClasses:
    """The user's own Locust user classes, run with the scenario's shape and model."""

    locustfile: str  # absolute path
    names: tuple[str, ...]
    host: str | None = None  # where they send requests (None: the class's own host, else the run's target)


@dataclass(frozen=True)
class LoadConfig:
    model: str
    shape: Shape
    duration_s: float
    arrivals: str = "uniform"
    max_in_flight: int = 500
    think_time: ThinkTime = ThinkTime()
    drain_s: float = 10.0
    currency: str = "jpy"
    amount_min: int = 500
    amount_max: int = 30000
    mix: Mix = Mix()
    client: ClientConfig = ClientConfig()
    distributed: Distributed = Distributed()
    file: str = ""
    # The table as written: what travels to the load subprocess, which parses it again.
    table: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    user_classes: UserClasses | None = None  # None: the harness's own orders (mix, amounts)
    think_time_set: bool = False  # closed model: think_time given (it then replaces the user classes' wait_time)
    locust: LocustOutputs = LocustOutputs()


def parse_load(table: Any, file: str) -> LoadConfig:
    t = Table(table, file, "load")
    model = t.text("model", "open", choices=MODELS) or "open"
    kind = t.text("shape", None, choices=SHAPES)
    if kind is None:
        raise ScenarioError(file, "load.shape", "one of " + ", ".join(SHAPES), None)
    duration = t.duration("duration")
    if duration is None or duration <= 0:
        raise ScenarioError(file, "load.duration", "a duration above zero, such as \"60s\"", t.get("duration"))
    shape = _shape(t, kind, model, duration)
    arrivals = t.text("arrivals", "uniform", choices=ARRIVALS) or "uniform"
    max_in_flight = t.integer("max_in_flight", 500, min=1, max=100_000) or 500
    think = _think(t)
    drain = t.duration("drain", 10.0)
    currency = t.text("currency", "jpy") or "jpy"
    if len(currency) != 3 or not currency.isalpha() or not currency.islower():
        raise ScenarioError(file, "load.currency", "a three-letter lower-case currency code such as \"jpy\"", currency)
    amount_min, amount_max = _amount(t)
    mix = _mix(t.table("mix"), file)
    client = _client(t.table("client"), file)
    distributed = _distributed(t.table("distributed"), file)
    if model == "open" and t.has("think_time"):
        raise ScenarioError(file, "load.think_time", "no think_time in the open model (arrivals do not wait for answers); "
                            "use model = \"closed\"", t.get("think_time"))
    if model == "closed" and (t.has("arrivals") or t.has("max_in_flight")):
        key = "load.arrivals" if t.has("arrivals") else "load.max_in_flight"
        raise ScenarioError(file, key, "arrivals and max_in_flight only in the open model", t.get(key.split(".")[1]))
    users = _user_classes(t)
    if users is not None:
        for key in ("mix", "currency", "amount", "client"):
            if t.has(key):
                raise ScenarioError(file, f"load.{key}", "no " + (f"[load.{key}] table" if key in ("mix", "client") else key) +
                                    " with user_classes (your classes decide what each user does and how)", t.get(key))
    locust = _locust(t.table("locust"), file)
    t.done(allowed_extra=(kind,))
    return LoadConfig(model, shape, float(duration), arrivals, max_in_flight, think, float(drain or 0.0), currency,
                      amount_min, amount_max, mix, client, distributed, file, user_classes=users,
                      think_time_set=t.has("think_time"), locust=locust, table=dict(table))


def _user_classes(t: Table) -> UserClasses | None:
    """`locustfile` + `user_classes` (+ `host`), checked without importing the file (no Locust here)."""
    locustfile, names, host = t.get("locustfile"), t.get("user_classes"), t.text("host")
    if host is not None and not host.startswith(("http://", "https://")):
        raise ScenarioError(t.file, "load.host", "an http:// or https:// URL where your user classes send requests", host)
    if locustfile is None:
        if names is not None:
            raise ScenarioError(t.file, "load.locustfile", "a locustfile (path relative to the scenario) defining user_classes", None)
        if host is not None:
            raise ScenarioError(t.file, "load.host", "host only with locustfile and user_classes (the harness's own orders go to "
                                "the run's target)", host)
        return None
    if not isinstance(locustfile, str) or not locustfile.endswith(".py"):
        raise ScenarioError(t.file, "load.locustfile", "a path to a Python file (.py), relative to the scenario", locustfile)
    path = (Path(t.file).resolve().parent / locustfile).resolve()
    if not path.is_file():
        raise ScenarioError(t.file, "load.locustfile", f"an existing file, relative to the scenario ({path} does not exist)", locustfile)
    if isinstance(names, str):
        names = [names]
    if (not isinstance(names, list) or not names or len(set(names)) != len(names)
            or not all(isinstance(n, str) and n.isidentifier() for n in names)):
        raise ScenarioError(t.file, "load.user_classes", f"a list of distinct class names defined in {locustfile}, "
                            "e.g. [\"ShopBuyer\"]", names)
    defined = _defined_names(path, t.file)
    missing = [n for n in names if n not in defined]
    if missing:
        raise ScenarioError(t.file, "load.user_classes", f"classes defined or imported at the top level of {locustfile} "
                            f"(it has: {', '.join(sorted(defined)) or 'none'})", missing[0])
    return UserClasses(str(path), tuple(names), host.rstrip("/") if host else None)


def _defined_names(path: Path, file: str) -> set[str]:
    """Names bound at the top level of a Python file (classes, imports, assignments), read with ast."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError) as err:
        raise ScenarioError(file, "load.locustfile", "a Python file that parses", f"{path}: {err}") from None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


def _locust(sub: Table | None, file: str) -> LocustOutputs:
    if sub is None:
        return LocustOutputs()
    raw = sub.get("web_ui", False)
    web_ui: str | None = None
    if raw is True:
        web_ui = "127.0.0.1:8089"
    elif isinstance(raw, str):
        host, sep, port = raw.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise ScenarioError(file, "load.locust.web_ui", "true (127.0.0.1:8089) or \"HOST:PORT\" for Locust's web UI", raw)
        web_ui = raw
    elif raw is not False:
        raise ScenarioError(file, "load.locust.web_ui", "true (127.0.0.1:8089) or \"HOST:PORT\" for Locust's web UI", raw)
    outputs = LocustOutputs(web_ui, bool(sub.flag("csv", False)), bool(sub.flag("html", False)))
    sub.done()
    return outputs


def _shape(t: Table, kind: str, model: str, duration: float) -> Shape:
    unit = "rate" if model == "open" else "users"
    sub = t.table(kind)
    if sub is None:
        example = {"ramp": "end", "step": "step", "spike": "peak", "flash-sale": "peak", "soak": ""}[kind]
        key = f"{example}_{unit}" if example else unit
        raise ScenarioError(t.file, f"load.{kind}", f"a [load.{kind}] table with the shape's parameters (e.g. {key} = ...)", None)
    other_unit = "users" if unit == "rate" else "rate"
    for name, what, _required, _default in SHAPE_PARAMS[kind]:
        other = (f"{name}_{other_unit}" if name else other_unit) if what == _LEVEL else ""
        if other and sub.has(other):
            counted = "arrivals per second" if model == "open" else "users"
            raise ScenarioError(t.file, sub.key(other), f"levels named *_{unit} (the {model} model counts {counted})", other)
    params: list[tuple[str, float]] = []
    for name, what, required, default in SHAPE_PARAMS[kind]:
        key = (f"{name}_{unit}" if name else unit) if what == _LEVEL else name
        stored = name or "level"
        if not sub.has(key):
            if required:
                raise ScenarioError(t.file, sub.key(key), _expected(what, model), None)
            if name == "over":
                default = duration
            if default is None:
                params.append((stored, -1.0))  # "no limit" (steps)
                continue
            params.append((stored, float(default)))
            continue
        value = sub.get(key)
        if what == _TIME:
            seconds = parse_duration(value, t.file, sub.key(key))
            if name in ("every", "decay") and seconds <= 0:
                raise ScenarioError(t.file, sub.key(key), "a duration above zero", value)
            params.append((stored, seconds))
        elif what == _COUNT:
            params.append((stored, float(sub.integer(key, min=0) or 0)))
        else:
            number = sub.integer(key, min=0, max=1_000_000) if model == "closed" else sub.decimal(key, min=0.0, max=1_000_000.0)
            params.append((stored, float(number or 0)))
    sub.done()
    shape = Shape(kind, unit, tuple(params), {"kind": kind, **dict(sub.data)})
    if shape.peak_level(duration) <= 0:
        raise ScenarioError(t.file, f"load.{kind}", f"a shape whose {unit} rises above zero within the duration", dict(sub.data))
    return shape


def _expected(what: str, model: str) -> str:
    if what == _TIME:
        return "a duration such as \"20s\""
    return "arrivals per second (a number >= 0)" if model == "open" else "a number of users (a whole number >= 0)"


def _think(t: Table) -> ThinkTime:
    raw = t.get("think_time")
    if raw is None:
        return ThinkTime()
    if not isinstance(raw, Mapping):
        return ThinkTime("constant", parse_duration(raw, t.file, "load.think_time"), 0.0)
    sub = Table(raw, t.file, "load.think_time")
    if sub.has("mean"):
        mean = sub.duration("mean") or 0.0
        sub.done()
        return ThinkTime("exponential", mean, 0.0)
    lo, hi = sub.duration("min"), sub.duration("max")
    if lo is None or hi is None or hi < lo:
        raise ScenarioError(t.file, "load.think_time", "a duration, {min = \"0.5s\", max = \"2s\"} or {mean = \"1s\"}", raw)
    sub.done()
    return ThinkTime("uniform", lo, hi)


def _amount(t: Table) -> tuple[int, int]:
    raw = t.get("amount", [500, 30000])
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1:
        return raw, raw
    if (isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
            and 1 <= raw[0] <= raw[1]):
        return raw[0], raw[1]
    raise ScenarioError(t.file, "load.amount", "an amount in the currency's smallest unit, or [min, max]", raw)


def _mix(sub: Table | None, file: str) -> Mix:
    if sub is None:
        return Mix()
    given = [(k, sub.decimal(k, min=0.0, max=1.0) or 0.0) for k in METHOD_KEYS if sub.has(k)]
    if given:
        total = sum(v for _, v in given)
        if abs(total - 1.0) > 1e-6:
            raise ScenarioError(file, "load.mix", f"payment-method shares ({', '.join(k for k, _ in given)}) that add up to 1",
                                round(total, 6))
        methods = tuple((k, v) for k, v in given if v > 0)
    else:
        methods = DEFAULT_METHODS
    d = Mix()
    mix = Mix(
        methods=methods,
        checkout_session=sub.decimal("checkout_session", d.checkout_session, min=0.0, max=1.0) or 0.0,
        retry_declined=_share(sub, "retry_declined", d.retry_declined),
        manual_capture=_share(sub, "manual_capture", d.manual_capture),
        refund_share=_share(sub, "refund_share", d.refund_share),
        partial_refund=_share(sub, "partial_refund", d.partial_refund),
        retrieve_share=_share(sub, "retrieve_share", d.retrieve_share),
        list_share=_share(sub, "list_share", d.list_share),
        channels=_channels(sub.table("channels")) or d.channels,
    )
    sub.done()
    return mix


def _channels(t: Table | None) -> tuple[tuple[str, float], ...] | None:
    """[load.mix.channels]: weights over web, mobile_web, app, pos, not all zero."""
    if t is None:
        return None
    t.known(CHANNELS)
    weights = tuple((k, t.decimal(k, min=0.0) or 0.0) for k in CHANNELS if t.has(k))
    if sum(w for _, w in weights) <= 0:
        raise ScenarioError(t.file, t.path, "weights over " + ", ".join(CHANNELS) + " that are not all zero", dict(t.data))
    return tuple((k, w) for k, w in weights if w > 0)


def _share(sub: Table, name: str, default: float) -> float:
    value = sub.decimal(name, default, min=0.0, max=1.0)
    return default if value is None else value


def _client(sub: Table | None, file: str) -> ClientConfig:
    if sub is None:
        return ClientConfig()
    d = ClientConfig()
    timeout = sub.duration("timeout", d.timeout_s) or 0.0
    if timeout <= 0:
        raise ScenarioError(file, "load.client.timeout", "a duration above zero", sub.get("timeout"))
    config = ClientConfig(
        timeout_s=timeout,
        max_retries=sub.integer("max_retries", d.max_retries, min=0, max=10) or 0,
        backoff_s=sub.duration("backoff", d.backoff_s) or 0.0,
        max_backoff_s=sub.duration("max_backoff", d.max_backoff_s) or 0.0,
    )
    sub.done()
    return config


def _distributed(sub: Table | None, file: str) -> Distributed:
    if sub is None:
        return Distributed()
    bind = sub.text("bind", "127.0.0.1:0") or "127.0.0.1:0"
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ScenarioError(file, "load.distributed.bind", "HOST:PORT where the master listens for workers, e.g. \"0.0.0.0:5557\"", bind)
    remote = sub.integer("remote_workers", 0, min=0, max=1000) or 0
    if remote and int(port) == 0:
        raise ScenarioError(file, "load.distributed.bind", "a fixed port (remote workers must know where to connect)", bind)
    target = sub.text("target")
    if target is not None and not target.startswith(("http://", "https://")):
        raise ScenarioError(file, "load.distributed.target", "an http:// or https:// URL", target)
    config = Distributed(host, int(port), remote, sub.duration("wait_workers", 60.0) or 60.0, target)
    sub.done()
    return config
