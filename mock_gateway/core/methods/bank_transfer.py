"""Bank transfer through the customer's cash balance (`customer_balance`), as Stripe models it.

Each customer gets a virtual bank account per transfer type (a Zengin account for
jp_bank_transfer, ABA and SWIFT for us_bank_transfer). Confirm applies what the cash balance
already holds; if that is not enough the intent waits in requires_action with
next_action.display_bank_transfer_instructions (amount_remaining, the account, a reference).
Funds arrive by `POST /v1/test_helpers/customers/{id}/fund_cash_balance` and are applied to the
customer's waiting intents (the one whose reference was given first, then oldest first):
exact pays, short leaves amount_remaining (payment_intent.partially_funded), over-payment pays
and the rest stays on the cash balance for the next payment.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from ..context import Ctx
from ..errors import invalid_request
from ..ids import new_id
from . import base

TRANSFER_TYPES = {"jp_bank_transfer": "jpy", "us_bank_transfer": "usd"}
ACTION = "display_bank_transfer_instructions"


def _digits(n: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def _financial_addresses(transfer_type: str, holder: str) -> list[dict[str, Any]]:
    if transfer_type == "jp_bank_transfer":
        return [{
            "type": "zengin",
            "supported_networks": ["zengin"],
            "zengin": {
                "account_holder_name": holder,
                "account_number": _digits(7),
                "account_type": "futsu",
                "bank_code": "0009",
                "bank_name": "テスト銀行",
                "branch_code": _digits(3),
                "branch_name": "チェックアウト支店",
            },
        }]
    return [
        {"type": "aba", "supported_networks": ["ach", "domestic_wire_us"],
         "aba": {"account_number": _digits(12), "bank_name": "Test Bank", "routing_number": "110000000"}},
        {"type": "swift", "supported_networks": ["swift"],
         "swift": {"account_number": _digits(12), "bank_name": "Test Bank", "swift_code": "TSTBUS33XXX"}},
    ]


# -- the cash balance -------------------------------------------------------------------------


def balance_id(customer_id: str) -> str:
    return f"cashbal_{customer_id}"


def cash_balance(ctx: Ctx, customer_id: str) -> dict[str, Any]:
    """The customer's cash balance record (created on first use)."""
    record = ctx.store.get(balance_id(customer_id))
    if record is None:
        record = {
            "id": balance_id(customer_id),
            "object": "cash_balance",
            "available": {},
            "customer": customer_id,
            "livemode": False,
            "settings": {"reconciliation_mode": "automatic", "using_merchant_default": True},
            "_accounts": {},
        }
        ctx.store.insert(record, customer=customer_id)
    return record


def public_balance(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "id" and not k.startswith("_")}


def _account(ctx: Ctx, record: dict[str, Any], transfer_type: str) -> list[dict[str, Any]]:
    accounts = record["_accounts"]
    if transfer_type not in accounts:
        holder = "チェックアウト ハーネス" if transfer_type == "jp_bank_transfer" else "Checkout Harness Inc."
        accounts[transfer_type] = _financial_addresses(transfer_type, holder)
        ctx.store.update(record)
    return accounts[transfer_type]


def _transaction(ctx: Ctx, record: dict[str, Any], currency: str, net: int, kind: str, extra: dict[str, Any]) -> dict[str, Any]:
    available = record["available"]
    available[currency] = available.get(currency, 0) + net
    ctx.store.update(record)
    txn = {
        "id": new_id("ccsbtxn"),
        "object": "customer_cash_balance_transaction",
        "created": ctx.now,
        "currency": currency,
        "customer": record["customer"],
        "ending_balance": available[currency],
        "livemode": False,
        "net_amount": net,
        "type": kind,
        kind: extra,
    }
    ctx.store.insert(txn, customer=record["customer"], kind=kind)
    ctx.emit("customer_cash_balance_transaction.created", txn)
    return txn


# -- the payment method -----------------------------------------------------------------------


