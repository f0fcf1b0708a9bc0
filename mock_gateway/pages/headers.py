"""Security headers on everything but the API: the hosted pages, their static files, the admin endpoints.

A page may set its own (the hosted checkout's stricter script policy, the address lookup's cache);
what it leaves out is filled in here, so a new page cannot ship without them:
- Content-Security-Policy with frame-ancestors 'none': no page can be framed (clickjacking a
  3-D Secure or PayPal button), no script but the gateway's own files, no plugins, no <base>;
- X-Content-Type-Options: nosniff, Referrer-Policy: same-origin (page URLs carry client secrets
  and tokens: another site never sees them in a Referer);
- Cache-Control: no-store on every page (card forms, payment states), not on static files.
The API (/v1/) goes through untouched: its answers are JSON for programs (api/router.py).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       b"connect-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
_ALWAYS = ((b"content-security-policy", CSP), (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
           (b"x-frame-options", b"DENY"))
_NO_STORE = (b"cache-control", b"no-store")
STATIC_PREFIX = "/c/static/"


class PageHeaders:
    """ASGI middleware adding the headers above to every response it sees, where not already set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        wanted = _ALWAYS if scope["path"].startswith(STATIC_PREFIX) else _ALWAYS + (_NO_STORE,)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [pair for pair in wanted if pair[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
