"""Simulated shoppers on a checkout nobody here wrote the shopper for: the example shop
(examples/shop), its Stripe.js card fields (routed to the gateway in the journeys' browser) and its
plain HTML card form, through [journeys.site] (scenarios/sites.py, harness/journeys/sites.py).

Each journey starts on the shop's home page, adds a coffee to the cart and goes to one of the
shop's two checkouts, as a person would (by the words on the page); success is the shop's own
confirmation text, and the payment it names is checked in the gateway's ledger.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from shop_support import ShopProcess

from harness.journeys.part import JourneyRun
from harness.journeys.plan import Assignment
from scenarios.personas import PERSONA_DIR
from scenarios.scenario import parse_scenario

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _persona_holding(card: str, folder: Path) -> str:
    """desktop-typical, except that everyone holds a card of the given outcome ("3ds", "good")."""
    text = (PERSONA_DIR / "desktop-typical.toml").read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^outcomes\s*=\s*\{[^}]*\}", f'outcomes = {{"{card}" = 1.0}}', text)
    assert n == 1
    path = folder / f"desktop-{card}.toml"
    path.write_text(text.replace('name = "desktop-typical"', f'name = "desktop-{card}"'), encoding="utf-8")
    return str(path)


def _site(shop: str) -> dict:
    scenario = parse_scenario({"journeys": {"variants": ["card-element", "plain-form"], "personas": ["desktop-typical"],
                                            "site": {"start": f"{shop}/", "steps": [{"click": "Add to cart"}, {"click": "Checkout"}],
                                                     "success": {"text": "is confirmed"},
                                                     "variants": {"card-element": "", "plain-form": {
                                                         "steps": [{"click": "Add to cart"}, {"click": "Pay with the card form"}]}}}}},
                              "own-site.toml")
    return scenario.journeys.site.as_dict()


def test_shoppers_buy_on_the_example_shop_with_stripe_js_and_a_plain_form(gateway, tmp_path: Path) -> None:
    people = [("good", 11), ("3ds", 12)]
    assignments = []
    for card, seed in people:
        persona = _persona_holding(card, tmp_path)
        for variant in ("card-element", "plain-form"):
            assignments.append(Assignment(f"j{seed}-{card}-{variant}", variant, persona, seed))
    with ShopProcess(gateway.url, tmp_path / "shop-requests.jsonl") as shop:
        run = JourneyRun(assignments, gateway.url, tmp_path / "run", processes=1, concurrency=2, pace="instant",
                         timeout_s=90, api_key="sk_test_checkout_harness", currency="jpy", amount=1000, site=_site(shop.url))
        assert run.wait(240) == 0
        log = (tmp_path / "shop-requests.jsonl").read_text(encoding="utf-8")
    records = {r["journey_id"]: r for r in map(json.loads, (tmp_path / "run" / "journeys.jsonl").read_text().splitlines())}
    assert len(records) == len(assignments)  # journeys.jsonl complete
    seen = [(r["journey_id"], r["outcome"], r.get("reason"), r.get("error"), r["steps"]) for r in records.values()]
    for r in records.values():
        assert r["outcome"] == "success", seen
        assert r["steps"][:2] == ["click Add to cart", "click " + ("Checkout" if "element" in r["variant"] else "Pay with the card form")]
        assert r["fields"]["card_number"]["keystrokes"] >= 16  # typed by the person, key by key
    for seed in (11, 12):
        element = records[f"j{seed}-{'good' if seed == 11 else '3ds'}-card-element"]
        intent = httpx.get(f"{gateway.url}/v1/payment_intents/{element['payment_intent']}",
                           headers={"Authorization": "Bearer sk_test_checkout_harness"}).json()
        assert intent["status"] == "succeeded"
    assert "3-D Secure" in records["j12-3ds-card-element"]["steps"]  # the bank's page in Stripe.js's frame
    # Stripe.js sent the card to the gateway: no card number reached the shop from the card-element page
    element_posts = [json.loads(line) for line in log.splitlines() if '"/api/orders"' in line]
    assert element_posts and not any(re.search(r"4242|3184|3220", json.dumps(p)) for p in element_posts)
