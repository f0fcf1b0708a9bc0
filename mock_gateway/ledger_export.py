"""GET /_harness/ledger: the ledger as JSON Lines, for a run's reconciliation.

    /_harness/ledger?type=payment_intent&channel=web&method=konbini[&format=json]

`type` is an object type (payment_intent by default; charge, refund, event, customer,
payment_method, customer_cash_balance_transaction, ...), `channel` filters by metadata[channel]
(for refunds, the intent's; for events, the object's), `method` by payment method type. Objects
come oldest first, as clients see them. Needs the admin token (see api/admin.py), as every /_harness/ endpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from .core.channels import CHANNELS
from .core.context import public
from .core.errors import StripeError, invalid_request
from .store import packing
from .store.db import Store

PAGE = 1000
_CHANNEL = {
    "payment_intent": "json_extract(unpacked(o.data), '$.metadata.channel')",
    "charge": "json_extract(unpacked(o.data), '$.metadata.channel')",
    "refund": "(SELECT json_extract(unpacked(p.data), '$.metadata.channel') FROM objects p WHERE p.id = json_extract(unpacked(o.data), '$.payment_intent'))",
    "event": "json_extract(unpacked(o.data), '$.data.object.metadata.channel')",
}
_METHOD = {
    "payment_intent": "json_extract(unpacked(o.data), '$._payment_method_type')",
    "charge": "json_extract(unpacked(o.data), '$.payment_method_details.type')",
    "refund": "json_extract(unpacked(o.data), '$.destination_details.type')",
    "payment_method": "o.kind",
    "event": "coalesce(json_extract(unpacked(o.data), '$.data.object.payment_method_details.type'), json_extract(unpacked(o.data), '$.data.object.type'))",
}


def _query(params: dict[str, str]) -> tuple[str, list[Any], str]:
    object_type = params.get("type") or "payment_intent"
    where, args = ["o.type = ?"], [object_type]
    channel, method = params.get("channel"), params.get("method")
    if channel:
        if channel not in CHANNELS:
            raise invalid_request(f"Invalid channel: must be one of {', '.join(CHANNELS)}; found {channel[:40]!r}.", param="channel")
        if object_type not in _CHANNEL:
            raise invalid_request(f"channel filters only {', '.join(_CHANNEL)}; found type {object_type!r}.", param="channel")
        where.append(f"{_CHANNEL[object_type]} = ?")
        args.append(channel)
    if method:
        if object_type not in _METHOD:
            raise invalid_request(f"method filters only {', '.join(_METHOD)}; found type {object_type!r}.", param="method")
        where.append(f"{_METHOD[object_type]} = ?")
        args.append(method)
    fmt = params.get("format") or "jsonl"
    if fmt not in ("jsonl", "json"):
        raise invalid_request(f"Invalid format: expected jsonl or json; found {fmt[:20]!r}.", param="format")
    unknown = set(params) - {"type", "channel", "method", "format"}
    if unknown:
        raise invalid_request(f"Received unknown parameter: {sorted(unknown)[0]}", param=sorted(unknown)[0], code="parameter_unknown")
    return " AND ".join(where), args, fmt


def rows(store: Store, where: str, args: list[Any]) -> Iterator[dict[str, Any]]:
    """Matching objects oldest first, read a page at a time (no read held across pages)."""
    after = 0
    while True:
        page = store.conn.execute(
            f"SELECT o.seq, o.data FROM objects o WHERE {where} AND o.seq > ? ORDER BY o.seq LIMIT ?", (*args, after, PAGE)
        ).fetchall()
        for _seq, data in page:
            yield public(packing.loads(data))
        if len(page) < PAGE:
            return
        after = page[-1][0]


async def export(request: Request) -> Response:
    from .api.admin import refusal

    refused = refusal(request)
    if refused is not None:
        return refused
    try:
        where, args, fmt = _query(dict(request.query_params))
    except StripeError as err:
        return JSONResponse(err.envelope(), status_code=err.status)
    store = request.app.state.gateway.store
    if fmt == "json":
        data = list(rows(store, where, args))
        return Response(orjson.dumps({"object": "list", "data": data}), media_type="application/json")

    async def lines() -> AsyncIterator[bytes]:
        # Read in the event loop's thread, a page at a time: the store's connection is shared with
        # the requests, whose transactions never span an await.
        for obj in rows(store, where, args):
            yield orjson.dumps(obj) + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")
