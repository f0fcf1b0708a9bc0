"""Processing fees and fund availability per payment method: defaults from Stripe's published
standard pricing, changed per gateway by `POST /v1/test_helpers/balance_settings`.

Sources (standard pricing pages, as read for this table):
- Japan: https://stripe.com/jp/pricing: cards 3.6% (Visa, Mastercard, American Express, JCB,
  Diners Club, Discover); dispute fee JPY 1,500. Konbini 3.6% with a JPY 120 minimum, Japan bank
  transfer (customer_balance) 1.5% capped at JPY 1,500 and PayPay 3.45% are as that page listed
  them when this table was written: check them against the page before relying on a figure.
- United States: https://stripe.com/pricing: cards 2.9% + 30 cents; +1.5% for cards issued
  outside the US (https://support.stripe.com/questions/june-2023-pricing-and-sales-tax-updates);
  dispute fee USD 15; PayPal 3.49% + 49 cents.
Currencies other than jpy are charged at the US rates. Amounts are in the currency's smallest unit.

Availability (`available_on`) is a whole number of days after the charge, at 00:00 UTC as Stripe
reports it; a card made with pm_card_bypassPending is available at once (Behaviour.funds).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import orjson

from ..store.db import Store
from .errors import invalid_request

DAY = 86400


@dataclass(frozen=True)
class Rate:
    percent: float
    fixed: int = 0
    minimum: int = 0
    cap: int | None = None
    international: float = 0.0  # added for a card issued outside the account's country

    def fee(self, amount: int, international: bool = False) -> int:
        percent = self.percent + (self.international if international else 0.0)
        fee = int(amount * percent / 100 + 0.5) + self.fixed
        fee = max(fee, self.minimum)
        return min(fee, self.cap) if self.cap is not None else fee


# account (by currency) -> method -> rate; "dispute" is the fixed fee a chargeback costs.
DEFAULT_RATES: dict[str, dict[str, dict[str, Any]]] = {
    "jpy": {
        "card": {"percent": 3.6},
        "konbini": {"percent": 3.6, "minimum": 120},
        "customer_balance": {"percent": 1.5, "cap": 1500},
        "paypay": {"percent": 3.45},
        "paypal": {"percent": 3.6},
        "dispute": {"percent": 0, "fixed": 1500},
    },
    "usd": {
        "card": {"percent": 2.9, "fixed": 30, "international": 1.5},
        "paypal": {"percent": 3.49, "fixed": 49},
        "konbini": {"percent": 2.9, "fixed": 30},
        "customer_balance": {"percent": 2.9, "fixed": 30},
        "paypay": {"percent": 2.9, "fixed": 30},
        "dispute": {"percent": 0, "fixed": 1500},
    },
}
ACCOUNT_COUNTRY = {"jpy": "JP"}  # any other currency: a US account
DEFAULT_AVAILABLE_DAYS: dict[str, int] = {"card": 4, "konbini": 4, "customer_balance": 1, "paypay": 4, "paypal": 4}
PAYOUT_INTERVALS = ("daily", "weekly", "monthly", "manual")
DEFAULT_SETTINGS: dict[str, Any] = {
    "rates": DEFAULT_RATES,
    "available_days": DEFAULT_AVAILABLE_DAYS,
    "payout_schedule": {"interval": "daily", "weekly_anchor": "monday", "monthly_anchor": 1},
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_KEY = "balance.settings"


_PARSED: dict[str, dict[str, Any]] = {}  # settings text -> parsed (read on every charge; changed rarely)


def settings(store: Store) -> dict[str, Any]:
    """The balance settings now in force (a copy the caller may change)."""
    text = store.setting(_KEY)
    if text is None:
        return copy.deepcopy(DEFAULT_SETTINGS)
    parsed = _PARSED.get(text)
    if parsed is None:
        if len(_PARSED) > 8:
            _PARSED.clear()
        parsed = _PARSED[text] = orjson.loads(text)
    return copy.deepcopy(parsed)


def _read(store: Store) -> dict[str, Any]:
    """The settings for reading only (no copy)."""
    text = store.setting(_KEY)
    if text is None:
        return DEFAULT_SETTINGS
    parsed = _PARSED.get(text)
    return parsed if parsed is not None else settings(store)


def payout_schedule(store: Store) -> dict[str, Any]:
    return _read(store)["payout_schedule"]


def rate(store: Store, currency: str, method: str) -> Rate:
    rates = _read(store)["rates"]
    table = rates.get(currency) or rates["usd"]
    spec = table.get(method) or table.get("card") or rates["usd"]["card"]
    return Rate(**spec)


def available_on(store: Store, method: str, created: int, immediate: bool = False) -> int:
    if immediate:
        return created
    days = _read(store)["available_days"].get(method, DEFAULT_AVAILABLE_DAYS["card"])
    return (created // DAY + days) * DAY if days else created


def _number(value: Any, param: str, low: float, high: float, whole: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high or (whole and number != int(number)):
        raise invalid_request(f"Invalid {param}: expected a {'whole ' if whole else ''}number from {low:g} to {high:g}; "
                              f"found {str(value)[:40]!r}.", param=param)
    return int(number) if whole else number


def put(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    """Change rates (`rates[jpy][card][percent]=3.25`), availability (`available_days[card]=7`) or the
    payout schedule (`payout_schedule[interval]=weekly`); what is not given is kept."""
    current = settings(store)
    for currency, methods in (p.get("rates") or {}).items():
        if not isinstance(methods, dict) or not currency.isalpha() or len(currency) != 3:
            raise invalid_request(f"Invalid rates[{currency[:10]}]: expected rates[<currency>][<method>][percent|fixed|"
                                  "minimum|cap|international].", param=f"rates[{currency[:10]}]")
        table = current["rates"].setdefault(currency.lower(), copy.deepcopy(current["rates"]["usd"]))
        for method, spec in methods.items():
            param = f"rates[{currency}][{method}]"
            if not isinstance(spec, dict) or not spec or set(spec) - {"percent", "fixed", "minimum", "cap", "international"}:
                raise invalid_request(f"Invalid {param}: expected percent, fixed, minimum, cap or international.", param=param)
            entry = table.setdefault(method, {"percent": 0})
            for key, value in spec.items():
                entry[key] = _number(value, f"{param}[{key}]", 0, 100 if key in ("percent", "international") else 10**9,
                                     whole=key not in ("percent", "international"))
    for method, days in (p.get("available_days") or {}).items():
        current["available_days"][method] = _number(days, f"available_days[{method}]", 0, 90, whole=True)
    schedule = p.get("payout_schedule") or {}
    if "interval" in schedule:
        if schedule["interval"] not in PAYOUT_INTERVALS:
            raise invalid_request(f"Invalid payout_schedule[interval]: one of {', '.join(PAYOUT_INTERVALS)}.",
                                  param="payout_schedule[interval]")
        current["payout_schedule"]["interval"] = schedule["interval"]
    if "weekly_anchor" in schedule:
        if schedule["weekly_anchor"] not in WEEKDAYS:
            raise invalid_request(f"Invalid payout_schedule[weekly_anchor]: one of {', '.join(WEEKDAYS)}.",
                                  param="payout_schedule[weekly_anchor]")
        current["payout_schedule"]["weekly_anchor"] = schedule["weekly_anchor"]
    if "monthly_anchor" in schedule:
        current["payout_schedule"]["monthly_anchor"] = _number(schedule["monthly_anchor"], "payout_schedule[monthly_anchor]",
                                                               1, 31, whole=True)
    store.set_setting(_KEY, orjson.dumps(current).decode())
    return current
