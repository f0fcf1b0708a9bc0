"""The reference hosted checkout: Checkout Sessions rendered as a page from a form-design variant.

`routes()` gives the page's URLs to the app (mock_gateway/app.py); the Checkout Sessions API is
registered like every other endpoint, in mock_gateway/api/checkout_sessions.py. See README.md.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"


def routes() -> list[BaseRoute]:
    from . import page

    return [
        Route("/c/pay/{id}", page.show, methods=["GET"]),
        Route("/c/pay/{id}", page.submit, methods=["POST"]),
        Route("/c/pay/{id}/return", page.returned, methods=["GET"]),
        Route("/c/confirmation/{id}", page.confirmation, methods=["GET"]),
        Route("/c/address/{country}/{code}", page.address, methods=["GET"]),
        Mount("/c/static", app=StaticFiles(directory=STATIC_DIR), name="checkout-static"),
    ]
