"""Payment method types beyond cards register here: how each is created, confirmed and settled.

Each method module (konbini, bank_transfer, wallets, qr_codes) defines a `MethodType` and calls
`register` at import. They are imported at the bottom of this module, so PAYMENT_METHOD_TYPES,
which the API specs read when they are imported, names every type. The helpers below are the
transitions every method that settles later shares (wait for the shopper, succeed, fail, expire).
"""

from __future__ import annotations

from typing import Any, Callable

from .context import Ctx, public
from .errors import invalid_request, unexpected_state


class MethodType:
    """Create a payment method of this type, and confirm an intent paid with it."""

    name: str = ""
    currencies: tuple[str, ...] = ()  # empty: any currency
    redirects: bool = False  # needs a redirect or another device: left out with allow_redirects=never
    needs_customer: bool = False
    min_amount: int = 0
    max_amount: int | None = None

    def details(self, ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
        """The type's own sub-object on the PaymentMethod (`konbini: {}`, `paypal: {...}`)."""
        return {}

    def create(self, ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
        from . import payment_methods

        return payment_methods.save_other(ctx, self.name, {self.name: self.details(ctx, p)}, p)

    def confirm(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def check_intent(self, pi: dict[str, Any], param: str = "currency") -> None:
        """Refuse a currency or amount this method cannot take, naming the offending param."""
        if self.currencies and pi["currency"] not in self.currencies:
            raise invalid_request(
                f"The currency provided ({pi['currency']}) is invalid for payment method type {self.name}, which "
                f"supports only: {', '.join(self.currencies)}.",
                param=param,
                code="payment_intent_invalid_parameter",
            )
        too_small = pi["amount"] < self.min_amount
        if too_small or (self.max_amount is not None and pi["amount"] > self.max_amount):
            limit = f"at least {self.min_amount}" if too_small else f"at most {self.max_amount}"
            raise invalid_request(
                f"Amount {pi['amount']} {pi['currency'].upper()} is not accepted by {self.name}: it must be {limit}.",
                param="amount",
                code="amount_too_small" if too_small else "amount_too_large",
            )


METHODS: dict[str, MethodType] = {}


def register(method: MethodType) -> MethodType:
    METHODS[method.name] = method
    return method


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
        return ["card"]
    types = ["card"]
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


def options(pi: dict[str, Any], name: str) -> dict[str, Any]:
    """payment_method_options[name] as last set on the intent (create, update or confirm)."""
    value = (pi.get("payment_method_options") or {}).get(name) or {}
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid payment_method_options[{name}]: expected a hash.", param=f"payment_method_options[{name}]")
    return value


def int_option(value: Any, param: str, low: int, high: int) -> int:
    """An integer option given as a form string, within [low, high]."""
    if not isinstance(value, str) or not value.lstrip("-").isdigit():
        raise invalid_request(f"Invalid integer for {param}: expected a whole number, found {str(value)[:40]!r}.", param=param)
    number = int(value)
    if not low <= number <= high:
        raise invalid_request(f"Invalid {param}: must be between {low} and {high}, found {number}.", param=param)
    return number


# -- transitions shared by methods that settle later --------------------------------------------


def save_intent(ctx: Ctx, pi: dict[str, Any]) -> None:
    ctx.store.update(pi, customer=pi["customer"], kind=pi["status"])


# Called when a payment that settles later succeeds or fails (`succeed`, `fail`): the hosted
# checkout registers one to mark its session paid (checkout/sessions.py settle_async).
SETTLED_HOOKS: list[Callable[[Ctx, dict[str, Any]], None]] = []


def require_action(ctx: Ctx, pi: dict[str, Any], next_action: dict[str, Any]) -> dict[str, Any]:
    """The shopper has something to do (pay at a store, transfer, approve, scan)."""
    pi["status"] = "requires_action"
    pi["next_action"] = next_action
    save_intent(ctx, pi)
    ctx.emit("payment_intent.requires_action", pi)
    return pi


def succeed(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The money arrived: a charge with `details` as its payment_method_details[type]."""
    from . import payment_intents

    if details is not None:
        pm = {**pm, pm["type"]: details}
    pi = payment_intents.succeed_async(ctx, pi, pm)
    for hook in SETTLED_HOOKS:
        hook(ctx, pi)
    return pi


def fail(ctx: Ctx, pi: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    """The attempt failed (declined, canceled by the shopper, expired): back to requires_payment_method."""
    pm = ctx.store.get(pi["payment_method"]) if pi.get("payment_method") else None
    pi["status"] = "requires_payment_method"
    pi["next_action"] = None
    pi["last_payment_error"] = {
        "code": code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "payment_method": public(pm) if pm else None,
        "type": "invalid_request_error",
    }
    save_intent(ctx, pi)
    ctx.emit("payment_intent.payment_failed", pi)
    for hook in SETTLED_HOOKS:
        hook(ctx, pi)
    return pi


def awaiting(ctx: Ctx, pi_id: str, action_type: str | tuple[str, ...], param: str = "id") -> dict[str, Any]:
    """The PaymentIntent `pi_id`, which must be waiting on a next_action of this type."""
    pi = ctx.get(pi_id, "payment_intent", param=param)
    types = (action_type,) if isinstance(action_type, str) else action_type
    if pi["status"] != "requires_action" or (pi.get("next_action") or {}).get("type") not in types:
        raise unexpected_state(
            f"This PaymentIntent is not waiting for {' or '.join(types)} (status {pi['status']}).", pi, param=param
        )
    return pi


# The method modules register themselves; imported here so that the registry is complete.
from . import bank_transfer, konbini, qr_codes, wallets  # noqa: E402,F401

PAYMENT_METHOD_TYPES: tuple[str, ...] = ("card", *METHODS)
