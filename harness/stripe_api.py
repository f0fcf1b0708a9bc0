"""A small Stripe API client for the harness: form encoding, Idempotency-Keys, errors as values.

The harness talks to any Stripe-compatible API (the mock gateway or a user's own) through this.
"""

from __future__ import annotations

import http.client
import socket
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import orjson


def encode(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's bracket notation: {"metadata": {"a": 1}, "types": ["card"]} -> metadata[a]=1, types[0]=card."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, dict):
            pairs.extend(encode(value, name))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    pairs.extend(encode(item, f"{name}[{i}]"))
                else:
                    pairs.append((f"{name}[{i}]", _scalar(item)))
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def make_client(base_url: str = "", timeout: float = 30.0, headers: dict[str, str] | None = None) -> httpx.Client:
    """An httpx client with TCP_NODELAY: without it, a body sent after its headers waits ~40 ms
    for a delayed ACK (Nagle), which would be measured as gateway latency."""
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)


@dataclass
class ApiResult:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> dict[str, Any]:
        return self.body.get("error", {}) if not self.ok else {}


class StripeApi:
    """`stripe_version`: the Stripe-Version every request asks for (None: the account's default), as an integration
    pins one; `get` and `list_all` may ask for another for one read."""

    def __init__(self, base_url: str, api_key: str = "sk_test_checkout_harness", timeout: float = 30.0,
                 stripe_version: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"}
        if stripe_version:
            headers["Stripe-Version"] = stripe_version
        self.client = make_client(self.base_url, timeout, headers)

    def close(self) -> None:
        self.client.close()

    def post(self, path: str, params: dict[str, Any] | None = None, idempotency_key: str | None = None) -> ApiResult:
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.client.post(path, content=_form(params), headers=headers)
        return ApiResult(response.status_code, orjson.loads(response.content))

    def post_many(self, requests: Sequence[tuple[str, dict[str, Any]]]) -> list[ApiResult]:
        """Several independent POSTs (path, params), answers in the same order."""
        return self.send_many([("POST", path, params) for path, params in requests])

    def send_many(self, requests: Sequence[tuple[str, str, dict[str, Any]]]) -> list[ApiResult]:
        """Several independent requests (method GET or POST, path, params), answers in the same order; here one after
        the other."""
        return [self.post(path, params) if method == "POST" else self.get(path, params) for method, path, params in requests]

    def get(self, path: str, params: dict[str, Any] | None = None, stripe_version: str | None = None) -> ApiResult:
        headers = {"Stripe-Version": stripe_version} if stripe_version else None
        response = self.client.get(path, params=tuple(encode(params or {})), headers=headers)
        return ApiResult(response.status_code, orjson.loads(response.content))

    def list_all(self, path: str, params: dict[str, Any] | None = None, stripe_version: str | None = None) -> Iterator[dict[str, Any]]:
        """Walk every page of a list endpoint (starting_after cursors)."""
        params = {"limit": 100, **(params or {})}
        while True:
            result = self.get(path, params, stripe_version)
            if not result.ok:
                raise RuntimeError(f"GET {path}: {result.status} {result.error.get('message')}")
            yield from result.body["data"]
            if not result.body.get("has_more") or not result.body["data"]:
                return
            params["starting_after"] = result.body["data"][-1]["id"]


class PooledStripeApi(StripeApi):
    """The same calls over kept-alive connections of the standard library's http.client (TCP_NODELAY set), one per
    request in flight, kept in a small pool: less client CPU per request than httpx or urllib3's pool (a POST
    0.17-0.19 ms against urllib3's 0.28-0.30 and httpx's 0.48; a GET 0.11-0.17 against 0.32-0.36 and 0.43,
    16 threads, measured here: docs/subscriptions.md), for callers that make tens of thousands of requests from
    many threads, the churn driver's sign-up and days, where the client's per-request work takes CPU from the
    gateways on the same cores. A request whose kept-alive connection the server closed or reset as it was sent
    (uvicorn closes idle ones after a few seconds; under load the close can cross a reuse) is sent again, up to
    twice, on a new connection: safe for a POST too, as each carries its Idempotency-Key and a repeat answers the
    first result; a third such failure raises ConnectionResetError. HTTP errors are results, never retried."""

    RESENDS = 2

    def __init__(self, base_url: str, api_key: str = "sk_test_checkout_harness", timeout: float = 30.0, connections: int = 16,
                 stripe_version: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self.prefix = parts.path
        self.connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self.host, self.port, self.timeout, self.connections = parts.hostname or "127.0.0.1", parts.port, timeout, connections
        self.idle: list[http.client.HTTPConnection] = []  # append and pop are atomic: no lock needed
        self.headers = {"Authorization": f"Bearer {api_key}"}
        if stripe_version:
            self.headers["Stripe-Version"] = stripe_version

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()

    def _connect(self) -> http.client.HTTPConnection:
        connection = self.connection_class(self.host, self.port, timeout=self.timeout)
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _idle_or_new(self) -> tuple[http.client.HTTPConnection, bool]:
        """A kept-alive connection if one is idle (True: reused), else a new one."""
        try:
            return self.idle.pop(), True
        except IndexError:
            return self._connect(), False

    def _answer(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse, data: bytes) -> ApiResult:
        """The result of a response read whole; its connection kept for the next request unless the server closes it or
        enough are idle already."""
        if response.will_close or len(self.idle) >= self.connections:
            connection.close()
        else:
            self.idle.append(connection)
        return ApiResult(response.status, orjson.loads(data))

    def _request(self, method: str, path: str, params: dict[str, Any] | None,
                 stripe_version: str | None = None) -> tuple[str, bytes | None, dict[str, str]]:
        """What goes on the wire for a call: the path (with a GET's query), the body (a POST's form) and the headers (a
        POST's Idempotency-Key: a resend of it answers the first result)."""
        if method == "POST":
            headers = {**self.headers, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/x-www-form-urlencoded"}
            return path, _form(params), headers
        query = urlencode(encode(params or {}))
        headers = {**self.headers, "Stripe-Version": stripe_version} if stripe_version else self.headers
        return (f"{path}?{query}" if query else path), None, headers

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> ApiResult:
        """Send on an idle connection, else a new one. A kept-alive connection the server closed while it was idle
        fails at once: it and the other idle ones (as old) are dropped and the request goes on a new connection,
        which does not count as a resend; a new connection that fails does, up to RESENDS."""
        fresh_failures = 0
        while True:
            connection, reused = self._idle_or_new()
            try:
                connection.request(method, self.prefix + path, body, headers)
                response = connection.getresponse()
                data = response.read()
            except _RESET as err:
                connection.close()
                if reused:
                    self.close()
                    continue
                fresh_failures += 1
                if fresh_failures > self.RESENDS:
                    raise ConnectionResetError(f"{method} {path}: the connection was reset or closed {fresh_failures} times "
                                               f"(no retries left): {err}") from err
                continue
            except BaseException:
                connection.close()
                raise
            return self._answer(connection, response, data)

    def post(self, path: str, params: dict[str, Any] | None = None, idempotency_key: str | None = None) -> ApiResult:
        path, body, headers = self._request("POST", path, params)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self._send("POST", path, body, headers)

    def send_many(self, requests: Sequence[tuple[str, str, dict[str, Any]]]) -> list[ApiResult]:
        """Several independent requests (method, path, params) from one thread: each sent on a connection of its own,
        back to back, then the answers read in order. They reach the server together, so its group commit writes the
        POSTs in one transaction (from threads, each sending its next request as its answer comes, groups were a third
        of the size), and no thread waits for another's turn at the interpreter. A request whose connection was reset
        or closed is sent again by `_send` (a POST with the same Idempotency-Key: a repeat answers the first result)."""
        sent: list[tuple[str, str, bytes | None, dict[str, str], http.client.HTTPConnection | None]] = []
        try:
            for method, path, params in requests:
                path, body, headers = self._request(method, path, params)
                fresh = self._idle_or_new()[0]
                connection: http.client.HTTPConnection | None = fresh
                try:
                    fresh.request(method, self.prefix + path, body, headers)
                except _RESET:
                    fresh.close()
                    connection = None  # sent again by _send below
                sent.append((method, path, body, headers, connection))
            results: list[ApiResult] = []
            for k, (method, path, body, headers, connection) in enumerate(sent):
                result = None
                if connection is not None:
                    sent[k] = (method, path, body, headers, None)  # read (or closed) from here on
                    try:
                        response = connection.getresponse()
                        data = response.read()
                    except _RESET:
                        connection.close()
                    else:
                        result = self._answer(connection, response, data)
                results.append(result if result is not None else self._send(method, path, body, headers))
            return results
        finally:
            for *_, connection in sent:  # answers never read (an error above): the connection cannot be reused
                if connection is not None:
                    connection.close()

    def get(self, path: str, params: dict[str, Any] | None = None, stripe_version: str | None = None) -> ApiResult:
        path, body, headers = self._request("GET", path, params, stripe_version)
        return self._send("GET", path, body, headers)


# How a connection the server closed or reset shows: the request is sent again on a new one (PooledStripeApi._send).
_RESET = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.RemoteDisconnected)


def _form(params: dict[str, Any] | None) -> bytes:
    return urlencode(encode(params or {})).encode()
