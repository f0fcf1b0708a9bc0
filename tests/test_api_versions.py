"""API versions: the Stripe-Version a request asks for decides every object's shape, events and webhook
payloads included (mock_gateway/api/versions.py), with the changes Stripe's changelog lists."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from mock_gateway import webhooks
from mock_gateway.api import versions
from mock_gateway.app import create_app
from mock_gateway.store.db import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
FEB1 = 1_769_904_000
PRE_BASIL = "2025-02-24.acacia"
BASIL = "2025-03-31.basil"


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def call(self, method: str, path: str, data: dict[str, Any] | None = None, version: str | None = None) -> Any:
        headers = {"Authorization": "Bearer sk_test_versions"}
        if version:
            headers["Stripe-Version"] = version
        if method == "GET":
            return self.client.get(path, params=data, headers=headers)
        return self.client.post(path, data=data or {}, headers=headers)

    def ok(self, method: str, path: str, data: dict[str, Any] | None = None, version: str | None = None) -> dict[str, Any]:
        r = self.call(method, path, data, version)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture()
def store() -> Iterator[Store]:
    yield Store(":memory:")


@pytest.fixture()
def api(store: Store) -> Iterator[Api]:
    with TestClient(create_app(store)) as client:
        yield Api(client)


def _subscribed(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    clk = api.ok("POST", "/v1/test_helpers/test_clocks", {"frozen_time": T0})
    price = api.ok("POST", "/v1/prices", {"currency": "jpy", "unit_amount": 1980, "recurring[interval]": "month",
                                          "product_data[name]": "plan"})
    cus = api.ok("POST", "/v1/customers", {"email": "v@example.jp", "test_clock": clk["id"], "payment_method": "pm_card_visa"})
    pm = api.ok("GET", "/v1/payment_methods", {"customer": cus["id"], "type": "card"})["data"][0]
    api.ok("POST", f"/v1/customers/{cus['id']}", {"invoice_settings[default_payment_method]": pm["id"]})
    sub = api.ok("POST", "/v1/subscriptions", {"customer": cus["id"], "items[0][price]": price["id"]}, versions.LATEST)
    return clk, sub


def test_the_version_echoed_is_the_version_served(api: Api) -> None:
    r = api.call("POST", "/v1/payment_intents", {"amount": 1000, "currency": "jpy"})
    assert r.headers["Stripe-Version"] == versions.account_default() == "2024-06-20"
    assert "invoice" in r.json()  # removed in 2025-03-31.basil: the default still shows it
    r = api.call("GET", f"/v1/payment_intents/{r.json()['id']}", version=versions.LATEST)
    assert r.headers["Stripe-Version"] == versions.LATEST and "invoice" not in r.json()


def test_a_declined_intent_in_an_error_is_in_the_version_served(api: Api) -> None:
    for version, has_invoice in ((PRE_BASIL, True), (versions.LATEST, False)):
        r = api.call("POST", "/v1/payment_intents", {"amount": 1000, "currency": "jpy", "confirm": "true",
                                                     "payment_method": "pm_card_chargeDeclined"}, version)
        assert r.status_code == 402, r.text
        assert ("invoice" in r.json()["error"]["payment_intent"]) is has_invoice


@pytest.mark.parametrize("bad, word", [("2019-02-19", "Unsupported"), ("latest", "Invalid"), ("2026-11-18.preview", "Unsupported")])
def test_an_unknown_version_is_a_400_naming_what_is_served(api: Api, bad: str, word: str) -> None:
    r = api.call("POST", "/v1/customers", {"email": "x@example.jp"}, bad)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and word in error["message"] and versions.LATEST in error["message"]


def test_subscription_periods_move_to_items_at_basil(api: Api) -> None:
    _clk, sub = _subscribed(api)
    assert "current_period_end" not in sub and sub["items"]["data"][0]["current_period_end"] == FEB1
    for version in versions.VERSIONS:
        got = api.ok("GET", f"/v1/subscriptions/{sub['id']}", version=version)
        item = got["items"]["data"][0]
        if versions.VERSIONS.index(version) >= versions.VERSIONS.index(BASIL):
            assert "current_period_end" not in got and (item["current_period_start"], item["current_period_end"]) == (T0, FEB1)
        else:
            assert (got["current_period_start"], got["current_period_end"]) == (T0, FEB1) and "current_period_end" not in item


def test_subscription_items_read_on_their_own(api: Api) -> None:
    _clk, sub = _subscribed(api)
    item_id = sub["items"]["data"][0]["id"]
    item = api.ok("GET", f"/v1/subscription_items/{item_id}", version=versions.LATEST)
    assert item["object"] == "subscription_item" and item["current_period_end"] == FEB1
    assert "current_period_end" not in api.ok("GET", f"/v1/subscription_items/{item_id}", version=PRE_BASIL)
    listed = api.ok("GET", "/v1/subscription_items", {"subscription": sub["id"]}, versions.LATEST)
    assert [i["id"] for i in listed["data"]] == [item_id] and listed["has_more"] is False
    assert api.call("GET", "/v1/subscription_items").status_code == 400
    assert api.call("GET", "/v1/subscription_items/si_missing").status_code == 404


def test_invoice_payment_intent_becomes_invoice_payments_and_parent(api: Api) -> None:
    _clk, sub = _subscribed(api)
    inv = api.ok("GET", f"/v1/invoices/{sub['latest_invoice']}", {"expand[]": "payments"}, versions.LATEST)
    assert not {"payment_intent", "charge", "paid", "subscription"} & set(inv)
    assert inv["parent"]["subscription_details"]["subscription"] == sub["id"]
    payment = inv["payments"]["data"][0]
    assert payment["object"] == "invoice_payment" and payment["status"] == "paid" and payment["amount_paid"] == 1980
    pi_id = payment["payment"]["payment_intent"]
    assert api.ok("GET", f"/v1/invoice_payments/{payment['id']}")["invoice"] == inv["id"]
    assert [p["id"] for p in api.ok("GET", "/v1/invoice_payments", {"invoice": inv["id"]})["data"]] == [payment["id"]]
    line = inv["lines"]["data"][0]
    assert "price" not in line and line["parent"]["subscription_item_details"]["subscription"] == sub["id"]
    old = api.ok("GET", f"/v1/invoices/{inv['id']}", version=PRE_BASIL)
    assert (old["payment_intent"], old["subscription"], old["paid"]) == (pi_id, sub["id"], True) and "parent" not in old
    assert old["charge"] == api.ok("GET", f"/v1/payment_intents/{pi_id}")["latest_charge"]
    old_line = old["lines"]["data"][0]
    assert old_line["price"]["object"] == "price" and old_line["subscription"] == sub["id"] and old_line["type"] == "subscription"
    assert "pricing" not in old_line and "parent" not in old_line
    assert api.ok("GET", f"/v1/payment_intents/{pi_id}", version=PRE_BASIL)["invoice"] == inv["id"]
    charge_id = old["charge"]
    assert api.ok("GET", f"/v1/charges/{charge_id}", version=PRE_BASIL)["invoice"] == inv["id"]
    assert "invoice" not in api.ok("GET", f"/v1/charges/{charge_id}", version=BASIL)


def test_expanded_objects_and_lists_are_shaped_too(api: Api) -> None:
    _clk, sub = _subscribed(api)
    got = api.ok("GET", f"/v1/subscriptions/{sub['id']}", {"expand[]": "latest_invoice"}, PRE_BASIL)
    assert got["latest_invoice"]["subscription"] == sub["id"] and "parent" not in got["latest_invoice"]
    listed = api.ok("GET", "/v1/subscriptions", {"customer": sub["customer"]}, PRE_BASIL)["data"]
    assert listed[0]["current_period_end"] == FEB1


def test_events_are_shaped_at_the_version_asked_for(api: Api) -> None:
    clk, _sub = _subscribed(api)
    api.ok("POST", f"/v1/test_helpers/test_clocks/{clk['id']}/advance", {"frozen_time": FEB1 + 60})
    events = api.ok("GET", "/v1/events", {"type": "customer.subscription.updated"}, versions.LATEST)["data"]
    renewal = next(e for e in events if "items" in (e["data"].get("previous_attributes") or {}))
    assert renewal["api_version"] == versions.LATEST
    assert renewal["data"]["previous_attributes"]["items"]["data"][0]["current_period_end"] == FEB1
    old = api.ok("GET", f"/v1/events/{renewal['id']}", version=PRE_BASIL)
    assert old["api_version"] == PRE_BASIL
    assert old["data"]["object"]["current_period_start"] == FEB1
    assert old["data"]["previous_attributes"]["current_period_end"] == FEB1 and "items" not in old["data"]["previous_attributes"]


def test_an_item_change_keeps_items_in_previous_attributes_before_basil(api: Api) -> None:
    _clk, sub = _subscribed(api)
    price = api.ok("POST", "/v1/prices", {"currency": "jpy", "unit_amount": 2980, "recurring[interval]": "month",
                                          "product_data[name]": "plus"})
    item = sub["items"]["data"][0]
    api.ok("POST", f"/v1/subscriptions/{sub['id']}", {"items[0][id]": item["id"], "items[0][price]": price["id"],
                                                      "proration_behavior": "none"})
    events = api.ok("GET", "/v1/events", {"type": "customer.subscription.updated"}, PRE_BASIL)["data"]
    changed = next(e for e in events if e["data"]["object"]["id"] == sub["id"])
    previous = changed["data"]["previous_attributes"]
    assert previous["items"]["data"][0]["price"]["id"] == item["price"]["id"]
    assert "current_period_end" not in previous and "current_period_end" not in previous["items"]["data"][0]


def test_checkout_session_shapes(api: Api) -> None:
    data = {"mode": "payment", "success_url": "https://shop.example/ok", "line_items[0][price_data][currency]": "jpy",
            "line_items[0][price_data][unit_amount]": 1200, "line_items[0][price_data][product_data][name]": "tea",
            "line_items[0][quantity]": 1}
    new = api.ok("POST", "/v1/checkout/sessions", data, versions.LATEST)
    assert new["ui_mode"] == "hosted_page" and "shipping_details" not in new
    old = api.ok("GET", f"/v1/checkout/sessions/{new['id']}", version="2024-06-20")
    assert old["ui_mode"] == "hosted" and old["shipping_details"] is None
    assert api.ok("GET", f"/v1/checkout/sessions/{new['id']}", version="2026-02-25.clover")["ui_mode"] == "hosted"
    assert api.ok("GET", f"/v1/checkout/sessions/{new['id']}", version="2026-03-25.dahlia")["ui_mode"] == "hosted_page"


def test_each_endpoint_receives_events_at_its_api_version(api: Api, store: Store) -> None:
    old = api.ok("POST", "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/old", "enabled_events[]": "*",
                                                   "api_version": PRE_BASIL})
    new = api.ok("POST", "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/new", "enabled_events[]": "*",
                                                   "api_version": versions.LATEST})
    default = api.ok("POST", "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/default", "enabled_events[]": "*"})
    assert (old["api_version"], new["api_version"], default["api_version"]) == (PRE_BASIL, versions.LATEST, None)
    _subscribed(api)
    webhooks.dispatch(store, T0)
    payloads: dict[str, list[dict[str, Any]]] = {}
    for delivery in webhooks.claim(store, 10**10, 10_000, 30):
        payloads.setdefault(delivery.endpoint["id"], []).append(orjson.loads(delivery.payload))
    subs = {endpoint: next(e for e in events if e["type"] == "customer.subscription.created")
            for endpoint, events in payloads.items()}
    assert subs[old["id"]]["api_version"] == PRE_BASIL and "current_period_end" in subs[old["id"]]["data"]["object"]
    assert subs[new["id"]]["api_version"] == versions.LATEST and "current_period_end" not in subs[new["id"]]["data"]["object"]
    assert subs[default["id"]]["api_version"] == versions.account_default()
    assert all(e["api_version"] == PRE_BASIL for e in payloads[old["id"]])


def test_an_endpoint_with_an_unknown_api_version_is_refused(api: Api) -> None:
    r = api.call("POST", "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/x", "enabled_events[]": "*",
                                                   "api_version": "2099-01-01"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "api_version"


def test_the_account_default_is_settable(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(versions.ENV_DEFAULT, BASIL)
    r = api.call("POST", "/v1/payment_intents", {"amount": 1000, "currency": "jpy"})
    assert r.headers["Stripe-Version"] == BASIL and "invoice" not in r.json()


def test_every_change_names_a_served_version_and_a_real_transform() -> None:
    for change in versions.CHANGES:
        assert change.version in versions.VERSIONS and change.version != versions.OLDEST
    assert versions.LATEST == "2026-11-18.endive"
