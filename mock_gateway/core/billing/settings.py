"""Dunning settings: what happens after a renewal fails. Harness extension.

Stripe keeps these in the account's Billing settings (Smart Retries, "if all retries fail",
customer emails). Here they are per test clock (so that policies can run side by side in one
gateway) with an account-wide default, set by `POST /v1/test_helpers/billing_settings`.
"""

from __future__ import annotations

from typing import Any

import orjson

from ...store.db import Store

AFTER_RETRIES = ("cancel", "unpaid", "past_due")
DEFAULT: dict[str, Any] = {
    "retry_days": [3, 5, 7],  # days after each failed attempt before the next one
    "after_retries": "cancel",  # the subscription when every retry failed
    "notices": {"upcoming_renewal": True, "payment_failed": True, "card_expiring": True},
    "upcoming_renewal_days": 7,
}


def _key(clock_id: str | None) -> str:
    return f"billing.settings:{clock_id or 'default'}"


def get(store: Store, clock_id: str | None) -> dict[str, Any]:
    """The settings a clock's subscriptions follow: its own, else the account's, else DEFAULT."""
    for key in ((_key(clock_id), _key(None)) if clock_id else (_key(None),)):
        text = store.setting(key)
        if text is not None:
            return orjson.loads(text)
    return {**DEFAULT, "notices": dict(DEFAULT["notices"])}


def put(store: Store, clock_id: str | None, p: dict[str, Any]) -> dict[str, Any]:
    current = get(store, clock_id)
    for key in ("retry_days", "after_retries", "upcoming_renewal_days"):
        if key in p:
            current[key] = p[key]
    if "notices" in p:
        current["notices"] = {**current["notices"], **p["notices"]}
    store.set_setting(_key(clock_id), orjson.dumps(current).decode())
    return current


def render(clock_id: str | None, values: dict[str, Any]) -> dict[str, Any]:
    return {"object": "billing_settings", "test_clock": clock_id, **values}