class CustomerBalance(base.MethodType):
    name = "customer_balance"
    needs_customer = True

    def confirm(self, ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        prefix = "payment_method_options[customer_balance]"
        opts = base.options(pi, "customer_balance")
        if opts.get("funding_type") != "bank_transfer":
            raise invalid_request(
                f"{prefix}[funding_type] must be bank_transfer to pay from the customer's cash balance.",
                param=f"{prefix}[funding_type]",
            )
        transfer = opts.get("bank_transfer") or {}
        transfer_type = transfer.get("type") if isinstance(transfer, dict) else None
        if transfer_type not in TRANSFER_TYPES:
            raise invalid_request(
                f"{prefix}[bank_transfer][type] must be one of {', '.join(TRANSFER_TYPES)}; found {transfer_type!r}.",
                param=f"{prefix}[bank_transfer][type]",
            )
        if pi["currency"] != TRANSFER_TYPES[transfer_type]:
            raise invalid_request(
                f"{transfer_type} takes {TRANSFER_TYPES[transfer_type]} only; this PaymentIntent is in {pi['currency']}.",
                param="currency",
            )
        record = cash_balance(ctx, pi["customer"])
        pi["_amount_remaining"] = pi["amount"]
        pi["_transfer_type"] = transfer_type
        pi["_reference"] = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))
        pi["_instructions_token"] = secrets.token_urlsafe(18)  # the hosted page's link: mailed, so not the client secret
        if record["available"].get(pi["currency"], 0) > 0:
            if _apply(ctx, record, pi, pm):
                return pi
        return base.require_action(ctx, pi, _instructions(ctx, record, pi))


CUSTOMER_BALANCE = CustomerBalance()


def _instructions(ctx: Ctx, record: dict[str, Any], pi: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": ACTION,
        ACTION: {
            "amount_remaining": pi["_amount_remaining"],
            "currency": pi["currency"],
            "financial_addresses": _account(ctx, record, pi["_transfer_type"]),
            "hosted_instructions_url": f"{ctx.base_url}/bank_transfer/{pi['id']}/{pi['_instructions_token']}",
            "reference": pi["_reference"],
            "type": pi["_transfer_type"],
        },
    }


def _apply(ctx: Ctx, record: dict[str, Any], pi: dict[str, Any], pm: dict[str, Any]) -> bool:
    """Apply what the balance holds to one waiting intent; True when the intent is now paid."""
    available = record["available"].get(pi["currency"], 0)
    applied = min(available, pi["_amount_remaining"])
    if applied <= 0:
        return False
    _transaction(ctx, record, pi["currency"], -applied, "applied_to_payment", {"payment_intent": pi["id"]})
    pi["_amount_remaining"] -= applied
    if pi["_amount_remaining"] == 0:
        base.succeed(ctx, pi, pm, {})
        return True
    if pi["status"] == "requires_action":
        pi["next_action"][ACTION]["amount_remaining"] = pi["_amount_remaining"]
        base.save_intent(ctx, pi)
        ctx.emit("payment_intent.partially_funded", pi)
    return False


MAX_BALANCE = 10**15  # far below SQLite's and JSON's 64-bit integers, far above any test's money


def fund(ctx: Ctx, customer: dict[str, Any], amount: int, currency: str, reference: str | None) -> dict[str, Any]:
    """Money arrived in the customer's virtual account: fund the balance, then reconcile."""
    if amount < 1:
        raise invalid_request(f"Invalid amount: must be at least 1, found {amount}.", param="amount")
    if currency not in TRANSFER_TYPES.values():
        raise invalid_request(
            f"Invalid currency {currency!r} for a bank transfer: expected one of {', '.join(sorted(set(TRANSFER_TYPES.values())))}.",
            param="currency",
        )
    record = cash_balance(ctx, customer["id"])
    if record["available"].get(currency, 0) + amount > MAX_BALANCE:
        raise invalid_request(
            f"Invalid amount: a cash balance holds at most {MAX_BALANCE} ({currency}); this customer's holds "
            f"{record['available'].get(currency, 0)}, so at most {MAX_BALANCE - record['available'].get(currency, 0)} more can be funded.",
            param="amount")
    transfer_type = next(t for t, c in TRANSFER_TYPES.items() if c == currency)
    funded = _transaction(ctx, record, currency, amount, "funded",
                          {"bank_transfer": {"reference": reference, "type": transfer_type}})
    waiting = [
        pi for pi in (ctx.store.get(pid) for pid in _waiting_ids(ctx, customer["id"]))
        if pi is not None and pi["currency"] == currency
    ]
    waiting.sort(key=lambda pi: (pi.get("_reference") != reference, pi["created"]))
    for pi in waiting:
        if record["available"].get(currency, 0) <= 0:
            break
        _apply(ctx, record, pi, ctx.get(pi["payment_method"], "payment_method", "PaymentMethod"))
    if record["available"].get(currency, 0) > 0:
        ctx.emit("cash_balance.funds_available", public_balance(record) | {"id": record["id"]})
    return funded


def _waiting_ids(ctx: Ctx, customer_id: str) -> list[str]:
    rows = ctx.store.conn.execute(
        "SELECT id FROM objects WHERE type = 'payment_intent' AND customer = ? AND kind = 'requires_action' "
        "AND json_extract(unpacked(data), '$.next_action.type') = ? ORDER BY seq",  # intents are packed (store/packing.py)
        (customer_id, ACTION),
    ).fetchall()
    return [r[0] for r in rows]
