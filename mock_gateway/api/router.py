"""The API's router: one Starlette Mount at /v1 whose own table finds the route, or answers 404/405.

Starlette's router tries each route's regular expression in turn and wraps every endpoint in more
layers; the API's routes are matched here instead, segment by segment in registration order, with
Starlette's semantics (`{name}` matches one non-empty segment of the decoded path). A path this
table knows under another method gets the 405 wording; an unknown one the 404 wording; both in
Stripe's error envelope with status 404, as Stripe answers them. Nothing under /v1 reaches a
second router.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from .registry import Route

PREFIX = "/v1"
_Template = tuple[tuple[str | None, ...], tuple[str, ...], Route]  # literal segments (None: a parameter), names, route


def unrecognized(method: str, path: str, *, other_method: bool) -> Response:
    """Stripe's answer to a URL it has no route for (status 404 either way, as Stripe's)."""
    message = f"Unrecognized request URL ({method}: {path})."
    if other_method:
        message = f"Unrecognized request URL ({method}: {path}): this path does not accept {method}."
    body = orjson.dumps({"error": {"type": "invalid_request_error", "message": message}})
    return Response(body, 404, media_type="application/json")


class JsonAnswer(Response):
    """An API answer: JSON, with its headers encoded here once. Starlette's Response would look through and
    lower-case them again; a fault profile still changes them through `headers` (mock_gateway/faults.py)."""

    media_type = "application/json"

    def __init__(self, body: bytes, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.body = body
        self.background = None
        self.raw_headers = [(b"content-length", b"%d" % len(body)), (b"content-type", b"application/json"),
                            *[(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]]


class ApiRouter:
    """ASGI app for everything under /v1: a table lookup, then the gateway's pipeline."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = list(routes)  # for whoever lists the app's routes (tests fuzz each one)
        self._table: dict[tuple[str, int], list[_Template]] = {}
        for route in routes:
            if not route.path.startswith(PREFIX + "/"):
                raise ValueError(f"API route {route.method} {route.path} is not under {PREFIX}/")
            segments = route.path[1:].split("/")
            literal = tuple(None if s.startswith("{") else s for s in segments)
            names = tuple(s[1:-1] for s in segments if s.startswith("{"))
            self._table.setdefault((route.method, len(segments)), []).append((literal, names, route))
        self._methods = sorted({method for method, _ in self._table})

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        segments = path[1:].split("/")
        for literal, names, route in self._table.get((method, len(segments)), ()):
            values = []
            for want, got in zip(literal, segments):
                if want is None:
                    if not got:
                        break
                    values.append(got)
                elif want != got:
                    break
            else:
                return route, dict(zip(names, values))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]  # Mount keeps the full path (it sets root_path)
        found = self.match("GET" if method == "HEAD" else method, path)
        if found is None:
            other = any(self.match(m, path) is not None for m in self._methods if m != method)
            response = unrecognized(method, path, other_method=other)
        else:
            route, scope["path_params"] = found
            response = await scope["app"].state.gateway.handle(Request(scope, receive), route)
        await response(scope, receive, send)


def api_mount(routes: Sequence[Route]) -> Mount:
    """The one Mount that serves the API (first in the app's routes: one regular expression to reach it)."""
    return Mount(PREFIX, app=ApiRouter(routes))
