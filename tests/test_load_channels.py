"""Load orders say which channel they come from (metadata[channel]), so that the payments report's
split by channel has the load's orders too; the channels are a weighted mix in [load.mix.channels]."""

from __future__ import annotations

import random
import time
from collections import Counter
from types import SimpleNamespace
from urllib.parse import parse_qsl

import orjson
import pytest

from harness.load.api import Api
from harness.load.order import Order
from harness.load.recorder import Recorder
from scenarios.errors import ScenarioError
from scenarios.load import parse_load

QUIET = {"refund_share": 0, "retrieve_share": 0, "list_share": 0}


class Answering:
    """A session that answers every request 200 with a succeeded PaymentIntent, keeping what was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def request(self, method, path, name=None, data=None, headers=None, allow_redirects=True):
        self.sent.append(dict(parse_qsl(data or "")))
        body = {"id": "pi_1", "object": "payment_intent", "amount": 900, "currency": "jpy", "status": "succeeded"}
        return SimpleNamespace(status_code=200, content=orjson.dumps(body), headers={})


def _first_write(mix: dict, order_id: str = "o1") -> dict[str, str]:
    config = parse_load({"shape": "soak", "duration": 1, "soak": {"rate": 1}, "mix": {**QUIET, **mix}}, "t.toml")
    session = Answering()
    api = Api(session, config.client, random.Random(0), lambda s: None)
    Order(api, Recorder("w0", time.time()), config, random.Random(0), "run1", order_id).run()
    return session.sent[0]


def test_an_order_is_sent_from_the_web_unless_the_mix_says_otherwise():
    assert _first_write({"card_success": 1.0})["metadata[channel]"] == "web"
    sent = _first_write({"card_success": 1.0, "channels": {"app": 1}})
    assert sent["metadata[channel]"] == "app" and sent["metadata[harness_order]"] == "o1"
    session = _first_write({"card_success": 1.0, "checkout_session": 1.0, "channels": {"pos": 2}})
    assert session["mode"] == "payment" and session["metadata[channel]"] == "pos"


def test_channels_are_drawn_by_their_weights_and_the_same_order_keeps_its_channel():
    mix = {"card_success": 1.0, "channels": {"web": 3, "mobile_web": 1, "app": 0}}
    drawn = Counter(_first_write(mix, f"o{i}")["metadata[channel]"] for i in range(400))
    assert set(drawn) == {"web", "mobile_web"} and 0.65 < drawn["web"] / 400 < 0.85
    assert _first_write(mix, "o7") == _first_write(mix, "o7")


@pytest.mark.parametrize(("channels", "key"), [({"kiosk": 1}, "load.mix.channels.kiosk"),
                                               ({"web": 0, "app": 0}, "load.mix.channels"),
                                               ({"web": -1}, "load.mix.channels.web")])
def test_a_channel_mix_the_gateway_would_refuse_is_bad_input_naming_the_key(channels, key):
    with pytest.raises(ScenarioError) as err:
        parse_load({"shape": "soak", "duration": 1, "soak": {"rate": 1}, "mix": {"channels": channels}}, "t.toml")
    assert key in str(err.value)
