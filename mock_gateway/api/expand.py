"""`expand[]=latest_charge`: replace an id with the object it names, as deep as Stripe allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.context import public
from ..core.errors import invalid_request
from ..store.db import Store
from . import versions

MAX_DEPTH = 4


def _invoice_payments(store: Store, inv: dict[str, Any]) -> dict[str, Any]:
    items, has_more = store.list("invoice_payment", filters={"parent": inv["id"]}, limit=100)
    return {"object": "list", "data": items, "has_more": has_more, "url": f"/v1/invoice_payments?invoice={inv['id']}"}


# Properties Stripe includes only when expanded (`expand[]=payments`): (object type, property) -> how to get it.
INCLUDABLE: dict[tuple[Any, str], Callable[[Store, dict[str, Any]], Any]] = {("invoice", "payments"): _invoice_payments}


def render(store: Store, obj: dict[str, Any], expand: list[str], version: str = versions.LATEST) -> dict[str, Any]:
    """The object as answered: public fields, expansions, in the shape of `version`."""
    internal = obj
    obj = _public_deep(obj)
    for path in expand:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid_request(f"You cannot expand more than {MAX_DEPTH} levels of a property ({path}).", param="expand")
        _expand(store, obj, parts, path)
    if version is versions.LATEST or version == versions.LATEST:
        return obj
    return versions.shape(obj, version, store, expanded=bool(expand), internal=internal)


def _public_deep(obj: dict[str, Any]) -> dict[str, Any]:
    if obj.get("object") == "list":
        return {**obj, "data": [public(o) for o in obj["data"]]}
    return public(obj)


def _expand(store: Store, node: Any, parts: list[str], path: str) -> None:
    if node is None:
        return
    if isinstance(node, list):
        for item in node:
            _expand(store, item, parts, path)
        return
    if not isinstance(node, dict):
        raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
    key, rest = parts[0], parts[1:]
    if key not in node and (node.get("object"), key) in INCLUDABLE:  # returned only when asked for
        node[key] = INCLUDABLE[(node.get("object"), key)](store, node)
    if key not in node:
        raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
    value = node[key]
    if isinstance(value, str):
        target = store.get(value)
        if target is None:
            raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
        node[key] = value = public(target)
    if rest:
        _expand(store, value, rest, path)
