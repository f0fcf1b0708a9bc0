"""One order at API level: what a merchant backend and its checkout page send to the gateway.

Create a PaymentIntent (or a Checkout Session), confirm it with the shopper's payment method,
follow a redirect (3-D Secure, wallet approval) as the shopper's browser would, try another card
after a decline, capture manual authorisations, refund a share, retrieve and list. Every write
the client was told about is acknowledged in acks.jsonl; a write whose answer never came (after
the retries) is acknowledged with http_status null, for reconciliation against the ledger.
"""

from __future__ import annotations

import random
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scenarios import methods
from scenarios.load import LoadConfig

from ..payment_errors import decline_code
from .api import Api, Reply
from .recorder import Recorder

GOOD_CARDS = ("pm_card_visa", "pm_card_mastercard", "pm_card_jcb", "pm_card_amex", "pm_card_visa_debit")
DECLINING_CARDS = ("pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedExpiredCard",
                   "pm_card_chargeDeclinedIncorrectCvc", "pm_card_chargeDeclinedLostCard")
THREE_DS_CARD = "pm_card_threeDSecure2Required"
RETURN_URL = "https://merchant.example/checkout/return"
# What a shopper does on a redirect page, by the page's path (the gateway's hosted pages).
REDIRECT_ACTIONS = methods.REDIRECT_ACTIONS


