"""Webhook endpoints and delivery: signatures the official SDK verifies, a tampered payload refused,
retries after failures, delivery after a gateway restart, and no double delivery by two workers."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from methods_support import KEY, env, eventually, gateway_args, sdk  # noqa: F401

from harness.servers import GatewayProcess
from harness.webhook_receiver import WebhookReceiver, verify_signature
from mock_gateway.webhooks import default_retry_schedule, parse_schedule, sign


@pytest.fixture()
def receiver(tmp_path):
    with WebhookReceiver(tmp_path / "webhooks.jsonl", keep_bodies=True) as r:
        yield r


def recorded_attempts(gateway: GatewayProcess, count: int, **params: str) -> list[dict]:
    """The gateway's attempt records, oldest first, once `count` are there (it records an attempt
    just after the endpoint has answered it)."""
    def fetch() -> list[dict] | None:
        found = httpx.get(gateway.url + "/_harness/webhook_attempts", params=params, trust_env=False,
                          headers={"Authorization": f"Bearer {gateway.admin_token}"}).json()["data"]
        return found[::-1] if len(found) >= count else None

    return eventually(fetch)


def endpoint_for(sdk, receiver: WebhookReceiver, events=("*",)):
    endpoint = sdk.WebhookEndpoint.create(url=receiver.url, enabled_events=list(events))
    receiver.secret = endpoint.secret
    return endpoint


def test_endpoint_crud(sdk):
    endpoint = sdk.WebhookEndpoint.create(url="http://127.0.0.1:9/hook", enabled_events=["payment_intent.succeeded"],
                                          description="shop")
    assert endpoint.secret.startswith("whsec_") and endpoint.status == "enabled"
    fetched = sdk.WebhookEndpoint.retrieve(endpoint.id)
    assert "secret" not in fetched and fetched.enabled_events == ["payment_intent.succeeded"]
    updated = sdk.WebhookEndpoint.modify(endpoint.id, enabled_events=["*"], disabled=True)
    assert updated.enabled_events == ["*"] and updated.status == "disabled"
    assert endpoint.id in [e.id for e in sdk.WebhookEndpoint.list(limit=100).data]
    assert sdk.WebhookEndpoint.delete(endpoint.id).deleted is True


@pytest.mark.parametrize("params, param", [
    ({"url": "ftp://example.com/x", "enabled_events": ["*"]}, "url"),
    ({"url": "http://example.com/x", "enabled_events": ["not an event"]}, "enabled_events[0]"),
    ({"url": "http://example.com/x"}, "enabled_events"),
])
def test_bad_endpoint_input_names_the_param(env, params, param):
    data = [(k, v) for k, v in params.items() if k != "enabled_events"]
    data += [("enabled_events[]", v) for v in params.get("enabled_events", [])]
    response = env.post("/v1/webhook_endpoints", data)
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_events_arrive_signed_and_the_sdk_verifies_them(sdk, receiver, tmp_path):
    endpoint_for(sdk, receiver, ["payment_intent.succeeded", "charge.succeeded"])
    pi = sdk.PaymentIntent.create(amount=1980, currency="jpy", payment_method="pm_card_visa", confirm=True)
    receiver.wait_for(lambda r: len(r.accepted()) >= 2)
    assert sorted(r["type"] for r in receiver.accepted()) == ["charge.succeeded", "payment_intent.succeeded"]
    body, header = next(b for b in receiver.bodies if json.loads(b[0])["type"] == "payment_intent.succeeded")
    event = sdk.Webhook.construct_event(body, header, receiver.secret)
    assert event.type == "payment_intent.succeeded" and event.data.object.id == pi.id
    tampered = body.replace(b'"amount":1980', b'"amount":1')
    with pytest.raises(sdk.SignatureVerificationError):
        sdk.Webhook.construct_event(tampered, header, receiver.secret)
    with pytest.raises(sdk.SignatureVerificationError):
        sdk.Webhook.construct_event(body, header, "whsec_" + "0" * 48)
    stats = receiver.stats()
    assert stats["verified"] == stats["received"] == 2 and stats["failed_signature"] == 0
    lines = [json.loads(line) for line in (tmp_path / "webhooks.jsonl").read_text().splitlines()]
    assert {line["event"]["data"]["object"]["id"] for line in lines if line["type"] == "payment_intent.succeeded"} == {pi.id}
    assert stats["latency_ms"]["count"] == 2 and 0 <= stats["latency_ms"]["p50"] < 5000


def test_wrong_secret_is_counted_as_a_failed_signature(sdk, receiver):
    endpoint_for(sdk, receiver, ["customer.created"])
    receiver.secret = "whsec_wrong"
    sdk.Customer.create(email="sig@example.jp")
    receiver.wait_for(lambda r: r.stats()["failed_signature"] >= 1)
    assert receiver.records()[0]["status"] == 400


def test_failed_deliveries_are_retried_with_backoff(sdk, env):
    with WebhookReceiver(fail_first=2) as receiver:
        endpoint = endpoint_for(sdk, receiver, ["customer.created"])
        cus = sdk.Customer.create(email="retry@example.jp")
        assert receiver.wait_for(lambda r: len(r.accepted()) == 1, timeout=10)
        event_id = receiver.accepted()[0]["event_id"]
        attempts = recorded_attempts(env.gateway, 3, endpoint=endpoint.id, event=event_id)
    assert [a["status"] for a in attempts] == [500, 500, 200] and [a["attempt"] for a in attempts] == [1, 2, 3]
    gaps = [b["started"] - a["started"] for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # the configured schedule 0.2, 0.4, 0.8
    assert [r["gateway_attempt"] for r in receiver.records()] == [1, 2, 3]
    assert receiver.records()[-1]["object_id"] == cus.id


def test_delivery_gives_up_when_the_schedule_is_used_up(sdk, env):
    with WebhookReceiver(fail_first=100) as receiver:
        endpoint = endpoint_for(sdk, receiver, ["customer.created"])
        sdk.Customer.create(email="never@example.jp")
        assert receiver.wait_for(lambda r: len(r.records()) == 4, timeout=10)
        time.sleep(1.0)  # no fifth attempt
        assert len(receiver.records()) == 4
    attempts = recorded_attempts(env.gateway, 4, endpoint=endpoint.id)
    assert len(attempts) == 4 and all(a["status"] == 500 for a in attempts)


def test_queued_delivery_survives_a_gateway_restart(tmp_path):
    db = tmp_path / "gateway.sqlite3"
    accepting = {"now": False}
    with WebhookReceiver(respond=lambda event, attempt: 200 if accepting["now"] else 503) as receiver:
        with GatewayProcess(db, extra_args=gateway_args(None, retries="1.5")) as first:
            with httpx.Client(base_url=first.url, auth=(KEY, ""), trust_env=False) as http:
                endpoint = http.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "customer.created"}).json()
                receiver.secret = endpoint["secret"]
                http.post("/v1/customers", data={"email": "restart@example.jp"})
                assert receiver.wait_for(lambda r: len(r.records()) == 1)
        # the gateway is gone with a retry queued in its database; the endpoint recovers
        accepting["now"] = True
        with GatewayProcess(db, extra_args=gateway_args(None, retries="1.5")) as second:
            assert receiver.wait_for(lambda r: len(r.accepted()) == 1, timeout=10)
            attempts = recorded_attempts(second, 2)
    assert [a["status"] for a in attempts] == [503, 200]
    assert receiver.records()[0]["event_id"] == receiver.records()[1]["event_id"]


def test_two_workers_deliver_each_event_once(tmp_path):
    with WebhookReceiver() as receiver:
        with GatewayProcess(tmp_path / "gateway.sqlite3", workers=2, extra_args=gateway_args(None)) as gateway:
            with httpx.Client(base_url=gateway.url, auth=(KEY, ""), trust_env=False, timeout=30) as http:
                endpoint = http.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "*"}).json()
                receiver.secret = endpoint["secret"]
            # a new connection per request, so that requests spread over both workers
            with httpx.Client(base_url=gateway.url, auth=(KEY, ""), trust_env=False,
                              limits=httpx.Limits(max_keepalive_connections=0)) as fresh:
                ids = [fresh.post("/v1/customers").json()["id"] for _ in range(30)]
                assert receiver.wait_for(lambda r: len(r.accepted()) >= 30, timeout=15)
                time.sleep(0.5)  # time for any duplicate to show up
    stats = receiver.stats()
    assert stats["events"] == 30 and stats["duplicates"] == 0 and stats["received"] == 30
    assert {r["object_id"] for r in receiver.records()} == set(ids)


def test_default_schedule_backs_off_for_three_days():
    delays = default_retry_schedule()
    assert delays[0] == 60 and all(b >= a for a, b in zip(delays, delays[1:])) and max(delays) == 6 * 3600
    assert 3 * 86400 <= sum(delays) < 3 * 86400 + 6 * 3600
    assert parse_schedule("0.5,1,2") == (0.5, 1.0, 2.0) and parse_schedule("none") == ()
    with pytest.raises(ValueError):
        parse_schedule("1,-2")


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200), secret=st.text(alphabet="abcdef0123456789", min_size=8, max_size=48),
       timestamp=st.integers(min_value=1_600_000_000, max_value=2_000_000_000))
def test_signature_round_trip_agrees_with_the_sdk(text, secret, timestamp):
    import stripe

    payload, key = text.encode(), "whsec_" + secret
    header = sign(payload, key, timestamp)
    assert stripe.WebhookSignature.verify_header(payload, header, key) is True  # no tolerance: any timestamp
    assert verify_signature(payload, header, key, now=timestamp)
    assert not verify_signature(payload + b"x", header, key, now=timestamp)
    assert not verify_signature(payload, header, key, now=timestamp + 301)  # Stripe's 5-minute tolerance
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload + b"x", header, key)
