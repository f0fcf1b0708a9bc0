"""/v1/test_helpers for billing (harness extension): dunning settings and a card's test behaviour.

    POST /v1/test_helpers/billing_settings            retry_schedule=1,3,5|none, after_retries, notices[...], test_clock
    GET  /v1/test_helpers/billing_settings?test_clock=
    POST /v1/test_helpers/payment_methods/{id}/behaviour   outcome=succeed|decline, decline_code

The cohort simulation (harness/churn) needs neither: it swaps Stripe's test cards and reads its
summary from the public lists, so that it runs against any gateway with test clocks.
"""

from __future__ import annotations

from typing import Any

from ..core.billing import card_behaviour, settings
from ..core.context import Ctx
from ..core.errors import invalid_request
from ..core.instruments import DECLINE_MESSAGES
from .params import Boolean, Enum, Integer, Obj, String
from .registry import RouteTable

ROUTES = RouteTable()
route = ROUTES.route

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
    return card_behaviour.set_behaviour(ctx, ctx.get(id, "payment_method", "PaymentMethod"), p)
