"""/v1/disputes (opened by the dispute test cards) and /v1/radar/early_fraud_warnings"""

from __future__ import annotations

from typing import Any

from ..core import disputes
from ..core.context import Ctx
from .params import Boolean, Metadata, Obj, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_EVIDENCE = Obj(**{name: String(20000 if name == "uncategorized_text" else 5000) for name in disputes.EVIDENCE_FIELDS})


@route("GET", "/v1/disputes/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "dispute")


@route("POST", "/v1/disputes/{id}", {"evidence": _EVIDENCE, "metadata": Metadata(), "submit": Boolean()})
def update(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return disputes.update(ctx, ctx.get(id, "dispute"), p)


@route("POST", "/v1/disputes/{id}/close")
def close(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return disputes.close(ctx, ctx.get(id, "dispute"))


@route("GET", "/v1/disputes", {"charge": String(), "payment_intent": String()}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "dispute", "/v1/disputes", p, parent=p.get("charge"), payment_intent=p.get("payment_intent"))


@route("GET", "/v1/radar/early_fraud_warnings/{id}")
def retrieve_warning(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "radar.early_fraud_warning", "early fraud warning")


@route("GET", "/v1/radar/early_fraud_warnings", {"charge": String(), "payment_intent": String()}, listing=True)
def list_warnings(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "radar.early_fraud_warning", "/v1/radar/early_fraud_warnings", p, parent=p.get("charge"),
                payment_intent=p.get("payment_intent"))
