"""How an API module declares its endpoints: method, path, parameter spec and the domain call, in a
RouteTable the module exports as ROUTES; mock_gateway/app.py joins the modules' tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.context import Ctx
from .params import LIST_PARAMS, Field

Handler = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    spec: Mapping[str, Field]
    # Long work a server runs in short steps, each its own transaction, other writes between them (a test
    # clock's advance): begin(ctx, params, **path_params) -> state, step(ctx, state, enough) -> done,
    # finish(ctx, state) -> the object answered. `handler` still does it all at once (in-process callers).
    steps: Any = None


class RouteTable(list[Route]):
    """An API module's routes, the list it exports as ROUTES (app.py joins them):

        ROUTES = RouteTable()
        route = ROUTES.route

        @route("POST", "/v1/customers", SPEC)
        def create(ctx, p): ...
    """

    def route(self, method: str, path: str, spec: Mapping[str, Field] | None = None, *, listing: bool = False,
              steps: Any = None) -> Callable[[Handler], Handler]:
        """Add `handler(ctx, params, **path_params)` for METHOD path (`steps`: see Route.steps)."""
        full_spec = {**(LIST_PARAMS if listing else {}), **(spec or {})}

        def decorate(handler: Handler) -> Handler:
            self.append(Route(method, path, handler, full_spec, steps))
            return handler

        return decorate


def page(ctx: Ctx, object_type: str, url: str, p: dict[str, Any], **filters: Any) -> dict[str, Any]:
    """One page of a list, newest first, with Stripe's cursors (starting_after / ending_before)."""
    from ..core.errors import invalid_request

    after, before = p.get("starting_after"), p.get("ending_before")
    if after and before:
        raise invalid_request("You may only specify one of these parameters: starting_after, ending_before.", param="ending_before")
    cursor = {}
    for name, value, key in (("starting_after", after, "after_seq"), ("ending_before", before, "before_seq")):
        if value:
            seq = ctx.store.seq_of(value, object_type)
            if seq is None:
                raise invalid_request(f"No such {object_type}: '{value}'", param=name, code="resource_missing")
            cursor[key] = seq
    columns = {k: v for k, v in filters.items() if k in ("customer", "parent", "kind") and v is not None}
    json_filters = {k: v for k, v in filters.items() if k not in columns and v is not None}
    items, has_more = ctx.store.list(
        object_type, filters=columns, json_filters=json_filters, created=p.get("created"), limit=p.get("limit", 10), **cursor
    )
    return {"object": "list", "data": items, "has_more": has_more, "url": url}
