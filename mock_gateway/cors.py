"""Cross-origin access to the API from browsers, as Stripe's API allows it for Stripe.js.

A merchant's page on another origin calls /v1/ from the shopper's browser (Stripe.js with a
publishable key). Every /v1/ answer carries `Access-Control-Allow-Origin: *` when the request came
with an Origin, and a preflight (OPTIONS) is answered at once. No cookies are involved, so no
credentials are allowed; what a publishable key may do is limited by api/publishable.py.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_HEADERS = b"Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account"


class ApiCors:
    """ASGI middleware: CORS headers on /v1/ answers, preflights answered with 204."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        has_origin = any(name == b"origin" for name, _ in scope["headers"])
        if not has_origin:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", b"GET, POST, DELETE"),
                (b"access-control-allow-headers", ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
                (b"content-length", b"0"),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"access-control-allow-origin", b"*"),
                                      (b"access-control-expose-headers", b"Request-Id, Idempotency-Key")]
            await send(message)

        await self.app(scope, receive, send_with_cors)
