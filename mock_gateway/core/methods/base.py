"""The method protocol, and the steps every payment method shares (wait for the shopper, succeed, fail).

A method (card, konbini, bank transfer, wallet, QR code; each a module in this package) is a
`MethodType`: how a PaymentMethod of its type is created, how an intent paid with it is confirmed,
and what its charge records. The steps below move the intent through the state machine
(core/intent_states.py); the list of methods and the dispatch by type are in __init__.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import disputes, intent_states
from ..context import Ctx, public
from ..errors import invalid_request, payment_error, unexpected_state
from . import authorizations, records


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
        return records.save(ctx, self.name, {self.name: self.details(ctx, p)}, p)

    def confirm(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def update(self, pm: dict[str, Any], p: dict[str, Any]) -> None:
        """Apply an update's type-specific params (`card[exp_month]`) to the PaymentMethod."""

    def charge_details(self, pi: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
        """The charge's payment_method_details[type]: by default the PaymentMethod's own sub-object."""
        return pm.get(self.name) or {}

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


save_intent = intent_states.save


Hook = Callable[[Ctx, dict[str, Any]], None]
# What the layers above do when a payment that settles later succeeds or fails (`succeed`, `fail`: the
# hosted checkout marks its session paid) and when the customer's own confirm paid an intent (billing
# pays the invoice it was made for). Set by install_hooks, which the Gateway calls with the list it
# joins (api/gateway.py), as it installs the clock's tasks: core imports nothing above it.
SETTLED_HOOKS: list[Hook] = []
PAID_ON_SESSION_HOOKS: list[Hook] = []


def install_hooks(*, settled: Sequence[Hook], paid_on_session: Sequence[Hook]) -> None:
    SETTLED_HOOKS[:] = settled
    PAID_ON_SESSION_HOOKS[:] = paid_on_session


def paid_on_session(ctx: Ctx, pi: dict[str, Any]) -> None:
    for hook in PAID_ON_SESSION_HOOKS:
        hook(ctx, pi)


def require_action(ctx: Ctx, pi: dict[str, Any], next_action: dict[str, Any]) -> dict[str, Any]:
    """The shopper has something to do (pay at a store, transfer, approve, scan)."""
    pi["status"] = "requires_action"
    pi["next_action"] = next_action
    save_intent(ctx, pi)
    ctx.emit("payment_intent.requires_action", pi)
    return pi


def authorise(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    """The payment went through: succeeded, or requires_capture (held, see authorizations.py) with
    capture_method=manual; a charge with `details` as its payment_method_details[type]."""
    manual = pi["capture_method"] == "manual"
    charge = intent_states.new_charge(ctx, pi, pm, "succeeded", not manual, None, details)
    if manual:
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        authorizations.hold(ctx, pi, charge)  # expires uncaptured after 7 days (by clock)
    else:
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
    save_intent(ctx, pi)
    ctx.emit("charge.succeeded", charge)
    ctx.emit("payment_intent.amount_capturable_updated" if manual else "payment_intent.succeeded", pi)
    if not manual:
        disputes.after_charge(ctx, charge, intent_states.behaviour_of(pm))  # the dispute cards open one now
    return pi


def succeed(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The money arrived for a payment that waited (konbini, transfer, wallet, QR code): a charge with
    `details` (default: the PaymentMethod's own sub-object) as its payment_method_details[type]."""
    pi["next_action"] = None
    pi = authorise(ctx, pi, pm, details if details is not None else (pm.get(pm["type"]) or {}))
    for hook in SETTLED_HOOKS:
        hook(ctx, pi)
    return pi


def fail(ctx: Ctx, pi: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    """The attempt failed (declined, canceled by the shopper, expired): back to requires_payment_method."""
    pm = ctx.store.get(pi["payment_method"]) if pi.get("payment_method") else None
    pi["status"] = "requires_payment_method"
    pi["next_action"] = None
    pi["last_payment_error"] = payment_error("invalid_request_error", code, message, public(pm) if pm else None)
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
