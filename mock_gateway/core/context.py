"""The per-request context the domain works in: the open transaction, the time, who asked."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..store.db import Store
from .errors import not_found
from .ids import new_id

API_VERSION = "2026-11-18.endive"  # the shape the domain writes, the newest; api/versions.py serves the older ones


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as clients see it: internal fields (a leading underscore) removed."""
    private = [k for k in obj if k[0] == "_"]  # a list comprehension, then a C-level copy and deletes:
    if not private:  # ~2.5x faster than a dict comprehension on an object with internal fields
        return obj
    out = dict(obj)
    for k in private:
        del out[k]
    return out


@dataclass
class Ctx:
    store: Store
    base_url: str = "http://127.0.0.1:12111"
    now: int = field(default_factory=lambda: int(time.time()))
    request_id: str | None = None
    idempotency_key: str | None = None
    # The web origin of a page that made this request with a publishable key (Stripe.js): the
    # bank's 3-D Secure page may be shown in a frame of that page, and only of that page.
    browser_origin: str | None = None

    def get(self, id: str, object_type: str, kind_name: str | None = None, param: str = "id") -> dict[str, Any]:
        obj = self.store.get(id) if isinstance(id, str) else None
        if obj is None or obj.get("object") != object_type:
            raise not_found(kind_name or object_type, str(id), param=param)
        return obj

    def emit(self, type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record one event per state change; webhooks deliver them from the ledger."""
        data: dict[str, Any] = {"object": public(obj)}
        if previous:
            data["previous_attributes"] = previous
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now,
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": type,
            "_emitted_at": time.time(),  # sub-second emission time: webhook and mail latency start here
        }
        self.store.insert(event, parent=obj["id"], kind=type)
        return event
