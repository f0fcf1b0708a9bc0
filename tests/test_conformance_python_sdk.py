"""Conformance through the official Python SDK (it pins a 2026 version): the recipes of Stripe's docs
with the version-dependent shapes, search with auto-paging, and webhook endpoints whose deliveries are
signed and shaped at each endpoint's api_version (checked with the SDK's own signature verification)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
FEB1 = 1_769_904_000
OLD = "2024-06-20"


class Receiver:
    """A merchant's webhook endpoint on a free loopback port: keeps each POST's body and signature."""

    def __init__(self) -> None:
        received: list[tuple[str, bytes, str]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, body, self.headers.get("Stripe-Signature", "")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _subscription(stripe: Any) -> tuple[Any, Any]:
    """The test-clocks recipe: a customer on a clock with a default card, a monthly subscription."""
    clock = stripe.test_helpers.TestClock.create(frozen_time=T0)
    price = stripe.Price.create(currency="jpy", unit_amount=1980, recurring={"interval": "month"},
                                product_data={"name": f"plan {uuid.uuid4().hex[:6]}"})
    cus = stripe.Customer.create(email="sdk@example.jp", test_clock=clock.id, payment_method="pm_card_visa")
    pm = stripe.PaymentMethod.list(customer=cus.id, type="card").data[0]
    stripe.Customer.modify(cus.id, invoice_settings={"default_payment_method": pm.id})
    return clock, stripe.Subscription.create(customer=cus.id, items=[{"price": price.id}])


def test_the_sdk_gets_the_shapes_of_its_pinned_version(stripe_sdk: Any) -> None:
    stripe = stripe_sdk
    assert stripe.api_version >= "2025-03-31.basil"  # the installed SDK pins a version after basil
    _clock, sub = _subscription(stripe)
    assert sub.last_response.headers["Stripe-Version"] == stripe.api_version
    item = sub["items"]["data"][0]
    assert "current_period_end" not in sub and (item["current_period_start"], item["current_period_end"]) == (T0, FEB1)
    inv = stripe.Invoice.retrieve(sub.latest_invoice, expand=["payments"])
    assert "payment_intent" not in inv and inv.parent.subscription_details.subscription == sub.id
    payment = inv.payments.data[0]
    pi = stripe.PaymentIntent.retrieve(payment.payment.payment_intent)
    assert pi.status == "succeeded" and pi.amount == 1980 and "invoice" not in pi
    assert stripe.InvoicePayment.retrieve(payment.id).invoice == inv.id


def test_a_request_may_ask_for_an_older_version(stripe_sdk: Any) -> None:
    stripe = stripe_sdk
    _clock, sub = _subscription(stripe)
    old = stripe.Subscription.retrieve(sub.id, stripe_version=OLD)
    assert old.last_response.headers["Stripe-Version"] == OLD
    assert (old.current_period_start, old.current_period_end) == (T0, FEB1)
    inv = stripe.Invoice.retrieve(sub.latest_invoice, stripe_version=OLD)
    assert inv.subscription == sub.id and inv.paid is True
    assert stripe.PaymentIntent.retrieve(inv.payment_intent, stripe_version=OLD).invoice == inv.id


def test_search_with_auto_paging(stripe_sdk: Any) -> None:
    stripe = stripe_sdk
    tag = uuid.uuid4().hex[:10]
    made = {stripe.PaymentIntent.create(amount=1000 + i, currency="jpy", metadata={"batch": tag}).id for i in range(5)}
    result = stripe.PaymentIntent.search(query=f'metadata["batch"]:"{tag}" AND amount>=1002', limit=2)
    assert result.object == "search_result" and result.has_more and result.next_page
    found = {pi.id for pi in result.auto_paging_iter()}
    assert found < made and len(found) == 3
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe.PaymentIntent.search(query="amount>")
    assert err.value.param == "query"


def test_webhook_endpoints_deliver_at_their_api_version(stripe_sdk: Any, receiver: Receiver) -> None:
    stripe = stripe_sdk
    old = stripe.WebhookEndpoint.create(url=receiver.url("/old"), enabled_events=["customer.subscription.created"],
                                        api_version=OLD)
    new = stripe.WebhookEndpoint.create(url=receiver.url("/new"), enabled_events=["*"], api_version=stripe.api_version)
    assert old.secret.startswith("whsec_") and old.api_version == OLD
    assert "secret" not in stripe.WebhookEndpoint.retrieve(old.id)
    assert old.id in [e.id for e in stripe.WebhookEndpoint.list(limit=100).auto_paging_iter()]
    secrets = {"/old": old.secret, "/new": new.secret}  # shown once, at creation
    new = stripe.WebhookEndpoint.modify(new.id, enabled_events=["customer.subscription.created", "invoice.paid"])
    assert new.enabled_events == ["customer.subscription.created", "invoice.paid"]
    _clock, sub = _subscription(stripe)

    def delivered(path: str, kind: str) -> Any:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for got_path, body, signature in list(receiver.received):
                if got_path == path and json.loads(body)["type"] == kind and json.loads(body)["data"]["object"]["id"] in (
                        sub.id, sub.latest_invoice):
                    return stripe.Webhook.construct_event(body, signature, secrets[path])
            time.sleep(0.05)
        raise AssertionError(f"no {kind} delivered to {path}: {[(p, json.loads(b)['type']) for p, b, _ in receiver.received]}")

    at_old = delivered("/old", "customer.subscription.created")
    assert at_old.api_version == OLD and at_old.data.object.current_period_end == FEB1
    assert "current_period_end" not in at_old.data.object["items"].data[0]
    at_new = delivered("/new", "customer.subscription.created")
    assert at_new.api_version == stripe.api_version and "current_period_end" not in at_new.data.object
    paid = delivered("/new", "invoice.paid")
    assert "payment_intent" not in paid.data.object and paid.data.object.parent.subscription_details.subscription == sub.id
    assert not [p for p, b, _ in receiver.received if p == "/old" and json.loads(b)["type"] != "customer.subscription.created"]
    assert stripe.WebhookEndpoint.delete(old.id).deleted is True
    assert stripe.WebhookEndpoint.delete(new.id).deleted is True
