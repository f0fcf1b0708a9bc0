"""/v1/customers/{id}/cash_balance and its transactions: where bank transfers land."""

from __future__ import annotations

from typing import Any

from ..core.context import Ctx
from ..core.methods import bank_transfer
from .registry import RouteTable, page

ROUTES = RouteTable()
route = ROUTES.route


@route("GET", "/v1/customers/{customer}/cash_balance")
def retrieve(ctx: Ctx, p: dict[str, Any], customer: str) -> dict[str, Any]:
    ctx.get(customer, "customer", param="customer")
    record = ctx.store.get(bank_transfer.balance_id(customer))
    if record is None:
        return {"object": "cash_balance", "available": None, "customer": customer, "livemode": False,
                "settings": {"reconciliation_mode": "automatic", "using_merchant_default": True}}
    return bank_transfer.public_balance(record)


@route("GET", "/v1/customers/{customer}/cash_balance_transactions", listing=True)
def list_transactions(ctx: Ctx, p: dict[str, Any], customer: str) -> dict[str, Any]:
    ctx.get(customer, "customer", param="customer")
    return page(ctx, "customer_cash_balance_transaction", f"/v1/customers/{customer}/cash_balance_transactions", p, customer=customer)


@route("GET", "/v1/customers/{customer}/cash_balance_transactions/{id}")
def retrieve_transaction(ctx: Ctx, p: dict[str, Any], customer: str, id: str) -> dict[str, Any]:
    txn = ctx.get(id, "customer_cash_balance_transaction")
    if txn["customer"] != customer:
        from ..core.errors import not_found

        raise not_found("customer_cash_balance_transaction", id)
    return txn
