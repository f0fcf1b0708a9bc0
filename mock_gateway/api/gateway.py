"""The request pipeline every API call goes through.

authenticate -> parse the form -> validate against the route's spec -> (POST) one transaction:
idempotent replay or run the domain call, record the result under the Idempotency-Key -> JSON.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from typing import Any, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..core.context import API_VERSION, Ctx
from ..core.errors import StripeError, authentication, invalid_request
from ..core.ids import new_id
from ..store.db import Store
from .expand import render
from .forms import parse_form
from .params import validate
from .registry import Route

log = logging.getLogger("mock_gateway")

MAX_BODY = 1024 * 1024
MAX_IDEMPOTENCY_KEY = 255
_FORM = "application/x-www-form-urlencoded"


def authenticate(header: str | None) -> str:
    """Any `sk_test_...` key is accepted, as Bearer or as the Basic-auth user; anything else is 401."""
    if not header:
        raise authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using "
            "Bearer auth (e.g. 'Authorization: Bearer sk_test_...')."
        )
    scheme, _, value = header.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = value.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key.startswith("sk_test_") or len(key) <= len("sk_test_"):
        shown = (key[:8] + "*" * 4 + key[-4:]) if len(key) > 12 else (key or "(empty)")
        raise authentication(f"Invalid API Key provided: {shown}. This gateway accepts any test secret key (sk_test_...).")
    return key


class Gateway:
    """The state shared by all requests in one server process."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.faults: Any = None  # mock_gateway.faults.FaultInjector while a fault profile is set

    async def handle(self, request: Request, route: Route) -> Response:
        if self.faults is not None:  # injected latency and errors (mock_gateway/faults.py)
            return await self.faults.apply(request, route, self.respond)
        return await self.respond(request, route)

    async def respond(self, request: Request, route: Route) -> Response:
        """The pipeline proper: authenticate, parse, validate, execute, answer."""
        request_id = new_id("req", 14)
        headers = {"Request-Id": request_id, "Stripe-Version": request.headers.get("stripe-version", API_VERSION)}
        try:
            api_key = authenticate(request.headers.get("authorization"))
            if request.method == "POST":
                content_type = request.headers.get("content-type", _FORM).split(";")[0].strip().lower()
                body = await _read_body(request)
                if body and content_type != _FORM:
                    raise invalid_request(
                        f"Invalid Content-Type {content_type!r}: expected {_FORM} (Stripe's form encoding, "
                        "e.g. amount=1000&currency=jpy)."
                    )
                raw = parse_form(body)
            else:
                raw = parse_form(request.scope.get("query_string", b""))
            key = request.headers.get("idempotency-key") if request.method == "POST" else None
            if key is not None:
                headers["Idempotency-Key"] = key
            status, payload, replayed = self.execute(
                route, api_key, raw, request.path_params, key, request_id, _base_url(request)
            )
            if replayed:
                headers["Idempotent-Replayed"] = "true"
        except StripeError as err:
            status, payload = err.status, orjson.dumps(err.envelope())
            headers.update(err.headers)
        except Exception:  # a bug: still Stripe's envelope, and logged to be fixed
            log.exception("internal error on %s %s", request.method, request.url.path)
            status = 500
            payload = orjson.dumps({"error": {"type": "api_error", "message": f"An internal error occurred ({request_id})."}})
        return Response(payload, status, headers=headers, media_type="application/json")

    def execute(
        self,
        route: Route,
        api_key: str,
        raw: dict[str, Any],
        path_params: dict[str, str],
        key: str | None,
        request_id: str,
        base_url: str,
    ) -> tuple[int, bytes, bool]:
        params = validate(route.spec, raw)
        expand = params.pop("expand", [])
        ctx = Ctx(self.store, base_url, int(self.clock()), request_id, key)
        if route.method == "GET":
            return 200, orjson.dumps(render(self.store, route.handler(ctx, params, **path_params), expand)), False
        if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
            raise invalid_request(f"Idempotency-Key must be at most {MAX_IDEMPOTENCY_KEY} characters; found {len(key)}.")
        fingerprint = hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest() if key else ""
        with self.store.transaction():
            if key is not None:
                previous = self.store.idempotent_result(api_key, key)
                if previous is not None:
                    method, path, old_fingerprint, status, body = previous
                    if (method, path, old_fingerprint) != (route.method, _path(route, path_params), fingerprint):
                        raise StripeError(
                            400,
                            "idempotency_error",
                            f"Keys for idempotent requests can only be used with the same parameters they were first "
                            f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
                        )
                    return status, body, True
            try:
                obj = route.handler(ctx, params, **path_params)
                status, body = 200, orjson.dumps(render(self.store, obj, expand))
            except StripeError as err:
                if not err.commit:
                    raise
                status, body = err.status, orjson.dumps(err.envelope())
            if key is not None:
                self.store.save_idempotent_result(
                    api_key, key, route.method, _path(route, path_params), fingerprint, status, body, ctx.now
                )
        return status, body, False


def _path(route: Route, path_params: dict[str, str]) -> str:
    return route.path.format(**path_params)


def _base_url(request: Request) -> str:
    host = request.headers.get("host")
    if host:
        return f"{request.scope.get('scheme', 'http')}://{host}"  # not request.url: it parses the whole URL
    return str(request.base_url).rstrip("/")


async def _read_body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise invalid_request(f"Request body too large: at most {MAX_BODY} bytes are accepted.", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise invalid_request(f"Request body too large: at most {MAX_BODY} bytes are accepted.", status=413)
        chunks.append(chunk)
    return b"".join(chunks)
