"""Locust users for Hoshino Coffee (examples/shop): your own load, run by checkout-harness with its
shapes, workload models, HDR histograms per endpoint, faults, reports and gates.

    [load]
    locustfile = "../examples/shop/locustfile.py"   # relative to the scenario file
    user_classes = ["CardFormBuyer", "WindowShopper"]
    host = "http://127.0.0.1:8000"                  # the shop

Plain Locust: `locust -f examples/shop/locustfile.py --host http://127.0.0.1:8000` runs it too.
"""

from __future__ import annotations

import random

from locust import FastHttpUser, between, task

PRODUCTS = ("kurasawa-200", "yirgacheffe-200", "grinder")
# Stripe's test cards: most pay, some are declined (the shop answers 402 with the bank's message).
CARDS = ("4242424242424242",) * 9 + ("4000000000000002",)


class CardFormBuyer(FastHttpUser):
    """Adds a product and pays on the shop's plain card form (the shop charges through the gateway)."""

    weight = 3
    wait_time = between(1, 3)

    @task
    def buy(self) -> None:
        self.client.get("/")
        self.client.post("/cart", data={"sku": random.choice(PRODUCTS)})
        self.client.get("/pay")
        card = random.choice(CARDS)
        form = {"email": "load@example.com", "name": "Load Tester", "card_number": card, "expiry": "12/34", "cvc": "123",
                "country": "JP", "postal_code": "180-0004", "terms": "yes"}
        with self.client.post("/pay", data=form, catch_response=True) as response:
            if response.status_code == 200 and "is confirmed" not in response.text:
                response.failure("paid, but no order confirmation on the page")


class WindowShopper(FastHttpUser):
    """Looks at the products and the cart, buys nothing."""

    weight = 1
    wait_time = between(2, 5)

    @task(3)
    def browse(self) -> None:
        self.client.get("/")

    @task(1)
    def cart(self) -> None:
        self.client.post("/cart", data={"sku": random.choice(PRODUCTS)})
