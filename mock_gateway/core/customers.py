"""Customers: who pays, with saved payment methods."""

from __future__ import annotations

from typing import Any

from . import payment_methods
from .context import Ctx
from .ids import new_id
from .metadata import merge_metadata

_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {k: value.get(k) for k in _ADDRESS_KEYS}


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    cus: dict[str, Any] = {
        "id": new_id("cus", 14),
        "object": "customer",
        "address": _address(p.get("address")),
        "balance": 0,
        "created": ctx.now,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": p.get("description"),
        "email": p.get("email"),
        "invoice_prefix": new_id("x", 7)[2:].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": p.get("invoice_settings", {}).get("default_payment_method"),
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "name": p.get("name"),
        "next_invoice_sequence": 1,
        "phone": p.get("phone"),
        "preferred_locales": p.get("preferred_locales") or [],
        "shipping": p.get("shipping"),
        "tax_exempt": "none",
        "test_clock": p.get("test_clock"),
    }
    if cus["test_clock"]:
        ctx.get(cus["test_clock"], "test_helpers.test_clock", "test clock", param="test_clock")
    pm = None
    if p.get("payment_method"):
        pm = payment_methods.resolve(ctx, p["payment_method"], param="payment_method")
        # The test-clocks recipe names one test token twice (`payment_method=pm_card_visa` and
        # `invoice_settings[default_payment_method]=pm_card_visa`): the default is that card.
        if cus["invoice_settings"]["default_payment_method"] == p["payment_method"]:
            cus["invoice_settings"]["default_payment_method"] = pm["id"]
    ctx.store.insert(cus)
    ctx.emit("customer.created", cus)
    if pm is not None:
        payment_methods.attach(ctx, pm, cus["id"])
    return cus


def update(ctx: Ctx, cus: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    previous: dict[str, Any] = {}
    for key in ("description", "email", "name", "phone", "preferred_locales", "shipping"):
        if key in p:
            previous[key] = cus.get(key)
            cus[key] = p[key]
    if "address" in p:
        previous["address"] = cus.get("address")
        cus["address"] = _address(p["address"])
    if "invoice_settings" in p and "default_payment_method" in p["invoice_settings"]:
        previous["invoice_settings"] = dict(cus["invoice_settings"])
        cus["invoice_settings"]["default_payment_method"] = p["invoice_settings"]["default_payment_method"]
    if "metadata" in p:
        previous["metadata"] = cus["metadata"]
        cus["metadata"] = merge_metadata(cus["metadata"], p["metadata"])
    ctx.store.update(cus)
    ctx.emit("customer.updated", cus, previous)
    return cus


def delete(ctx: Ctx, cus: dict[str, Any]) -> dict[str, Any]:
    ctx.store.delete(cus["id"])
    ctx.emit("customer.deleted", cus)
    return {"id": cus["id"], "object": "customer", "deleted": True}
