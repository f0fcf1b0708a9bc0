"""Prices: one-time or recurring (day, week, month, year times interval_count), per unit."""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..errors import invalid_request
from ..ids import new_id
from ..metadata import merge_metadata
from . import products


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    if bool(p.get("product")) == bool(p.get("product_data")):
        raise invalid_request("Give exactly one of product (an id) or product_data[name].", param="product")
    if p.get("product"):
        product = ctx.get(p["product"], "product", param="product")
    else:
        product = products.create(ctx, p["product_data"])
    recurring = p.get("recurring")
    if recurring is not None:
        recurring = {
            "aggregate_usage": None,
            "interval": recurring["interval"],
            "interval_count": recurring.get("interval_count", 1),
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
        years = {"day": 1 / 365, "week": 1 / 52, "month": 1 / 12, "year": 1}[recurring["interval"]] * recurring["interval_count"]
        if years > 3:
            raise invalid_request("The maximum billing interval is 3 years (36 months, 156 weeks, 1095 days).",
                                  param="recurring[interval_count]")
    price = {
        "id": new_id("price"),
        "object": "price",
        "active": p.get("active", True),
        "billing_scheme": "per_unit",
        "created": ctx.now,
        "currency": p["currency"],
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": p.get("lookup_key"),
        "metadata": p.get("metadata") or {},
        "nickname": p.get("nickname"),
        "product": product["id"],
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": p["unit_amount"],
        "unit_amount_decimal": str(p["unit_amount"]),
    }
    ctx.store.insert(price, parent=product["id"])
    ctx.emit("price.created", price)
    return price


def update(ctx: Ctx, price: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    previous: dict[str, Any] = {}
    for key in ("active", "nickname", "lookup_key"):
        if key in p:
            previous[key] = price.get(key)
            price[key] = p[key]
    if "metadata" in p:
        previous["metadata"] = price["metadata"]
        price["metadata"] = merge_metadata(price["metadata"], p["metadata"])
    ctx.store.update(price)
    ctx.emit("price.updated", price, previous)
    return price
