"""A short scripted purchase against a fresh gateway: the smallest proof that everything works."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .servers import GatewayProcess
from .stripe_api import StripeApi

CARDS = [
    ("Visa, succeeds", "pm_card_visa"),
    ("JCB, succeeds", "pm_card_jcb"),
    ("declined: insufficient funds", "pm_card_chargeDeclinedInsufficientFunds"),
    ("3-D Secure, completed", "pm_card_threeDSecure2Required"),
]


def run_demo(console: Console | None = None) -> int:
    console = console or Console()
    with tempfile.TemporaryDirectory(prefix="checkout-harness-demo-") as tmp:
        with GatewayProcess(Path(tmp) / "gateway.sqlite3") as gateway:
            console.print(f"[bold]mock gateway[/] at {gateway.url}")
            api = StripeApi(gateway.url)
            table = Table(title="Scripted purchases (1,980 JPY each)")
            for column in ("card", "status", "detail", "ms"):
                table.add_column(column)
            for label, token in CARDS:
                started = time.perf_counter()
                result = api.post("/v1/payment_intents", {"amount": 1980, "currency": "jpy", "payment_method": token,
                                                           "confirm": True, "return_url": "https://shop.example/return"})
                intent = result.body if result.ok else result.error.get("payment_intent", {})
                detail = result.error.get("decline_code", "") if not result.ok else ""
                if intent.get("status") == "requires_action":
                    challenge = intent["next_action"]["redirect_to_url"]["url"]
                    secret = intent["client_secret"]
                    api.client.post(challenge.split("?")[0], data={"client_secret": secret, "action": "complete"})
                    intent = api.get(f"/v1/payment_intents/{intent['id']}").body
                    detail = "challenge completed"
                ms = (time.perf_counter() - started) * 1000
                table.add_row(label, intent.get("status", f"HTTP {result.status}"), detail, f"{ms:.1f}")
            paid = [pi for pi in api.list_all("/v1/payment_intents") if pi["status"] == "succeeded"]
            refund = api.post("/v1/refunds", {"payment_intent": paid[0]["id"], "amount": 500})
            console.print(table)
            console.print(f"refund of 500 JPY on {paid[0]['id']}: {refund.body.get('status')}")
            events = list(api.list_all("/v1/events"))
            console.print(f"{len(paid)} payments succeeded, {len(events)} events recorded in the ledger")
            api.close()
    return 0
