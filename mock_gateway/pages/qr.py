"""QR code pages: the code itself (PNG, SVG), the instructions page that shows it and follows the
payment's status, and the scan page a phone opens from the code to approve or reject."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..api.forms import text
from ..core.context import Ctx
from ..core.methods import qr as qr_codes
from .common import act, back_to_merchant, money, not_found, posted, render

APP_NAMES = {"paypay": "PayPay", "promptpay": "PromptPay", "paynow": "PayNow"}


def _intent(request: Request) -> dict[str, Any] | None:
    store = request.app.state.gateway.store
    return qr_codes.current(Ctx(store), request.path_params["id"], request.path_params["token"])


def _details(pi: dict[str, Any]) -> dict[str, Any] | None:
    action = pi.get("next_action") or {}
    return action.get(action.get("type", "")) if action.get("type") in qr_codes.ACTIONS else None


def _image(request: Request, kind: str) -> Response:
    pi = _intent(request)
    if pi is None:
        return not_found("QR code")
    data = f"{request.url.scheme}://{request.headers.get('host', '')}/qr/{pi['id']}/{pi['_qr_token']}/scan"
    media = "image/png" if kind == "png" else "image/svg+xml"
    return Response(qr_codes.image(data, kind), media_type=media, headers={"Cache-Control": "no-store"})


async def png(request: Request) -> Response:
    return _image(request, "png")


async def svg(request: Request) -> Response:
    return _image(request, "svg")


async def status(request: Request) -> Response:
    pi = _intent(request)
    if pi is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse({"status": pi["status"]})


async def instructions(request: Request) -> Response:
    """Shown on the shopper's screen: the code to scan, and what happened once it is scanned."""
    pi = _intent(request)
    if pi is None:
        return not_found("QR code")
    app = APP_NAMES.get(pi.get("_payment_method_type", ""), "your app")
    return render("qr_instructions.html", pi=pi, amount=money(pi), details=_details(pi), app=app,
                  token=request.path_params["token"])


async def scan(request: Request) -> Response:
    """What the phone opens after scanning: approve or reject in the (simulated) app."""
    pi = _intent(request)
    if pi is None:
        return not_found("QR code")
    app = APP_NAMES.get(pi.get("_payment_method_type", ""), "your app")
    waiting = pi["status"] == "requires_action" and _details(pi) is not None
    form = await posted(request)
    if isinstance(form, Response):
        return form
    if request.method == "GET" or text(form, "action") not in ("approve", "reject"):
        return render("qr_scan.html", pi=pi, amount=money(pi), app=app, waiting=waiting)
    if waiting:
        approved = form["action"] == "approve"
        pi = act(request, lambda ctx, fresh: qr_codes.scan(ctx, fresh, approved) if _details(fresh) and fresh["status"] == "requires_action" else None)
    return back_to_merchant(pi) or render("qr_scan.html", pi=pi, amount=money(pi), app=app, waiting=False)
