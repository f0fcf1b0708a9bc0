"""Before a run against a target that is not the embedded gateway: can the target do every part
the scenario asks for?

Ledger and reconciliation need only Stripe's public lists (/v1/payment_intents, /v1/events);
everything else a scenario may ask for and what it needs from the target:

- `[faults]`: the fault admin endpoint /_harness/faults of a checkout-harness gateway, and its
  admin token in $CHECKOUT_HARNESS_ADMIN_TOKEN (the token the gateway printed or was given with
  --admin-token);
- `[journeys]` through the reference checkout: Checkout Sessions (/v1/checkout/sessions);
- `[churn]` against the target: Stripe's public API and test clocks only (customers, payment
  methods, prices, subscriptions, invoices, events and /v1/test_helpers/test_clocks); the policies'
  dunning settings are applied where the target takes them (a checkout-harness gateway's
  /v1/test_helpers/billing_settings), else the cohort is billed under the target's own and its
  results say so;
- `[load]` orders that pay through a redirect page (3-D Secure, PayPal): the load completes them on
  a checkout-harness gateway's pages (its /_harness endpoints identify one); orders through
  Checkout Sessions: /v1/checkout/sessions;
- gates on webhooks or mail: the harness receives those only from the embedded gateway.

A part the target cannot do is a `TargetCannot` (exit 2, before anything is written); a target
that does not answer at all is the lab's failure (exit 3), reported by the run itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

ADMIN_TOKEN_ENV = "CHECKOUT_HARNESS_ADMIN_TOKEN"
FAULTS_PATH = "/_harness/faults"
_NOTIFICATION_METRICS = ("webhook_p95_ms", "webhook_failed", "receipt_p95_s")
# Load methods whose orders end on a page of the gateway's own (harness/load/order.py REDIRECT_ACTIONS).
_REDIRECT_METHODS = ("card_3ds", "card_3ds_fail", "paypal")


class TargetCannot(ValueError):
    """The target cannot do parts the scenario asks for: one line per part, with why."""

    def __init__(self, target: str, file: str, reasons: list[str]) -> None:
        self.reasons = reasons
        lines = "\n".join(f"  - {r}" for r in reasons)
        super().__init__(f"{file}: target {target} cannot do what the scenario asks (nothing was run):\n{lines}")


@dataclass
class Probe:
    status: int | None  # None: no answer
    body: Any
    error: str | None = None

    def describe(self) -> str:
        if self.status is None:
            return f"no answer ({self.error})"
        shown = self.body.get("error", {}).get("message") if isinstance(self.body, dict) and "error" in self.body else None
        kind = "" if isinstance(self.body, (dict, list)) else ", not JSON"
        return f"HTTP {self.status}{kind}" + (f": {shown}" if shown else "")


def _probe(client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> Probe:
    try:
        response = client.get(path, headers=headers)
    except httpx.HTTPError as err:
        return Probe(None, None, " ".join(str(err).split()) or type(err).__name__)
    try:
        body = response.json()
    except ValueError:
        body = response.text[:200]
    return Probe(response.status_code, body)


def _is_list(probe: Probe) -> bool:
    return probe.status == 200 and isinstance(probe.body, dict) and isinstance(probe.body.get("data"), list)


def admin_token_for_target() -> str | None:
    return os.environ.get(ADMIN_TOKEN_ENV) or None


def check_target(scenario: Any, timeout: float = 10.0) -> str | None:
    """Raise TargetCannot naming every part the target cannot do; return a description of why the
    target did not answer at all (a lab failure for the run to report), or None when it answered."""
    target = scenario.target
    if target is None:
        return None
    reasons: list[str] = []
    with httpx.Client(base_url=target.rstrip("/"), timeout=timeout,
                      headers={"Authorization": f"Bearer {scenario.api_key}"}) as client:
        intents = _probe(client, "/v1/payment_intents?limit=1")
        if intents.status is None:
            return f"target {target} did not answer: {intents.error}"
        if intents.status == 401:
            reasons.append(f"api_key: the target refused the key ({intents.describe()}); give the key it accepts")
            raise TargetCannot(target, scenario.file, reasons)
        for path in ("/v1/payment_intents", "/v1/events"):
            probe = intents if path == "/v1/payment_intents" else _probe(client, f"{path}?limit=1")
            if not _is_list(probe):
                reasons.append(f"ledger and reconciliation: GET {path} must be a Stripe list; it answered {probe.describe()}")
        if scenario.faults is not None:
            reasons += _faults_reasons(client)
        journeys = scenario.journeys
        if journeys is not None and getattr(journeys, "site", None) is None:
            sessions = _probe(client, "/v1/checkout/sessions?limit=1")
            if not _is_list(sessions):
                reasons.append("[journeys] through the reference checkout create Checkout Sessions; GET /v1/checkout/sessions "
                               f"answered {sessions.describe()}")
        reasons += _load_reasons(client, getattr(scenario.load, "mix", None))
        if scenario.churn is not None:
            reasons += _churn_reasons(client)
    for gate in scenario.gates:
        if gate.metric in _NOTIFICATION_METRICS:
            reasons.append(f"gate {gate.name!r}: webhooks and mail are received by the harness only from the embedded "
                           "gateway (leave out `target`)")
    if reasons:
        raise TargetCannot(target, scenario.file, reasons)
    return None


# What the cohort simulation reads and writes besides payment intents and events (harness/churn/driver.py, book.py).
CHURN_LISTS = ("/v1/test_helpers/test_clocks", "/v1/customers", "/v1/prices", "/v1/subscriptions", "/v1/invoices")


def _churn_reasons(client: httpx.Client) -> list[str]:
    reasons = []
    for path in CHURN_LISTS:
        probe = _probe(client, f"{path}?limit=1")
        if not _is_list(probe):
            what = "test clocks" if "test_clocks" in path else "Stripe's Billing API"
            reasons.append(f"[churn] bills its cohort on a test clock through {what}: GET {path} must be a Stripe list; "
                           f"it answered {probe.describe()}")
    return reasons


def _faults_reasons(client: httpx.Client) -> list[str]:
    token = admin_token_for_target()
    if token is None:
        probe = _probe(client, FAULTS_PATH)
        why = "it answered " + probe.describe()
        return [f"[faults]: faults are applied through a checkout-harness gateway's admin endpoint {FAULTS_PATH} with its "
                f"admin token in ${ADMIN_TOKEN_ENV}; none was given ({why})"]
    probe = _probe(client, FAULTS_PATH, {"Authorization": f"Bearer {token}"})
    if probe.status == 200 and isinstance(probe.body, dict):
        return []
    return [f"[faults]: the target's fault admin endpoint {FAULTS_PATH} refused the admin token in ${ADMIN_TOKEN_ENV} "
            f"or is missing: it answered {probe.describe()}"]


def _is_harness_gateway(client: httpx.Client) -> bool:
    """A checkout-harness gateway answers /_harness/faults (if only to refuse without its token)."""
    probe = _probe(client, FAULTS_PATH)
    return probe.status in (200, 401, 403) and isinstance(probe.body, dict)


def _load_reasons(client: httpx.Client, mix: Any) -> list[str]:
    if mix is None:
        return []
    reasons = []
    redirects = [f"{name} = {share:g}" for name, share in getattr(mix, "methods", ()) if name in _REDIRECT_METHODS and share > 0]
    if redirects and not _is_harness_gateway(client):
        reasons.append(f"[load] mix {', '.join(redirects)}: these orders are completed on a checkout-harness gateway's "
                       "3-D Secure and PayPal pages, which the target does not have (GET /_harness/faults: "
                       f"{_probe(client, FAULTS_PATH).describe()}); set their shares to 0 for this target")
    if getattr(mix, "checkout_session", 0) > 0:
        sessions = _probe(client, "/v1/checkout/sessions?limit=1")
        if not _is_list(sessions):
            reasons.append(f"[load] mix checkout_session = {mix.checkout_session:g}: GET /v1/checkout/sessions answered "
                           f"{sessions.describe()}")
    return reasons
