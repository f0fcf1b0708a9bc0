"""/v1/subscription_items: a subscription's items, read on their own (they live in the subscription)."""

from __future__ import annotations

from typing import Any

import orjson

from ..core.context import Ctx
from ..core.errors import invalid_request, not_found
from .params import String
from .registry import RouteTable

ROUTES = RouteTable()
route = ROUTES.route

_PATH = "/v1/subscription_items"


@route("GET", _PATH + "/{id}")
def retrieve(ctx: Ctx, p: dict[str, Any], id: str) -> dict[str, Any]:
    row = ctx.store.conn.execute(
        "SELECT data FROM objects WHERE type = 'subscription' AND EXISTS (SELECT 1 FROM json_each(data, '$.items.data') "
        "WHERE json_extract(value, '$.id') = ?)", (id,)).fetchone()
    for item in orjson.loads(row[0])["items"]["data"] if row else ():
        if item["id"] == id:
            return item
    raise not_found("subscription_item", id)


@route("GET", _PATH, {"subscription": String().req()}, listing=True)
def list_(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    sub = ctx.get(p["subscription"], "subscription", param="subscription")
    items = sub["items"]["data"]
    after, before = p.get("starting_after"), p.get("ending_before")
    ids = [i["id"] for i in items]
    for name, value in (("starting_after", after), ("ending_before", before)):
        if value and value not in ids:
            raise invalid_request(f"No such subscription_item: '{value}'", param=name, code="resource_missing")
    if after and before:
        raise invalid_request("You may only specify one of these parameters: starting_after, ending_before.", param="ending_before")
    if after:
        items = items[ids.index(after) + 1:]
    elif before:
        items = items[:ids.index(before)]
    limit = p.get("limit", 10)
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit,
            "url": _PATH}
