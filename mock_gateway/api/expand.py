"""`expand[]=latest_charge`: replace an id with the object it names, as deep as Stripe allows."""

from __future__ import annotations

from typing import Any

from ..core.context import public
from ..core.errors import invalid_request
from ..store.db import Store

MAX_DEPTH = 4


def render(store: Store, obj: dict[str, Any], expand: list[str]) -> dict[str, Any]:
    obj = _public_deep(obj)
    for path in expand:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid_request(f"You cannot expand more than {MAX_DEPTH} levels of a property ({path}).", param="expand")
        _expand(store, obj, parts, path)
    return obj


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
