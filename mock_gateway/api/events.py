"""/v1/events: one event per state change, newest first."""

from __future__ import annotations

from typing import Any

from ..core.context import Ctx
from ..core.errors import invalid_request
from .params import Boolean, ListOf, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route


@route("GET", "/v1/events/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "event")


@route("GET", "/v1/events", {"type": String(), "types": ListOf(String(), max=20), "delivery_success": Boolean(),
                              "object_id": String()}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("type") and p.get("types"):
        raise invalid_request("You may only specify one of these parameters: type, types.", param="types")
    return page(ctx, "event", "/v1/events", p, kind=p.get("types") or p.get("type"), parent=p.get("object_id"))
