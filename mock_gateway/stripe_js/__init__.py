"""The Stripe.js-compatible script, served where a page would load https://js.stripe.com/v3/ from.

GET /v3, /v3/, /js/v3 and /js/v3/ answer the script (stripe.js next to this file) with this
gateway's own address written in, so that the script sends card data to the gateway that served
it, whatever URL the page loaded it from (the harness routes https://js.stripe.com/v3/ here:
harness/stripe_js.py). A page outside the harness loads it from the gateway directly.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SCRIPT = Path(__file__).resolve().parent / "stripe.js"
PATHS = ("/v3", "/v3/", "/js/v3", "/js/v3/")


@lru_cache(maxsize=1)
def _source() -> str:
    return SCRIPT.read_text(encoding="utf-8")


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host') or request.url.netloc}"


async def script(request: Request) -> Response:
    body = _source().replace("__GATEWAY_URL__", json.dumps(_base_url(request)), 1)
    return Response(body, media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"})


def routes() -> list[Route]:
    return [Route(path, script, methods=["GET"]) for path in PATHS]