class Order:
    def __init__(self, api: Api, recorder: Recorder, config: LoadConfig, rng: random.Random, run_id: str, order_id: str) -> None:
        self.api = api
        self.recorder = recorder
        self.config = config
        self.mix = config.mix
        self.rng = rng
        self.run_id = run_id
        self.order_id = order_id
        self._ops: dict[str, int] = {}

    # -- the order ------------------------------------------------------------------------------

    @property
    def metadata(self) -> dict[str, str]:
        """What the order's PaymentIntent or Checkout Session carries: the run, the order, and the
        channel it comes from (drawn from the mix by the order's own stream, so that adding it
        changed no other draw), which the payments report splits by."""
        channels = self.mix.channels
        channel = channels[0][0] if len(channels) == 1 else random.Random(f"{self.order_id}|channel").choices(
            [c for c, _ in channels], [w for _, w in channels])[0]
        return {"harness_order": self.order_id, "harness_run": self.run_id, "channel": channel}

    def run(self) -> str:
        """Play the order; its outcome (succeeded, declined, pending, error, unknown, ...) is counted."""
        if self.mix.checkout_session and self.rng.random() < self.mix.checkout_session:
            outcome = self.checkout_session()
        else:
            outcome = self.payment_intent(self._pick_method())
        self.recorder.outcome(outcome)
        return outcome

    def _pick_method(self) -> str:
        x = self.rng.random()
        for method, share in self.mix.methods:
            x -= share
            if x < 0:
                return method
        return self.mix.methods[-1][0]

    def _amount(self) -> int:
        return self.rng.randint(self.config.amount_min, self.config.amount_max)

    def payment_intent(self, method: str) -> str:
        amount = self._amount()
        pm_type = "card" if method.startswith("card") else method
        params: dict[str, Any] = {"amount": amount, "currency": self.config.currency, "payment_method_types": [pm_type],
                                  "metadata": self.metadata}
        if pm_type == "card" and self.mix.manual_capture and self.rng.random() < self.mix.manual_capture:
            params["capture_method"] = "manual"
        if pm_type == "customer_balance":
            customer = self.write("create_customer", "/v1/customers", "/v1/customers",
                                  {"name": "Harness Shopper", "email": f"{self.order_id}@shopper.example"})
            if not customer.ok:
                return _failed(customer)
            params["customer"] = customer.body["id"]
            params["payment_method_options"] = {"customer_balance": {"funding_type": "bank_transfer",
                                                                     "bank_transfer": {"type": "jp_bank_transfer"}}}
        created = self.write("create_intent", "/v1/payment_intents", "/v1/payment_intents", params, amount=amount)
        if not created.ok:
            return _failed(created)
        pi = created.body
        reply, pi = self.confirm(pi, self._payment(method))
        outcome = "succeeded"
        if reply.status == 402:
            self.recorder.decline(decline_code(reply.error) or "unknown")
            if not (self.mix.retry_declined and self.rng.random() < self.mix.retry_declined):
                return "declined"
            reply, pi = self.confirm(pi, {"payment_method": self.rng.choice(GOOD_CARDS)})
            outcome = "recovered_after_decline"
        if not reply.ok:
            return "declined" if reply.status == 402 else _failed(reply)
        if pi.get("status") == "requires_action" and (pi.get("next_action") or {}).get("type") == "redirect_to_url":
            followed = self.follow_redirect(pi, method)
            if followed is None:
                return "unknown"
            pi = followed
        if pi.get("status") == "requires_capture":
            captured = self.write("capture", f"/v1/payment_intents/{pi['id']}/capture", "/v1/payment_intents/{id}/capture", {},
                                  intent_id=pi["id"], amount=pi.get("amount"))
            if not captured.ok:
                return _failed(captured)
            pi = captured.body
        status = pi.get("status")
        if status == "succeeded":
            self.maybe_refund(pi)
        elif status in ("requires_action", "processing"):
            outcome = "pending"
        elif status == "requires_payment_method":
            outcome = "authentication_failed" if method == "card_3ds_fail" else "declined"
        else:
            outcome = str(status)
        self.maybe_read(pi["id"])
        return outcome

    def _payment(self, method: str) -> dict[str, Any]:
        if method == "card_success":
            return {"payment_method": self.rng.choice(GOOD_CARDS)}
        if method == "card_decline":
            return {"payment_method": self.rng.choice(DECLINING_CARDS)}
        if method in ("card_3ds", "card_3ds_fail"):
            return {"payment_method": THREE_DS_CARD, "return_url": RETURN_URL}
        data: dict[str, Any] = {"type": method, "billing_details": {"name": "Harness Shopper", "email": f"{self.order_id}@shopper.example"}}
        payment: dict[str, Any] = {"payment_method_data": data}
        if method == "paypal":
            payment["return_url"] = RETURN_URL
        return payment

    def confirm(self, pi: dict[str, Any], payment: dict[str, Any]) -> tuple[Reply, dict[str, Any]]:
        reply = self.write("confirm", f"/v1/payment_intents/{pi['id']}/confirm", "/v1/payment_intents/{id}/confirm", payment,
                           intent_id=pi["id"], amount=pi.get("amount"))
        if reply.ok:
            return reply, reply.body
        return reply, reply.error.get("payment_intent") or pi

    def follow_redirect(self, pi: dict[str, Any], method: str) -> dict[str, Any] | None:
        """The shopper's browser on the redirect page: authenticate (or fail to), approve a wallet."""
        url = pi["next_action"]["redirect_to_url"]["url"]
        parts = urlsplit(url)
        page = parts.path.strip("/").split("/")[0]
        action = REDIRECT_ACTIONS.get(page)
        if action is None:
            return pi  # a page this journey does not know: the order stays pending
        if method == "card_3ds_fail":
            action = "fail"
        secret = dict(parse_qsl(parts.query)).get("client_secret") or pi.get("client_secret", "")
        name = parts.path.replace(pi["id"], "{id}")
        done = self.api.form(url.split("?")[0], name, {"client_secret": secret, "action": action})
        fresh = self.api.get(f"/v1/payment_intents/{pi['id']}", "/v1/payment_intents/{id}")
        self.ack("authenticate" if page == "3ds" else "approve", None, Reply(done.status, fresh.body, done.attempts),
                 intent_id=pi["id"], amount=pi.get("amount"), told=fresh.body if fresh.ok else None)
        return fresh.body if fresh.ok else None

    def maybe_refund(self, pi: dict[str, Any]) -> None:
        if not (self.mix.refund_share and self.rng.random() < self.mix.refund_share):
            return
        amount = pi["amount"]
        if self.mix.partial_refund and self.rng.random() < self.mix.partial_refund and amount >= 2 * self.config.amount_min:
            amount = max(1, amount // 2)
        self.write("refund", "/v1/refunds", "/v1/refunds", {"payment_intent": pi["id"], "amount": amount},
                   intent_id=pi["id"], amount=amount, amount_refunded=amount)

    def maybe_read(self, intent_id: str) -> None:
        if self.mix.retrieve_share and self.rng.random() < self.mix.retrieve_share:
            self.api.get(f"/v1/payment_intents/{intent_id}", "/v1/payment_intents/{id}")
        if self.mix.list_share and self.rng.random() < self.mix.list_share:
            self.api.get("/v1/payment_intents", "/v1/payment_intents", {"limit": 10})

    def checkout_session(self) -> str:
        amount = self._amount()
        params = {
            "mode": "payment",
            "line_items": [{"price_data": {"currency": self.config.currency, "unit_amount": amount,
                                           "product_data": {"name": f"Order {self.order_id}"}}, "quantity": 1}],
            "success_url": RETURN_URL + "?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": RETURN_URL + "?canceled=1",
            "client_reference_id": self.order_id,
            "metadata": self.metadata,
        }
        created = self.write("checkout_session", "/v1/checkout/sessions", "/v1/checkout/sessions", params, amount=amount)
        if not created.ok:
            return _failed(created)
        self.api.get(f"/v1/checkout/sessions/{created.body['id']}", "/v1/checkout/sessions/{id}")
        return "session_created"

    # -- writes and acks ------------------------------------------------------------------------

    def write(self, op: str, path: str, name: str, params: dict[str, Any], *, intent_id: str | None = None,
              amount: int | None = None, amount_refunded: int | None = None) -> Reply:
        n = self._ops[op] = self._ops.get(op, 0) + 1
        key = f"{self.run_id}-{self.order_id}-{op}-{n}"
        reply = self.api.post(path, name, params, key)
        if op != "create_customer":
            told = reply.body if reply.ok else reply.error.get("payment_intent") if op == "confirm" else None
            self.ack(op, key, reply, intent_id=intent_id, amount=amount, amount_refunded=amount_refunded, told=told)
        return reply

    def ack(self, op: str, key: str | None, reply: Reply, *, intent_id: str | None, amount: int | None,
            amount_refunded: int | None = None, told: dict[str, Any] | None = None) -> None:
        obj = told or {}
        line = {
            "t": round(time.time() - self.recorder.t0, 3),
            "op": op,
            "order_id": self.order_id,
            "idempotency_key": key,
            "object_id": obj.get("id"),
            "intent_id": intent_id or (obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")),
            "http_status": reply.status,
            "status": obj.get("status"),
            "amount": amount if amount is not None else obj.get("amount"),
            "currency": obj.get("currency") or self.config.currency,
            "attempts": reply.attempts,
        }
        if amount_refunded is not None:
            line["amount_refunded"] = amount_refunded if reply.ok else None
        if reply.status is not None and not reply.ok:
            line["error"] = decline_code(reply.error) or reply.error.get("type")
        self.recorder.ack(line)


def _failed(reply: Reply) -> str:
    return "unknown" if reply.status is None or reply.status >= 500 else "error"
