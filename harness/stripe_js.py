"""Stripe's hosts, routed to the gateway in a Playwright browser context: a merchant's page that
loads https://js.stripe.com/v3/ gets the gateway's Stripe.js-compatible script, unedited.

    from harness.stripe_js import route_stripe_js            # sync Playwright
    route_stripe_js(context, "http://127.0.0.1:12111")
    page = context.new_page(); page.goto("http://localhost:3000/checkout")

    from harness.stripe_js import route_stripe_js_async      # async Playwright (the journeys)
    await route_stripe_js_async(context, gateway_url)

What each Stripe host gets in the routed context (nothing leaves the machine):
- js.stripe.com/v3 (and /v3/, any query): the gateway's script (GET {gateway}/v3/), fetched once
  when routing is installed. The script sends card data to the gateway it came from.
- api.stripe.com: forwarded to the gateway, same method, path, query, headers and body.
- checkout.stripe.com/c/pay/{id}: a redirect to the gateway's hosted checkout page.
- every other Stripe host (m.stripe.com, m.stripe.network, r.stripe.com, q.stripe.com,
  b.stripecdn.com, other js.stripe.com files): an empty 204 (telemetry and assets the gateway's
  script does not need).

The harness talks to the gateway over HTTP only (it never imports mock_gateway).
"""

from __future__ import annotations

import asyncio
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

STRIPE_HOSTS = re.compile(r"^https?://([a-z0-9-]+\.)*(stripe\.com|stripe\.network|stripecdn\.com)(:\d+)?/", re.IGNORECASE)
SCRIPT_PATHS = ("/v3", "/v3/")
_HOP_BY_HOP = {"host", "connection", "content-length", "accept-encoding", "transfer-encoding", "keep-alive"}


def fetch_script(gateway_url: str, timeout: float = 10.0) -> bytes:
    """The gateway's Stripe.js-compatible script, or RuntimeError saying why it could not be had."""
    url = gateway_url.rstrip("/") + "/v3/"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, OSError) as err:
        raise RuntimeError(f"could not fetch the Stripe.js-compatible script from {url}: {err}") from err


def answer(gateway_url: str, script: bytes, method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, Any]:
    """What a request to one of Stripe's hosts gets: keyword arguments for `route.fulfill`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    gateway = gateway_url.rstrip("/")
    if host == "js.stripe.com" and parts.path in SCRIPT_PATHS:
        return {"status": 200, "body": script, "headers": {"Content-Type": "application/javascript; charset=utf-8",
                                                           "Access-Control-Allow-Origin": "*"}}
    if host == "api.stripe.com":
        return _forward(f"{gateway}{parts.path}{'?' + parts.query if parts.query else ''}", method, headers, body)
    if host == "checkout.stripe.com" and parts.path.startswith("/c/pay/"):
        session = parts.path[len("/c/pay/"):].split("/")[0]
        return {"status": 302, "headers": {"Location": f"{gateway}/c/pay/{session}"}, "body": b""}
    return {"status": 204, "body": b"", "headers": {"Access-Control-Allow-Origin": "*"}}


def _forward(url: str, method: str, headers: dict[str, str], body: bytes | None) -> dict[str, Any]:
    kept = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
    request = urllib.request.Request(url, data=body if method not in ("GET", "HEAD") else None, headers=kept, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30.0) as response:
            status, got, data = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        status, got, data = err.code, dict(err.headers), err.read()
    except (urllib.error.URLError, OSError) as err:
        return {"status": 502, "body": f'{{"error": {{"type": "api_error", "message": "gateway unreachable: {err}"}}}}'.encode(),
                "headers": {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}}
    got = {k: v for k, v in got.items() if k.lower() not in _HOP_BY_HOP}
    got.setdefault("Access-Control-Allow-Origin", "*")
    return {"status": status, "body": data, "headers": got}


def route_stripe_js(context: Any, gateway_url: str) -> None:
    """Route Stripe's hosts to the gateway in a sync-API BrowserContext (before its pages load)."""
    script = fetch_script(gateway_url)

    def handle(route: Any) -> None:
        request = route.request
        route.fulfill(**answer(gateway_url, script, request.method, request.url, request.headers, request.post_data_buffer))

    context.route(STRIPE_HOSTS, handle)


async def route_stripe_js_async(context: Any, gateway_url: str) -> None:
    """Route Stripe's hosts to the gateway in an async-API BrowserContext (before its pages load)."""
    script = await asyncio.to_thread(fetch_script, gateway_url)

    async def handle(route: Any) -> None:
        request = route.request
        reply = await asyncio.to_thread(answer, gateway_url, script, request.method, request.url, request.headers,
                                        request.post_data_buffer)
        await route.fulfill(**reply)

    await context.route(STRIPE_HOSTS, handle)
