"""The shop's orders (in memory) and its request log (what reached the shop's server)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Order:
    id: str
    amount: int
    items: dict[str, int]
    email: str
    name: str
    payment_intent: str | None = None
    status: str = "pending"  # pending | paid
    paid_by: list[str] = field(default_factory=list)  # "return page", "webhook"


class Orders:
    """Orders by id; thread-safe (the SDK calls run in Starlette's thread pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, Order] = {}
        self._numbers = itertools.count(1001)

    def create(self, amount: int, items: dict[str, int], email: str, name: str) -> Order:
        with self._lock:
            order = Order(f"HC-{next(self._numbers)}", amount, dict(items), email, name)
            self._orders[order.id] = order
            return order

    def get(self, order_id: str) -> Order | None:
        with self._lock:
            return self._orders.get(order_id)

    def mark_paid(self, order_id: str, payment_intent: str, by: str) -> Order | None:
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                return None
            order.payment_intent = payment_intent
            order.status = "paid"
            if by not in order.paid_by:
                order.paid_by.append(by)
            return order


class RequestLog:
    """Every request the shop received: method, path, query and body, one JSON line each.

    Kept so that anyone can check what reached the merchant's server (e.g. that no card number
    did, when the card was typed into Stripe.js's fields)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, entry: dict[str, Any]) -> None:
        if self.path is None:
            return
        line = json.dumps({"t": round(time.time(), 3), **entry}, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")


class LogRequests:
    """ASGI middleware: every request's method, path, query and body go to the shop's RequestLog."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        try:
            await self.app(scope, recording_receive, send)
        finally:
            self.log.write({"method": scope["method"], "path": scope["path"],
                                 "query": scope.get("query_string", b"").decode("latin-1"),
                                 "body": b"".join(chunks).decode("utf-8", "replace")})
