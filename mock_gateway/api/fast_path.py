"""The API's front door: /v1/ requests go straight to the gateway's pipeline by a table lookup.

Starlette's router tries each route's regular expression in turn (70 routes; a confirm is the
25th) and wraps the endpoint in two more layers, which cost as much per request as parsing the
form. Here the API's path templates are matched segment by segment, in registration order, with
Starlette's semantics (`{name}` matches one non-empty segment of the decoded path). Whatever is not
matched here (pages, unknown URLs, HEAD, the wrong method) goes on to Starlette, which answers it
as before, 404 and 405 envelopes included.
"""

from __future__ import annotations

from typing import Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .registry import Route

_Template = tuple[tuple[str | None, ...], tuple[str, ...], Route]  # literal segments (None: a parameter), names, route


class ApiFastPath:
    """ASGI middleware (inside Starlette's error middleware) dispatching API routes directly."""

    def __init__(self, app: ASGIApp, routes: Sequence[Route]) -> None:
        self.app = app
        self._table: dict[tuple[str, int], list[_Template]] = {}
        for route in routes:
            segments = route.path[1:].split("/")
            literal = tuple(None if s.startswith("{") else s for s in segments)
            names = tuple(s[1:-1] for s in segments if s.startswith("{"))
            self._table.setdefault((route.method, len(segments)), []).append((literal, names, route))

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
        if scope["type"] == "http" and scope["path"].startswith("/v1/"):
            found = self.match(scope["method"], scope["path"])
            if found is not None:
                route, scope["path_params"] = found
                response = await scope["app"].state.gateway.handle(Request(scope, receive), route)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
