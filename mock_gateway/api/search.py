"""/v1/{payment_intents,customers,charges,subscriptions,invoices}/search: Stripe's search API.

The query (api/search_query.py) is checked against what each resource lets one search (its fields,
which of them compare as numbers, which take `~` substring matching), then evaluated on the
objects, newest first. `page` is the opaque cursor a previous answer gave as `next_page`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.context import Ctx, public
from ..core.errors import invalid_request
from ..store import packing
from .params import Integer, String
from .registry import RouteTable
from .search_query import Clause, Query, QueryError, parse

ROUTES = RouteTable()
route = ROUTES.route

Getter = Callable[[dict[str, Any]], Any]


def _path(dotted: str) -> Getter:
    parts = dotted.split(".")

    def get(obj: dict[str, Any]) -> Any:
        node: Any = obj
        for part in parts:
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node

    return get


@dataclass(frozen=True)
class Searchable:
    object_type: str
    url: str
    fields: dict[str, Getter]  # field name -> how to read it off the stored object
    numbers: frozenset[str] = frozenset({"created"})  # compared with >, <, >=, <=
    substrings: frozenset[str] = field(default_factory=frozenset)  # matched with ~


def _fields(*names: str, **special: Getter) -> dict[str, Getter]:
    return {**{n: _path(n) for n in names}, **special}


RESOURCES: dict[str, Searchable] = {
    "payment_intents": Searchable("payment_intent", "/v1/payment_intents/search",
                                  _fields("amount", "created", "currency", "customer", "status"),
                                  frozenset({"amount", "created"})),
    "charges": Searchable("charge", "/v1/charges/search",
                          _fields("amount", "created", "currency", "customer", "disputed", "payment_intent", "refunded",
                                  "status", "billing_details.address.postal_code", "payment_method_details.card.brand",
                                  "payment_method_details.card.last4", "payment_method_details.card.fingerprint"),
                          frozenset({"amount", "created"})),
    "customers": Searchable("customer", "/v1/customers/search", _fields("created", "email", "name", "phone"),
                            substrings=frozenset({"email", "name", "phone"})),
    "subscriptions": Searchable("subscription", "/v1/subscriptions/search", _fields("created", "status", "customer")),
    "invoices": Searchable("invoice", "/v1/invoices/search",
                           _fields("created", "currency", "customer", "number", "status", "total",
                                   subscription=lambda inv: inv.get("_subscription")),
                           frozenset({"created", "total"}), frozenset({"number"})),
}
MIN_SUBSTRING = 3
SCAN_BATCH = 500


def _bad(message: str) -> Exception:
    return invalid_request(message, param="query")


def check(resource: Searchable, query: Query) -> None:
    """Every clause names a field of the resource, with an operator and value the field takes."""
    for clause in query.clauses:
        name = clause.field
        if clause.key is None and name not in resource.fields:
            known = ", ".join(sorted([*resource.fields, 'metadata["key"]']))
            raise _bad(f"Field {name!r} cannot be searched on {resource.object_type} objects; searchable fields: {known}.")
        numeric = clause.key is None and name in resource.numbers
        if clause.op in (">", "<", ">=", "<=") and not numeric:
            raise _bad(f"The operator {clause.op} works on numeric fields ({', '.join(sorted(resource.numbers))}); "
                       f"found {clause.text()}.")
        if clause.op == "~":
            if clause.key is not None or name not in resource.substrings:
                which = ", ".join(sorted(resource.substrings)) or "none on this resource"
                raise _bad(f"Substring matching (~) works on {which}; found {clause.text()}.")
            if not isinstance(clause.value, str) or len(clause.value) < MIN_SUBSTRING:
                raise _bad(f"A substring match (~) needs a quoted value of at least {MIN_SUBSTRING} characters; "
                           f"found {clause.text()}.")
        if numeric and not isinstance(clause.value, int) and not clause.value.lstrip("-").isdigit():
            raise _bad(f"{name} takes a whole number, as in {name}>1000; found {clause.text()}.")
        if not numeric and isinstance(clause.value, int) and name not in ("disputed", "refunded"):
            raise _bad(f"{clause.field} takes a quoted value, as in {clause.field}:\"{clause.value}\"; found {clause.text()}.")


def _holds(resource: Searchable, clause: Clause, obj: dict[str, Any]) -> bool:
    if clause.key is not None:
        actual: Any = (obj.get("metadata") or {}).get(clause.key)
    else:
        actual = resource.fields[clause.field](obj)
    want = clause.value
    if clause.key is None and clause.field in resource.numbers:
        number = int(want)
        ok = isinstance(actual, (int, float)) and {
            ":": actual == number, ">": actual > number, "<": actual < number,
            ">=": actual >= number, "<=": actual <= number,
        }[clause.op]
    elif clause.op == "~":
        ok = isinstance(actual, str) and str(want).lower() in actual.lower()
    elif isinstance(actual, bool):
        ok = str(want).lower() == str(actual).lower()
    else:
        ok = actual is not None and str(actual) == str(want)
    return ok != clause.negated


def matches(resource: Searchable, query: Query, obj: dict[str, Any]) -> bool:
    results = (_holds(resource, c, obj) for c in query.clauses)
    return all(results) if query.connective == "AND" else any(results)


def _page_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _page_seq(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("seq:") and text[4:].isdigit():
            return int(text[4:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise invalid_request(f"Invalid page: {token[:60]!r}. Pass the next_page value of a previous search's answer.",
                          param="page")


def search(ctx: Ctx, name: str, p: dict[str, Any]) -> dict[str, Any]:
    resource = RESOURCES[name]
    try:
        query = parse(p["query"])
    except QueryError as err:
        raise _bad(str(err)) from None
    check(resource, query)
    limit = p.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid_request(f"Invalid limit: must be between 1 and 100; found {limit}.", param="limit")
    below = _page_seq(p["page"]) if p.get("page") else None
    found: list[tuple[int, dict[str, Any]]] = []
    while len(found) <= limit:
        rows = ctx.store.conn.execute(
            "SELECT seq, data FROM objects WHERE type = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            (resource.object_type, below if below is not None else 2**62, SCAN_BATCH),
        ).fetchall()
        for seq, data in rows:
            obj = packing.loads(data)
            if matches(resource, query, obj):
                found.append((seq, obj))
                if len(found) > limit:
                    break
        if len(rows) < SCAN_BATCH or len(found) > limit:
            break
        below = rows[-1][0]
    has_more = len(found) > limit
    page = found[:limit]
    return {"object": "search_result", "data": [public(o) for _, o in page], "has_more": has_more,
            "next_page": _page_token(page[-1][0]) if has_more else None, "url": resource.url}


_SPEC = {"query": String(10_000).req(), "limit": Integer(1, 100), "page": String(5000)}


def _register(name: str) -> None:
    @route("GET", f"/v1/{name}/search", _SPEC)
    def handler(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
        return search(ctx, name, p)

    handler.__name__ = f"search_{name}"


for _name in RESOURCES:
    _register(_name)
