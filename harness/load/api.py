"""A careful merchant's Stripe client over a Locust FastHttpSession.

Every POST carries an Idempotency-Key; a timeout, a dropped connection, a 409, 429 or 5xx is
retried with the same key after a backoff (Retry-After when the server gives one), as Stripe's
own SDKs do. Each attempt is a request of its own in the measurements (Locust's request event);
the caller learns the final answer and how many attempts it took.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

import orjson

from harness.stripe_api import _scalar
from scenarios.load import ClientConfig

RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Reply:
    status: int | None  # None: no HTTP answer at all (timeout, reset) after the last attempt
    body: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1
    idempotency_key: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400

    @property
    def error(self) -> dict[str, Any]:
        return self.body.get("error") or {} if not self.ok else {}


class Api:
    def __init__(self, session: Any, client: ClientConfig, rng: random.Random, sleep: Callable[[float], Any]) -> None:
        self.session = session
        self.client = client
        self.rng = rng
        self.sleep = sleep

    def post(self, path: str, name: str, params: dict[str, Any], idempotency_key: str) -> Reply:
        body = form_body(params)
        return self._send("POST", path, name, body, {**_FORM, "Idempotency-Key": idempotency_key}, idempotency_key)

    def get(self, path: str, name: str, params: dict[str, Any] | None = None) -> Reply:
        query = form_body(params or {})
        return self._send("GET", f"{path}?{query}" if query else path, name, None, None, None)

    def form(self, url: str, name: str, fields: dict[str, str]) -> Reply:
        """A page's form post (3-D Secure, wallet approval), as the shopper's browser sends it."""
        return self._send("POST", url, name, form_body(fields), dict(_FORM), None)

    def _send(self, method: str, path: str, name: str, data: str | None, headers: dict[str, str] | None,
              key: str | None) -> Reply:
        attempts = 0
        while True:
            attempts += 1
            response = self.session.request(method, path, name=name, data=data, headers=headers, allow_redirects=False)
            status = response.status_code or None
            retry_after = None
            if status is not None:
                hdrs = response.headers
                if status in RETRY_STATUSES and hdrs.get("stripe-should-retry") != "false" and attempts <= self.client.max_retries:
                    retry_after = _seconds(hdrs.get("retry-after"))
                else:
                    return Reply(status, _json(response), attempts, key)
            elif attempts > self.client.max_retries:
                return Reply(None, {}, attempts, key)
            self.sleep(self._backoff(attempts, retry_after))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.client.max_backoff_s, retry_after)
        base = min(self.client.max_backoff_s, self.client.backoff_s * 2 ** (attempt - 1))
        return base * (0.5 + self.rng.random() / 2)  # jitter, so retries do not arrive in lockstep


@lru_cache(maxsize=4096)
def _quoted_name(name: str) -> str:
    return quote_plus(name)


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _quoted(value: str) -> str:
    return value if _UNRESERVED.fullmatch(value) else quote_plus(value)


@lru_cache(maxsize=4096)
def _child(prefix: str, key: Any) -> str:
    return f"{prefix}[{key}]" if prefix else str(key)


def _pairs(params: dict[str, Any], prefix: str, out: list[str]) -> None:
    for key, value in params.items():
        if value is None:
            continue
        name = _child(prefix, key)
        kind = type(value)
        if kind is str:
            out.append(f"{_quoted_name(name)}={_quoted(value)}")
        elif kind is dict:
            _pairs(value, name, out)
        elif kind is list or kind is tuple:
            for i, item in enumerate(value):
                if type(item) is dict:
                    _pairs(item, _child(name, i), out)
                else:
                    out.append(f"{_quoted_name(_child(name, i))}={_quoted(_scalar(item))}")
        else:
            out.append(f"{_quoted_name(name)}={_quoted(_scalar(value))}")


def form_body(params: dict[str, Any]) -> str:
    """Stripe's form encoding (bracket notation), byte for byte what
    `urlencode(harness.stripe_api.encode(params))` writes, at a fraction of the cost: names repeat
    from order to order (their quoting is cached) and most values need no quoting."""
    out: list[str] = []
    _pairs(params, "", out)
    return "&".join(out)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _json(response: Any) -> dict[str, Any]:
    content = response.content
    if not content:
        return {}
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}
