"""The example shop's server without a browser: the plain form charged through the official SDK,
the order confirmed by the return page and by the gateway's signed webhook, and bad input that
gets a page or a 4xx, never a 500."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from shop_support import ShopProcess

FORM = {"email": "sora@example.com", "name": "Sora Ito", "card_number": "4242 4242 4242 4242", "expiry": "12/34",
        "cvc": "123", "country": "JP", "postal_code": "180-0004", "terms": "yes"}


@pytest.fixture()
def shop(gateway, tmp_path: Path) -> Iterator[ShopProcess]:
    with ShopProcess(gateway.url, tmp_path / "requests.jsonl") as proc:
        yield proc


def test_plain_form_order_confirmed_by_return_page_and_signed_webhook(shop: ShopProcess) -> None:
    with httpx.Client(base_url=shop.url, follow_redirects=True, timeout=20) as client:
        client.post("/cart", data={"sku": "grinder"})
        page = client.post("/pay", data=FORM)
        assert page.status_code == 200, page.text
        order_id = re.search(r"Order (HC-\d+) is confirmed", page.text).group(1)
        deadline = time.monotonic() + 20
        order = client.get(f"/orders/{order_id}.json").json()
        while "webhook" not in order["paid_by"] and time.monotonic() < deadline:
            time.sleep(0.2)
            order = client.get(f"/orders/{order_id}.json").json()
    assert order["status"] == "paid" and order["amount"] == 6800
    assert set(order["paid_by"]) == {"return page", "webhook"}


def test_bad_input_never_500(shop: ShopProcess) -> None:
    with httpx.Client(base_url=shop.url, follow_redirects=False, timeout=20) as client:
        assert client.post("/api/orders", content=b"\xff\xfe not json", headers={"content-type": "application/json"}).status_code == 400
        assert client.post("/api/orders", json=["a list"]).status_code == 400
        assert client.post("/api/orders", json={"email": "x", "name": ""}).status_code == 400
        assert client.get("/order/return").status_code == 400
        assert client.get("/order/return", params={"payment_intent": "pi_nope"}).status_code == 404
        assert client.get("/orders/HC-1.json").status_code == 404
        assert client.post("/webhooks/stripe", content=b"{}", headers={"stripe-signature": "t=1,v1=bad"}).status_code == 400
        assert client.post("/cart", content=b"\xff=\xfe&sku=%zz").status_code == 303
        client.cookies.set("cart", "grinder:1")
        bad = client.post("/pay", content=b"card_number=abc&expiry=13/99&terms=no")
        assert bad.status_code == 400
        for text in ("Please enter a valid card number.", "Please enter the expiry date as MM/YY.", "Please accept the terms of sale."):
            assert text in bad.text
        assert 'aria-invalid="true"' in bad.text
        declined = client.post("/pay", data={**FORM, "card_number": "4000000000000002"})
        assert declined.status_code == 402 and "Your card was declined." in declined.text
        assert "4000000000000002" not in declined.text  # the card number is never echoed into the page
