"""The official stripe SDK, unchanged, against the mock gateway over HTTP."""

from __future__ import annotations

import uuid

import httpx
import pytest


def test_customer_crud_and_list(stripe_sdk):
    email = f"hanako-{uuid.uuid4().hex[:8]}@example.jp"  # the session gateway is shared with other tests
    cus = stripe_sdk.Customer.create(email=email, name="山田 花子", metadata={"tier": "gold"})
    assert cus.id.startswith("cus_") and cus.livemode is False
    assert stripe_sdk.Customer.retrieve(cus.id).email == email
    updated = stripe_sdk.Customer.modify(cus.id, metadata={"tier": "", "seen": "1"})
    assert updated.metadata.to_dict() == {"seen": "1"}
    found = stripe_sdk.Customer.list(email=email)
    assert [c.id for c in found.data] == [cus.id]
    deleted = stripe_sdk.Customer.delete(cus.id)
    assert deleted.deleted is True
    with pytest.raises(stripe_sdk.InvalidRequestError) as err:
        stripe_sdk.Customer.retrieve(cus.id)
    assert err.value.http_status == 404 and err.value.code == "resource_missing"


def test_card_payment_succeeds_with_latest_charge_expanded(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(
        amount=1980, currency="jpy", payment_method="pm_card_visa", confirm=True, expand=["latest_charge"]
    )
    assert pi.status == "succeeded" and pi.amount_received == 1980
    assert pi.latest_charge.object == "charge" and pi.latest_charge.captured is True
    assert pi.latest_charge.payment_method_details.card.last4 == "4242"
    charges = stripe_sdk.Charge.list(payment_intent=pi.id)
    assert [c.id for c in charges.data] == [pi.latest_charge.id]


def test_payment_method_from_card_number_keeps_no_number(stripe_sdk, gateway):
    pm = stripe_sdk.PaymentMethod.create(type="card", card={"number": "3566002020360505", "exp_month": 12, "exp_year": 2034, "cvc": "123"})
    assert pm.card.brand == "jcb" and pm.card.last4 == "0505" and pm.card.checks.cvc_check == "pass"
    raw = httpx.get(f"{gateway.url}/v1/payment_methods/{pm.id}", auth=("sk_test_x", "")).text
    assert "3566002020360505" not in raw
    import sqlite3

    db = gateway.argv[gateway.argv.index("--db") + 1]
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert "3566002020360505" not in dump


@pytest.mark.parametrize(
    "number, brand",
    [("5555555555554444", "mastercard"), ("378282246310005", "amex"), ("3566002020360505", "jcb"), ("4242424242424242", "visa")],
)
def test_brands_from_number(stripe_sdk, number, brand):
    pm = stripe_sdk.PaymentMethod.create(type="card", card={"number": number, "exp_month": 1, "exp_year": 2040})
    assert pm.card.brand == brand


@pytest.mark.parametrize(
    "number, code, decline_code",
    [
        ("4000000000000002", "card_declined", "generic_decline"),
        ("4000000000009995", "card_declined", "insufficient_funds"),
        ("4000000000009987", "card_declined", "lost_card"),
        ("4000000000000069", "expired_card", "expired_card"),
        ("4000000000000127", "incorrect_cvc", "incorrect_cvc"),
        ("4000000000000119", "processing_error", "processing_error"),
    ],
)
def test_declines_are_card_errors_and_recorded(stripe_sdk, number, code, decline_code):
    pm = stripe_sdk.PaymentMethod.create(type="card", card={"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "314"})
    pi = stripe_sdk.PaymentIntent.create(amount=2000, currency="usd", payment_method=pm.id)
    assert pi.status == "requires_confirmation"
    with pytest.raises(stripe_sdk.CardError) as err:
        stripe_sdk.PaymentIntent.confirm(pi.id)
    assert err.value.http_status == 402
    assert err.value.code == code and err.value.error.decline_code == decline_code
    after = stripe_sdk.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.decline_code == decline_code
    assert after.latest_charge.status == "failed"
    events = stripe_sdk.Event.list(type="payment_intent.payment_failed", limit=100)
    assert any(e.data.object.id == pi.id for e in events.auto_paging_iter())
    # a declined intent can be paid with another card
    ok = stripe_sdk.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa")
    assert ok.status == "succeeded"


def test_incorrect_number_refused_at_creation(stripe_sdk):
    with pytest.raises(stripe_sdk.CardError) as err:
        stripe_sdk.PaymentMethod.create(type="card", card={"number": "4242424242424241", "exp_month": 12, "exp_year": 2034})
    assert err.value.code == "incorrect_number" and err.value.param == "number"


def _challenge(gateway, pi, action: str) -> httpx.Response:
    url = pi.next_action.redirect_to_url.url
    return httpx.post(url.split("?")[0], data={"client_secret": pi.client_secret, "action": action})


@pytest.mark.parametrize("token", ["pm_card_threeDSecure2Required", "pm_card_authenticationRequired"])
def test_three_d_secure_completed(stripe_sdk, gateway, token):
    pi = stripe_sdk.PaymentIntent.create(amount=5000, currency="jpy", payment_method=token, confirm=True,
                                         return_url="https://shop.example/done?order=7")
    assert pi.status == "requires_action" and pi.next_action.type == "redirect_to_url"
    page = httpx.get(pi.next_action.redirect_to_url.url)
    assert page.status_code == 200 and "Complete authentication" in page.text
    answer = _challenge(gateway, pi, "complete")
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("https://shop.example/done?order=7&payment_intent=" + pi.id)
    assert "redirect_status=succeeded" in location
    assert stripe_sdk.PaymentIntent.retrieve(pi.id).status == "succeeded"


def test_three_d_secure_failed(stripe_sdk, gateway):
    pi = stripe_sdk.PaymentIntent.create(amount=5000, currency="jpy", payment_method="pm_card_threeDSecure2Required",
                                         confirm=True, return_url="https://shop.example/done")
    answer = _challenge(gateway, pi, "fail")
    assert "redirect_status=failed" in answer.headers["location"]
    after = stripe_sdk.PaymentIntent.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == "payment_intent_authentication_failure"


def test_challenge_page_refuses_wrong_secret(stripe_sdk, gateway):
    pi = stripe_sdk.PaymentIntent.create(amount=5000, currency="jpy", payment_method="pm_card_threeDSecure2Required", confirm=True)
    wrong = httpx.post(f"{gateway.url}/3ds/{pi.id}", data={"client_secret": "nope", "action": "complete"})
    assert wrong.status_code == 404
    assert stripe_sdk.PaymentIntent.retrieve(pi.id).status == "requires_action"


def test_manual_capture_partial_then_refunds(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(amount=10000, currency="usd", payment_method="pm_card_mastercard",
                                         capture_method="manual", confirm=True)
    assert pi.status == "requires_capture" and pi.amount_capturable == 10000
    captured = stripe_sdk.PaymentIntent.capture(pi.id, amount_to_capture=8000)
    assert captured.status == "succeeded" and captured.amount_received == 8000
    with pytest.raises(stripe_sdk.InvalidRequestError) as err:
        stripe_sdk.PaymentIntent.capture(pi.id)
    assert err.value.code == "payment_intent_unexpected_state"
    first = stripe_sdk.Refund.create(payment_intent=pi.id, amount=3000)
    assert first.status == "succeeded" and first.amount == 3000
    with pytest.raises(stripe_sdk.InvalidRequestError) as over:
        stripe_sdk.Refund.create(payment_intent=pi.id, amount=6000)
    assert over.value.param == "amount"
    stripe_sdk.Refund.create(payment_intent=pi.id)  # the rest: 5000
    charge = stripe_sdk.Charge.retrieve(captured.latest_charge)
    assert charge.amount_refunded == 8000 and charge.refunded is True
    with pytest.raises(stripe_sdk.InvalidRequestError) as again:
        stripe_sdk.Refund.create(payment_intent=pi.id, amount=1)
    assert again.value.code == "charge_already_refunded"
    assert sum(r.amount for r in stripe_sdk.Refund.list(payment_intent=pi.id).data) == 8000


def test_cancel_and_illegal_transitions(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(amount=700, currency="eur")
    canceled = stripe_sdk.PaymentIntent.cancel(pi.id, cancellation_reason="abandoned")
    assert canceled.status == "canceled"
    with pytest.raises(stripe_sdk.InvalidRequestError) as err:
        stripe_sdk.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa")
    assert err.value.http_status == 400 and err.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe_sdk.InvalidRequestError):
        stripe_sdk.PaymentIntent.cancel(pi.id)


def test_idempotent_replay_and_conflict(stripe_sdk):
    key = str(uuid.uuid4())
    first = stripe_sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method="pm_card_visa", confirm=True, idempotency_key=key)
    again = stripe_sdk.PaymentIntent.create(amount=1000, currency="jpy", payment_method="pm_card_visa", confirm=True, idempotency_key=key)
    assert again.id == first.id and again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert again.last_response.body == first.last_response.body
    with pytest.raises(stripe_sdk.IdempotencyError):
        stripe_sdk.PaymentIntent.create(amount=2000, currency="jpy", idempotency_key=key)


def test_declined_confirm_replays_the_same_decline(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(amount=1000, currency="jpy")
    key = str(uuid.uuid4())
    errors = []
    for _ in range(2):
        with pytest.raises(stripe_sdk.CardError) as err:
            stripe_sdk.PaymentIntent.confirm(pi.id, payment_method="pm_card_chargeDeclined", idempotency_key=key)
        errors.append(err.value)
    assert errors[0].json_body == errors[1].json_body
    assert len(stripe_sdk.Charge.list(payment_intent=pi.id).data) == 1


def test_pagination_walks_every_page(stripe_sdk):
    cus = stripe_sdk.Customer.create(email="pages@example.com")
    made = [stripe_sdk.PaymentIntent.create(amount=100 + i, currency="usd", customer=cus.id).id for i in range(7)]
    first = stripe_sdk.PaymentIntent.list(customer=cus.id, limit=3)
    assert first.has_more is True and len(first.data) == 3 and first.url == "/v1/payment_intents"
    walked = [pi.id for pi in stripe_sdk.PaymentIntent.list(customer=cus.id, limit=3).auto_paging_iter()]
    assert walked == list(reversed(made))
    back = stripe_sdk.PaymentIntent.list(customer=cus.id, limit=2, ending_before=walked[4])
    assert [pi.id for pi in back.data] == walked[2:4]


def test_payment_methods_attach_list_detach(stripe_sdk):
    cus = stripe_sdk.Customer.create(name="Returning Shopper")
    pm = stripe_sdk.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    assert pm.customer == cus.id
    listed = stripe_sdk.Customer.list_payment_methods(cus.id)
    assert [p.id for p in listed.data] == [pm.id]
    assert stripe_sdk.PaymentMethod.list(customer=cus.id, type="card").data[0].id == pm.id
    detached = stripe_sdk.PaymentMethod.detach(pm.id)
    assert detached.customer is None
    assert stripe_sdk.Customer.list_payment_methods(cus.id).data == []


def test_authentication(gateway):
    none = httpx.get(f"{gateway.url}/v1/customers")
    assert none.status_code == 401 and none.json()["error"]["type"] == "invalid_request_error"
    live = httpx.get(f"{gateway.url}/v1/customers", headers={"Authorization": "Bearer sk_live_abcdef123456"})
    assert live.status_code == 401
    basic = httpx.get(f"{gateway.url}/v1/customers", auth=("sk_test_abc", ""))
    assert basic.status_code == 200 and basic.headers["request-id"].startswith("req_")


@pytest.mark.parametrize(
    "body, param",
    [
        ("currency=jpy", "amount"),
        ("amount=1000", "currency"),
        ("amount=-5&currency=usd", "amount"),
        ("amount=10.5&currency=usd", "amount"),
        ("amount=1000&currency=xyz", "currency"),
        ("amount=1000&currency=jpy&colour=red", "colour"),
        ("amount=1000&currency=jpy&metadata[a=1", "metadata[a"),
        ("amount=1000&currency=jpy&capture_method=later", "capture_method"),
        ("amount=49&currency=jpy", "amount"),
    ],
)
def test_bad_input_names_the_param(gateway, body, param):
    answer = httpx.post(f"{gateway.url}/v1/payment_intents", content=body, auth=("sk_test_x", ""),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]


def test_zero_decimal_jpy_amounts_are_whole_yen(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(amount=50, currency="jpy")
    assert pi.amount == 50


def test_body_over_one_megabyte_is_413(gateway):
    answer = httpx.post(f"{gateway.url}/v1/customers", content=b"description=" + b"x" * (1024 * 1024 + 10),
                        auth=("sk_test_x", ""), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413 and answer.json()["error"]["type"] == "invalid_request_error"


def test_unknown_path_is_404_envelope(gateway):
    answer = httpx.post(f"{gateway.url}/v1/nothing_here", auth=("sk_test_x", ""))
    assert answer.status_code == 404 and "Unrecognized request URL" in answer.json()["error"]["message"]


def test_events_one_per_state_change(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(amount=1500, currency="jpy", payment_method="pm_card_visa", confirm=True)
    events = stripe_sdk.Event.list(limit=100)
    mine = [e.type for e in events.auto_paging_iter() if e.data.object.id in (pi.id, pi.latest_charge)]
    assert sorted(mine) == sorted(["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"])
    refund = stripe_sdk.Refund.create(payment_intent=pi.id)
    assert stripe_sdk.Event.list(type="refund.created", limit=1).data[0].data.object.id == refund.id
    assert stripe_sdk.Event.list(type="charge.*", limit=1).data[0].type == "charge.refunded"


# -- more of what the official SDK does ---------------------------------------------------------


def test_stripe_version_accepted_and_request_id_returned(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(amount=1200, currency="jpy", stripe_version="2024-06-20")
    headers = pi.last_response.headers
    assert headers["Stripe-Version"] == "2024-06-20"  # the version echoed is the version served
    with pytest.raises(stripe_sdk.InvalidRequestError) as err:  # one not served is refused, not echoed
        stripe_sdk.PaymentIntent.create(amount=1200, currency="jpy", stripe_version="2020-08-27")
    assert "2024-06-20" in err.value.user_message and err.value.http_status == 400
    assert headers["Request-Id"].startswith("req_") and pi.last_response.request_id == headers["Request-Id"]
    again = stripe_sdk.PaymentIntent.retrieve(pi.id)
    assert again.last_response.request_id != pi.last_response.request_id  # one id per request


def test_payment_intent_update(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(amount=1000, currency="jpy", metadata={"order": "1", "gift": "no"})
    updated = stripe_sdk.PaymentIntent.modify(pi.id, amount=1500, description="two mugs", metadata={"gift": "", "wrap": "yes"},
                                              payment_method="pm_card_visa")
    assert updated.amount == 1500 and updated.description == "two mugs"
    assert updated.metadata.to_dict() == {"order": "1", "wrap": "yes"}
    assert updated.status == "requires_confirmation" and updated.payment_method.startswith("pm_")
    event = stripe_sdk.Event.list(type="payment_intent.updated", limit=1).data[0]
    assert event.data.object.id == pi.id and event.data.previous_attributes.amount == 1000
    paid = stripe_sdk.PaymentIntent.confirm(pi.id)
    assert paid.status == "succeeded" and paid.amount_received == 1500
    with pytest.raises(stripe_sdk.InvalidRequestError) as err:
        stripe_sdk.PaymentIntent.modify(pi.id, amount=2000)
    assert err.value.code == "payment_intent_unexpected_state"
    assert stripe_sdk.PaymentIntent.modify(pi.id, metadata={"note": "after"}).metadata.note == "after"


def test_expand_on_a_list(stripe_sdk):
    cus = stripe_sdk.Customer.create(email="expand@example.com")
    paid = stripe_sdk.PaymentIntent.create(amount=800, currency="jpy", customer=cus.id, payment_method="pm_card_visa", confirm=True)
    stripe_sdk.PaymentIntent.create(amount=900, currency="jpy", customer=cus.id)  # no charge yet: stays null
    listed = stripe_sdk.PaymentIntent.list(customer=cus.id, expand=["data.latest_charge"])
    by_id = {pi.id: pi for pi in listed.data}
    assert by_id[paid.id].latest_charge.object == "charge" and by_id[paid.id].latest_charge.amount == 800
    assert [pi.latest_charge for pi in listed.data if pi.id != paid.id] == [None]
    with pytest.raises(stripe_sdk.InvalidRequestError) as err:
        stripe_sdk.PaymentIntent.list(customer=cus.id, expand=["data.nothing_here"])
    assert err.value.param == "expand"


def test_payment_method_data_inline(stripe_sdk):
    pi = stripe_sdk.PaymentIntent.create(
        amount=3300, currency="jpy", confirm=True,
        payment_method_data={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
                             "billing_details": {"name": "Hanako Yamada", "email": "hanako@example.jp"}},
    )
    assert pi.status == "succeeded"
    pm = stripe_sdk.PaymentMethod.retrieve(pi.payment_method)
    assert pm.card.last4 == "4242" and pm.billing_details.name == "Hanako Yamada"
    with pytest.raises(stripe_sdk.CardError) as err:
        stripe_sdk.PaymentIntent.create(
            amount=3300, currency="jpy", confirm=True,
            payment_method_data={"type": "card", "card": {"number": "4000000000009995", "exp_month": 12, "exp_year": 2034}},
        )
    assert err.value.error.decline_code == "insufficient_funds"


def test_sdk_sees_401_and_404(stripe_sdk):
    with pytest.raises(stripe_sdk.InvalidRequestError) as missing:
        stripe_sdk.PaymentIntent.retrieve("pi_doesnotexist")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing" and missing.value.param == "id"
    with pytest.raises(stripe_sdk.AuthenticationError) as denied:
        stripe_sdk.Customer.list(api_key="sk_live_notatestkey123")
    assert denied.value.http_status == 401


def test_basic_auth_with_the_key_as_user(gateway):
    ok = httpx.post(f"{gateway.url}/v1/customers", auth=("sk_test_basic", ""), data={"name": "Basic"})
    assert ok.status_code == 200 and ok.json()["name"] == "Basic"
    for auth in [("sk_live_abcdefghijkl", ""), ("", "sk_test_abc"), ("pk_test_abc", "")]:
        refused = httpx.get(f"{gateway.url}/v1/customers", auth=auth)
        assert refused.status_code == 401 and refused.json()["error"]["type"] == "invalid_request_error"
    garbled = httpx.get(f"{gateway.url}/v1/customers", headers={"Authorization": "Basic !!!notbase64"})
    assert garbled.status_code == 401
