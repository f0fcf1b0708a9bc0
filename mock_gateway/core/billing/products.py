"""Products: what is sold; prices hang off them."""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..errors import invalid_request
from ..ids import new_id
from ..metadata import merge_metadata


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    product = {
        "id": p.get("id") or new_id("prod", 14),
        "object": "product",
        "active": p.get("active", True),
        "created": ctx.now,
        "default_price": None,
        "description": p.get("description"),
        "images": [],
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "name": p["name"],
        "statement_descriptor": p.get("statement_descriptor"),
        "type": "service",
        "unit_label": p.get("unit_label"),
        "updated": ctx.now,
        "url": None,
    }
    if ctx.store.get(product["id"]) is not None:
        raise invalid_request(f"Product already exists: {product['id']}", param="id", code="resource_already_exists")
    ctx.store.insert(product)
    ctx.emit("product.created", product)
    return product


def update(ctx: Ctx, product: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    previous: dict[str, Any] = {}
    for key in ("active", "description", "name", "statement_descriptor", "unit_label", "default_price"):
        if key in p:
            previous[key] = product.get(key)
            product[key] = p[key]
    if "default_price" in p and p["default_price"]:
        ctx.get(p["default_price"], "price", param="default_price")
    if "metadata" in p:
        previous["metadata"] = product["metadata"]
        product["metadata"] = merge_metadata(product["metadata"], p["metadata"])
    product["updated"] = ctx.now
    ctx.store.update(product)
    ctx.emit("product.updated", product, previous)
    return product
