"""/v1/webhook_endpoints: where events are delivered (see mock_gateway/webhooks.py)."""

from __future__ import annotations

from typing import Any

from .. import webhooks
from ..core.context import Ctx
from .params import Boolean, ListOf, Metadata, String
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route

_PATH = "/v1/webhook_endpoints"
_FIELDS = {"description": String(5000), "metadata": Metadata(), "enabled_events": ListOf(String(100), max=300)}


@route("POST", _PATH, {**_FIELDS, "url": String(5000).req(), "enabled_events": ListOf(String(100), max=300).req(),
                       "api_version": String(20), "connect": Boolean()})
def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return webhooks.create_endpoint(ctx, p)


@route("GET", _PATH + "/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return ctx.get(id, "webhook_endpoint")


@route("POST", _PATH + "/{id}", {**_FIELDS, "url": String(5000), "disabled": Boolean()})
def update(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return webhooks.update_endpoint(ctx, ctx.get(id, "webhook_endpoint"), p)


@route("DELETE", _PATH + "/{id}")
def delete(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    return webhooks.delete_endpoint(ctx, ctx.get(id, "webhook_endpoint"))


@route("GET", _PATH, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return page(ctx, "webhook_endpoint", _PATH, p)
