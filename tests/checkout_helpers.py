"""Helpers for the hosted-checkout tests: create a session, and a shopper's entries by field name."""

from __future__ import annotations

from typing import Any

import httpx

KEY = ("sk_test_checkout_tests", "")
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
INSUFFICIENT_CARD = "4000000000009995"
THREE_DS_CARD = "4000002760003184"
EXPIRY = "12 / 34"


def create_session(base: str, *, variant: str = "baseline", locale: str = "en", amount: int = 1980, **extra: Any) -> dict[str, Any]:
    data = {
        "mode": "payment",
        "success_url": f"{base}/c/confirmation/{{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/c/static/checkout.css",
        "line_items[0][price_data][currency]": "jpy",
        "line_items[0][price_data][unit_amount]": str(amount),
        "line_items[0][price_data][product_data][name]": "Tote bag",
        "line_items[0][quantity]": "1",
        "locale": locale,
        "variant": variant,
        **{k: str(v) for k, v in extra.items()},
    }
    response = httpx.post(f"{base}/v1/checkout/sessions", data=data, auth=KEY, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def retrieve(base: str, session_id: str, **params: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/v1/checkout/sessions/{session_id}", params=params, auth=KEY, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def entries(locale: str = "en", card: str = GOOD_CARD) -> dict[str, str]:
    """Valid values for every field any shipped variant asks, keyed by form field name."""
    if locale == "ja":
        person = {
            "name": "山田 花子", "family_name": "山田", "given_name": "花子",
            "name_kana": "ヤマダ ハナコ", "family_name_kana": "ヤマダ", "given_name_kana": "はなこ",
            "country": "JP", "postal_code": "150-0001", "state": "東京都", "city": "渋谷区",
            "line1": "神宮前1-2-3", "phone": "090-1234-5678",
        }
    else:
        person = {
            "name": "Jane Doe", "family_name": "Doe", "given_name": "Jane",
            "country": "US", "postal_code": "94103", "state": "CA", "city": "San Francisco",
            "line1": "1 Market St", "phone": "415-555-0123",
        }
    return {
        **person,
        "email": "hanako@example.jp",
        "password": "sesame1234",
        "company": "Example KK",
        "line2": "",
        "payment_method": "card",
        "card_number": card,
        "card_expiry": EXPIRY,
        "card_cvc": "123",
        "card_name": "HANAKO YAMADA",
    }
