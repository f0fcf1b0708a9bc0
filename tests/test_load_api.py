"""The merchant client and the order journey, against a scripted session (no network, no Locust)."""

from __future__ import annotations

import random
import time
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.load.api import Api, form_body
from harness.load.order import GOOD_CARDS, Order
from harness.load.recorder import Recorder
from harness.stripe_api import encode
from scenarios.load import parse_load

scalars = st.one_of(st.text(max_size=12), st.integers(-10**6, 10**6), st.booleans(), st.none(), st.floats(allow_nan=False, allow_infinity=False))
keys = st.text(min_size=1, max_size=8)
params = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)), max_leaves=12)


@given(st.dictionaries(keys, params, max_size=5))
@settings(max_examples=150, deadline=None)
def test_form_body_is_what_urlencode_writes(p):
    assert form_body(p) == urlencode(encode(p))


class Scripted:
    """A session answering from a script: (status, body) or None for a timeout."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def request(self, method, path, name=None, data=None, headers=None, allow_redirects=True):
        self.sent.append((method, path, name, dict(parse_qsl(data or "")), dict(headers or {})))
        answer = self.answers.pop(0)
        if answer is None:
            return SimpleNamespace(status_code=0, content=None, headers={})
        status, body, *extra = answer
        return SimpleNamespace(status_code=status, content=orjson.dumps(body), headers=extra[0] if extra else {})


def _api(session, **client):
    config = parse_load({"shape": "soak", "duration": 1, "soak": {"rate": 1}, "client": client}, "t")
    slept = []
    return Api(session, config.client, random.Random(1), slept.append), slept


def test_timeouts_and_5xx_are_retried_with_the_same_key():
    session = Scripted(None, (503, {"error": {}}, {"retry-after": "2"}), (200, {"id": "pi_1"}))
    api, slept = _api(session, max_retries=2, backoff="100ms", max_backoff="5s")
    reply = api.post("/v1/payment_intents", "/v1/payment_intents", {"amount": 1}, "key-1")
    assert reply.ok and reply.attempts == 3 and reply.body["id"] == "pi_1"
    assert [s[4]["Idempotency-Key"] for s in session.sent] == ["key-1"] * 3
    assert 0.05 <= slept[0] <= 0.1 and slept[1] == 2.0  # jittered backoff, then the server's Retry-After


def test_no_answer_after_the_retries_is_an_unknown_outcome_and_4xx_is_final():
    api, _ = _api(Scripted(None, None), max_retries=1)
    reply = api.post("/x", "/x", {}, "k")
    assert reply.status is None and reply.attempts == 2
    api, _ = _api(Scripted((402, {"error": {"type": "card_error"}}), (200, {})), max_retries=3)
    assert api.post("/x", "/x", {}, "k").attempts == 1


def _journey(session, mix, seed=0):
    config = parse_load({"shape": "soak", "duration": 1, "soak": {"rate": 1}, "mix": mix}, "t")
    recorder = Recorder("w0", time.time())
    api = Api(session, config.client, random.Random(seed), lambda s: None)
    return Order(api, recorder, config, random.Random(seed), "run1", "a7"), recorder


ONLY_DECLINES = {"card_decline": 1.0, "retry_declined": 1.0, "refund_share": 0, "retrieve_share": 0, "list_share": 0}


def test_a_declined_shopper_retries_with_another_card_and_every_write_is_acknowledged():
    pi = {"id": "pi_1", "object": "payment_intent", "amount": 900, "currency": "jpy", "status": "requires_payment_method"}
    declined = {"error": {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "payment_intent": pi}}
    session = Scripted((200, pi), (402, declined), (200, {**pi, "status": "succeeded"}))
    journey, recorder = _journey(session, ONLY_DECLINES)
    assert journey.run() == "recovered_after_decline"
    assert session.sent[2][3]["payment_method"] in GOOD_CARDS
    batch = recorder.take(final=True)
    assert batch["declines"] == {"insufficient_funds": 1} and batch["outcomes"] == {"recovered_after_decline": 1}
    acks = batch["acks"]
    assert [(a["op"], a["http_status"], a["status"]) for a in acks] == [
        ("create_intent", 200, "requires_payment_method"), ("confirm", 402, "requires_payment_method"), ("confirm", 200, "succeeded")]
    assert acks[1]["error"] == "insufficient_funds" and acks[0]["idempotency_key"] != acks[2]["idempotency_key"]


def test_three_d_secure_is_followed_through_the_challenge_page():
    pi = {"id": "pi_3", "object": "payment_intent", "amount": 900, "currency": "jpy", "status": "requires_payment_method",
          "client_secret": "pi_3_secret_x"}
    action = {**pi, "status": "requires_action", "next_action": {"type": "redirect_to_url", "redirect_to_url": {
        "url": "http://gw/3ds/pi_3?client_secret=pi_3_secret_x", "return_url": "https://m/r"}}}
    session = Scripted((200, pi), (200, action), (303, {}), (200, {**pi, "status": "succeeded"}))
    journey, recorder = _journey(session, {"card_3ds": 1.0, "refund_share": 0, "retrieve_share": 0, "list_share": 0})
    assert journey.run() == "succeeded"
    method, path, name, form, _ = session.sent[2]
    assert (method, path, name) == ("POST", "http://gw/3ds/pi_3", "/3ds/{id}")
    assert form == {"client_secret": "pi_3_secret_x", "action": "complete"}
    assert [a["op"] for a in recorder.take(final=True)["acks"]] == ["create_intent", "confirm", "authenticate"]


def test_a_write_without_answer_is_acknowledged_as_unknown():
    session = Scripted(None, None, None)
    journey, recorder = _journey(session, {"card_success": 1.0})
    assert journey.run() == "unknown"
    [ack] = recorder.take(final=True)["acks"]
    assert ack["op"] == "create_intent" and ack["http_status"] is None and ack["attempts"] == 3 and ack["object_id"] is None
