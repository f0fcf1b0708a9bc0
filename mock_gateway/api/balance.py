"""/v1/balance, /v1/balance_transactions, /v1/payouts, and the harness's balance settings and
statement (/v1/test_helpers/balance_settings, /v1/test_helpers/balance_statement)."""

from __future__ import annotations

from typing import Any

from ..core import balance, fees
from ..core.context import Ctx
from .params import AnyObj, Currency, Enum, Integer, Metadata, Obj, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_TYPES = ("adjustment", "charge", "payout", "refund", "refund_failure")


def _clock_scope(ctx: Ctx, clock_id: str | None) -> str | None:
    if clock_id:
        ctx.get(clock_id, "test_helpers.test_clock", "test clock", param="test_clock")
    return clock_id


# test_clock is a harness extension: the money booked on one clock (its customers' payments).
@route("GET", "/v1/balance", {"test_clock": String()})
def retrieve_balance(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return balance.balance(ctx, _clock_scope(ctx, p.get("test_clock")))


@route("GET", "/v1/balance_transactions/{id}")
def retrieve_transaction(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return balance.render(ctx, ctx.get(id, "balance_transaction"))


@route("GET", "/v1/balance_transactions", {"type": Enum(*_TYPES), "source": String(), "payout": String(),
                                           "currency": Currency()}, listing=True)
def list_transactions(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    answer = page(ctx, "balance_transaction", "/v1/balance_transactions", p, source=p.get("source"),
                  type=p.get("type"), currency=p.get("currency"), _payout=p.get("payout"))
    cache: dict[str, int] = {}
    answer["data"] = [balance.render(ctx, txn, cache) for txn in answer["data"]]
    return answer


@route("GET", "/v1/payouts/{id}")
def retrieve_payout(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "payout")


@route("GET", "/v1/payouts", {"status": Enum("paid", "pending", "in_transit", "canceled", "failed")}, listing=True)
def list_payouts(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "payout", "/v1/payouts", p, status=p.get("status"))


@route("POST", "/v1/payouts", {"amount": Integer().req(), "currency": Currency().req(), "description": String(1000),
                               "metadata": Metadata(), "statement_descriptor": String(22), "method": Enum("standard")})
def create_payout(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return balance.manual_payout(ctx, p)


def _render_settings(values: dict[str, Any]) -> dict[str, Any]:
    return {"object": "balance_settings", **values}


@route("POST", "/v1/test_helpers/balance_settings", {
    "rates": AnyObj(),
    "available_days": AnyObj(),
    "payout_schedule": Obj(interval=String(20), weekly_anchor=String(20), monthly_anchor=String(4)),
})
def put_settings(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return _render_settings(fees.put(ctx.store, p))


@route("GET", "/v1/test_helpers/balance_settings")
def get_settings(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return _render_settings(fees.settings(ctx.store))


@route("GET", "/v1/test_helpers/balance_statement", {"start": Integer().req(), "end": Integer().req(),
                                                     "currency": Currency().req(), "test_clock": String()})
def statement(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return balance.statement(ctx, p["start"], p["end"], p["currency"], _clock_scope(ctx, p.get("test_clock")))
