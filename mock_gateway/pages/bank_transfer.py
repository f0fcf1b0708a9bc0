"""The hosted bank transfer instructions: the virtual account, the amount still to transfer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..core.currencies import format_amount
from ..core.tokens import same_secret
from .common import intent, not_found, render


async def instructions(request: Request) -> Response:
    pi = intent(request)
    if pi is None or not same_secret(request.path_params["token"], pi.get("_instructions_token")):
        return not_found("bank transfer")
    action = pi.get("next_action") or {}
    details = action.get("display_bank_transfer_instructions") if action.get("type") == "display_bank_transfer_instructions" else None
    remaining = None
    if details:
        amount = details["amount_remaining"]
        remaining = f"¥{amount:,}" if pi["currency"] == "jpy" else format_amount(amount, pi["currency"])
    return render("bank_transfer.html", pi=pi, details=details, remaining=remaining)
