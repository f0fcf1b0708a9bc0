"""A user's own checkout as a journey site: how a journey starts, what a person does before the
form, and what counts as a purchase. Loaded from `[journeys.site]` in a scenario.

Without `[journeys.site]` journeys go to the reference hosted checkout (a Checkout Session per
journey, variants from scenarios/variants/). With it, the variants are the user's own pages: each
variant name maps to a URL (or a query string added to the start URL) the user names, and the
shoppers find their way through those pages as people do, by what the pages show.

```toml
[journeys.site]
start = "http://localhost:3000/product/tea"      # or a template: {variant}, {journey}, {seed}
steps = [{click = "Add to cart"}, {click = "Checkout"}]   # what a person does before the form
success = {url = "/thank-you"}                   # or {text = "Thank you"} or {payment = "succeeded"}
stripe_js = true                                 # route js.stripe.com to the gateway's script

[journeys.site.variants]
one-page = ""                                    # the start URL as it is
two-steps = "?layout=steps"                      # a query string added to the start URL
new-form = "http://localhost:3001/product/tea"   # or a URL of its own
plain-form = {steps = [{click = "Add to cart"}, {goto = "/pay"}]}   # or steps of its own (and `start`)
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import ScenarioError
from .reading import Table

STEP_ACTIONS = ("click", "goto", "fill")
SUCCESS_KINDS = ("url", "text", "payment")
PAYMENT_STATES = ("succeeded", "processing", "requires_capture", "any")
_PLACEHOLDERS = ("variant", "journey", "seed")
MAX_STEPS = 20


@dataclass(frozen=True)
class SiteStep:
    """One thing a person does before the checkout form: click what a visible text names, go to a
    URL (relative to the current page), or fill a field found by its label with a fixed value."""

    action: str
    target: str
    value: str = ""


@dataclass(frozen=True)
class Success:
    """What tells that the purchase went through: a URL pattern (a regular expression searched in
    the page's URL), a visible text on the page, or a payment the shopper's browser confirmed that
    the gateway reports in the given state (read through the public API)."""

    kind: str
    pattern: str


@dataclass(frozen=True)
class SitePlan:
    start: str
    start_method: str  # GET: open `start`; POST: ask `start` for a fresh checkout ({"url": ...} or a redirect)
    steps: tuple[SiteStep, ...]
    success: Success
    variants: tuple[tuple[str, str], ...]  # name -> URL or query string
    stripe_js: bool
    variant_steps: tuple[tuple[str, tuple[SiteStep, ...]], ...] = ()  # name -> its own steps, instead of `steps`

    def steps_for(self, variant: str) -> tuple[SiteStep, ...]:
        return dict(self.variant_steps).get(variant, self.steps)

    def url_for(self, variant: str, journey: str, seed: int) -> str:
        """The URL a journey on `variant` starts from."""
        own = dict(self.variants).get(variant, "")
        if own.startswith(("http://", "https://")):
            base = own
        elif own:
            joiner = "&" if "?" in self.start else "?"
            base = self.start + (joiner + own.lstrip("?&") if own.startswith(("?", "&")) else own)
        else:
            base = self.start
        return base.format(variant=variant, journey=journey, seed=seed)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for a journeys worker's spec."""
        return {
            "start": self.start, "start_method": self.start_method,
            "steps": [_step_dict(s) for s in self.steps],
            "success": {"kind": self.success.kind, "pattern": self.success.pattern},
            "variants": dict(self.variants), "stripe_js": self.stripe_js,
            "variant_steps": {name: [_step_dict(s) for s in steps] for name, steps in self.variant_steps},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SitePlan:
        return cls(d["start"], d["start_method"], tuple(SiteStep(**s) for s in d["steps"]),
                   Success(**d["success"]), tuple(d["variants"].items()), bool(d["stripe_js"]),
                   tuple((name, tuple(SiteStep(**s) for s in steps)) for name, steps in d.get("variant_steps", {}).items()))


def _step_dict(s: SiteStep) -> dict[str, str]:
    return {"action": s.action, "target": s.target, "value": s.value}


def _url(file: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise ScenarioError(file, key, "an absolute http:// or https:// URL", value)
    _check_template(file, key, value)
    return value


def _check_template(file: str, key: str, value: str) -> None:
    for name in re.findall(r"{([^{}]*)}", value):
        if name not in _PLACEHOLDERS:
            raise ScenarioError(file, key, "placeholders among {" + "}, {".join(_PLACEHOLDERS) + "}", "{" + name + "}")


def parse_site(t: Table) -> SitePlan:
    """Read `[journeys.site]`; the caller checks the journeys' variant names against it."""
    file = t.file
    start = _url(file, t.key("start"), t.get("start"))
    method = t.text("start_method", "GET", choices=("GET", "POST")) or "GET"
    steps = _steps(t, "steps")
    success = _success(t.table("success", required=True))  # type: ignore[arg-type]
    raw_variants = t.get("variants", {})
    if not isinstance(raw_variants, dict) or not raw_variants:
        raise ScenarioError(file, t.key("variants"), "a table of variant name = URL or query string", raw_variants)
    variants, variant_steps = [], []
    for name, where in raw_variants.items():
        key = t.key(f"variants.{name}")
        if isinstance(where, dict):
            own = Table(where, file, key)
            where = own.text("start", "") or ""
            if own.has("steps"):
                variant_steps.append((str(name), _steps(own, "steps")))
            own.done()
        if not isinstance(where, str):
            raise ScenarioError(file, key, "a URL, a query string such as \"?layout=steps\", \"\", or a table "
                                "{start = ..., steps = [...]}", where)
        if where.startswith(("http://", "https://")):
            _url(file, key, where)
        elif where and not where.startswith(("?", "&")):
            raise ScenarioError(file, key, "an absolute URL, a query string starting with ? or &, or \"\"", where)
        _check_template(file, key, where)
        variants.append((str(name), where))
    stripe_js = bool(t.flag("stripe_js", True))
    t.done()
    return SitePlan(start, method, steps, success, tuple(variants), stripe_js, tuple(variant_steps))


def _steps(t: Table, name: str) -> tuple[SiteStep, ...]:
    raw = t.get(name, [])
    if not isinstance(raw, list) or len(raw) > MAX_STEPS:
        raise ScenarioError(t.file, t.key(name), f"a list of at most {MAX_STEPS} steps such as {{click = \"Checkout\"}}", raw)
    return tuple(_step(Table(s, t.file, t.key(f"{name}[{i}]"))) for i, s in enumerate(raw))


def _step(t: Table) -> SiteStep:
    present = [a for a in STEP_ACTIONS if t.has(a)]
    if len(present) != 1:
        raise ScenarioError(t.file, t.path, "one of " + ", ".join(f"{{{a} = \"...\"}}" for a in STEP_ACTIONS), t.data)
    action = present[0]
    target = t.text(action)
    if not target:
        raise ScenarioError(t.file, t.key(action), "a non-empty string", target)
    value = t.text("value", "") or ""
    if action != "fill" and t.has("value"):
        raise ScenarioError(t.file, t.key("value"), "value only with fill", value)
    t.done()
    return SiteStep(action, target, value)


def _success(t: Table) -> Success:
    present = [k for k in SUCCESS_KINDS if t.has(k)]
    if len(present) != 1:
        raise ScenarioError(t.file, t.path, "one of {url = \"regex\"}, {text = \"Thank you\"}, {payment = \"succeeded\"}",
                            t.data)
    kind = present[0]
    if kind == "payment":
        pattern = t.text("payment", choices=PAYMENT_STATES) or "succeeded"
    else:
        pattern = t.text(kind) or ""
        if not pattern:
            raise ScenarioError(t.file, t.key(kind), "a non-empty string", pattern)
        if kind == "url":
            try:
                re.compile(pattern)
            except re.error as err:
                raise ScenarioError(t.file, t.key(kind), "a regular expression", f"{pattern} ({err})") from None
    t.done()
    return Success(kind, pattern)
