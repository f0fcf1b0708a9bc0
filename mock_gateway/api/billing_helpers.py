"""/v1/test_helpers for billing (harness extension): dunning settings, a card's test behaviour,
bulk cohort operations, and the ledger's billing summary.

    POST /v1/test_helpers/billing_settings            retry_schedule=1,3,5|none, after_retries, notices[...], test_clock
    GET  /v1/test_helpers/billing_settings?test_clock=
    POST /v1/test_helpers/payment_methods/{id}/behaviour   outcome=succeed|decline, decline_code
    POST /v1/test_helpers/billing/subscribers         price, test_clock, subscribers[i][email|name|card[exp_month]|...]
    POST /v1/test_helpers/billing/card_behaviours     cards[i][payment_method|outcome|decline_code]
    POST /v1/test_helpers/billing/card_updates        updates[i][customer|card[...]|pay_open_invoices]
    POST /v1/test_helpers/billing/cancellations       cancellations[i][subscription|at_period_end]
    GET  /v1/test_helpers/billing/summary?test_clock=&reconcile=
"""

from __future__ import annotations

from typing import Any

from ..core.billing import bulk, settings
from ..core.billing.summary import summary as billing_summary
from ..core.context import Ctx
from ..core.errors import invalid_request
from ..core.instruments import DECLINE_MESSAGES
from .params import Boolean, Email, Enum, Integer, ListOf, Metadata, Obj, String
from .registry import RouteTable

ROUTES = RouteTable()
route = ROUTES.route

BULK_MAX = 1000
_SETTINGS = "/v1/test_helpers/billing_settings"


def _clock(ctx: Ctx, clock_id: str | None) -> str | None:
    if clock_id:
        ctx.get(clock_id, "test_helpers.test_clock", "test clock", param="test_clock")
    return clock_id


@route("POST", _SETTINGS, {
    "test_clock": String(),
    "retry_schedule": String(100),
    "after_retries": Enum(*settings.AFTER_RETRIES),
    "upcoming_renewal_days": Integer(min=1, max=60),
    "notices": Obj(upcoming_renewal=Boolean(), payment_failed=Boolean(), card_expiring=Boolean()),
})
def put_settings(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    clock_id = _clock(ctx, p.get("test_clock"))
    if "retry_schedule" in p:
        p["retry_days"] = parse_retry_schedule(p.pop("retry_schedule"))
    return settings.render(clock_id, settings.put(ctx.store, clock_id, p))


def parse_retry_schedule(text: str) -> list[float]:
    """`1,3,5` (days after each failed attempt) or `none`."""
    if text.strip().lower() == "none":
        return []
    try:
        days = [float(part) for part in text.split(",")]
    except ValueError:
        days = []
    if not days or len(days) > 10 or any(not 0 < d <= 60 for d in days):
        raise invalid_request(f"Invalid retry_schedule {text[:40]!r}: expected up to 10 comma-separated delays in days "
                              "(each above 0 and at most 60), e.g. 1,3,5, or none.", param="retry_schedule")
    return days


@route("GET", _SETTINGS, {"test_clock": String()})
def get_settings(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    clock_id = _clock(ctx, p.get("test_clock"))
    return settings.render(clock_id, settings.get(ctx.store, clock_id))


_BEHAVIOUR = {"outcome": Enum("succeed", "decline"), "decline_code": Enum(*DECLINE_MESSAGES)}


@route("POST", "/v1/test_helpers/payment_methods/{id}/behaviour", _BEHAVIOUR)
def set_behaviour(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return bulk.set_behaviour(ctx, ctx.get(id, "payment_method", "PaymentMethod"), p)


_CARD = Obj(number=String(19), exp_month=Integer(min=1, max=12), exp_year=Integer(min=2000, max=2200))


@route("POST", "/v1/test_helpers/billing/subscribers", {
    "price": String().req(), "test_clock": String(), "trial_period_days": Integer(min=0, max=730),
    "subscribers": ListOf(Obj(email=Email(), name=String(256), card=_CARD, metadata=Metadata(),
                              preferred_locales=ListOf(String(10)), quantity=Integer(min=1, max=10_000)), max=BULK_MAX).req(),
})
def create_subscribers(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return bulk.create_subscribers(ctx, p)


@route("POST", "/v1/test_helpers/billing/card_behaviours", {
    "cards": ListOf(Obj(payment_method=String().req(), **_BEHAVIOUR), max=BULK_MAX).req(),
})
def card_behaviours(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return bulk.set_card_behaviours(ctx, p)


@route("POST", "/v1/test_helpers/billing/card_updates", {
    "updates": ListOf(Obj(customer=String().req(), card=_CARD, pay_open_invoices=Boolean()), max=BULK_MAX).req(),
})
def card_updates(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return bulk.update_cards(ctx, p)


@route("POST", "/v1/test_helpers/billing/cancellations", {
    "cancellations": ListOf(Obj(subscription=String().req(), at_period_end=Boolean()), max=BULK_MAX).req(),
})
def cancellations(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return bulk.cancel_subscriptions(ctx, p)


@route("GET", "/v1/test_helpers/billing/summary", {"test_clock": String(), "reconcile": Boolean()})
def summary(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return billing_summary(ctx.store, _clock(ctx, p.get("test_clock")), reconcile=p.get("reconcile", True))
