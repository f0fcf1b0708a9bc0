"""Payment methods as equals: the list of every method the gateway takes, and the dispatch by type.

Each method is a module of this package defining a `base.MethodType` (card, konbini,
bank_transfer, wallets, qr); `ALL` below names them, in the order automatic_payment_methods
offers them. The dispatch (create a PaymentMethod, confirm an intent, which types an intent
takes) is what core/payment_methods.py and core/payment_intents.py call; the methods themselves
move the intent through core/intent_states.py by the shared steps in base.py.
"""

from __future__ import annotations

from typing import Any

from ..context import Ctx
from ..errors import invalid_request
from .bank_transfer import CUSTOMER_BALANCE
from .base import MethodType
from .card import CARD
from .konbini import KONBINI
from .qr import QR_METHODS
from .wallets import PAYPAL

ALL: tuple[MethodType, ...] = (CARD, KONBINI, CUSTOMER_BALANCE, PAYPAL, *QR_METHODS.values())
METHODS: dict[str, MethodType] = {method.name: method for method in ALL}
PAYMENT_METHOD_TYPES: tuple[str, ...] = tuple(METHODS)


def create_payment_method(ctx: Ctx, pm_type: str, p: dict[str, Any]) -> dict[str, Any]:
    method = METHODS.get(pm_type)
    if method is None:
        raise invalid_request(f"Invalid type: {pm_type!r} is not a supported payment method type here.", param="type")
    return method.create(ctx, p)


def confirm(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    method = METHODS.get(pm["type"])
    if method is None:
        raise invalid_request(f"Payment method type {pm['type']!r} cannot be confirmed here.", param="payment_method")
    method.check_intent(pi)
    if method.needs_customer and not pi.get("customer"):
        raise invalid_request(
            f"A customer is required to confirm a PaymentIntent with payment method type {pm['type']}: create the "
            "PaymentIntent with customer=cus_...",
            param="customer",
        )
    return method.confirm(ctx, pi, pm, p)


def intent_types(p: dict[str, Any]) -> list[str]:
    """payment_method_types for a new PaymentIntent: as given (checked against the currency), or
    with automatic_payment_methods every type that can take this currency."""
    given = p.get("payment_method_types")
    if given:
        for i, name in enumerate(given):
            method = METHODS.get(name)
            if method is not None and method.currencies and p["currency"] not in method.currencies:
                method.check_intent({"currency": p["currency"], "amount": p["amount"]}, param=f"payment_method_types[{i}]")
        return list(given)
    automatic = p.get("automatic_payment_methods") or {}
    if not automatic.get("enabled"):
        return [CARD.name]
    types = []
    for name, method in METHODS.items():
        if method.currencies and p["currency"] not in method.currencies:
            continue
        if method.needs_customer and not p.get("customer"):
            continue
        if method.redirects and automatic.get("allow_redirects") == "never":
            continue
        if p["amount"] < method.min_amount or (method.max_amount is not None and p["amount"] > method.max_amount):
            continue
        types.append(name)
    return types
