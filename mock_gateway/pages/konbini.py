"""The konbini voucher (payment slip) page: the codes to show at each store chain."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from ..core.tokens import same_secret
from .common import intent, money, not_found, render

CHAIN_NAMES = {
    "ja": {"familymart": "ファミリーマート", "lawson": "ローソン", "ministop": "ミニストップ", "seicomart": "セイコーマート"},
    "en": {"familymart": "FamilyMart", "lawson": "Lawson", "ministop": "Ministop", "seicomart": "Seicomart"},
}


async def voucher(request: Request) -> Response:
    pi = intent(request)
    if pi is None or not same_secret(request.path_params["token"], pi.get("_voucher_token")):
        return not_found("voucher")
    locale = "en" if request.query_params.get("locale") == "en" else "ja"
    details = None
    if pi["status"] == "requires_action" and (pi.get("next_action") or {}).get("type") == "konbini_display_details":
        details = pi["next_action"]["konbini_display_details"]
    expires = None
    if details:
        expires = time.strftime("%Y-%m-%d %H:%M", time.gmtime(details["expires_at"] + 9 * 3600)) + " JST"
    return render("konbini_voucher.html", locale=locale, pi=pi, amount=money(pi), details=details, expires=expires,
                  chains=CHAIN_NAMES[locale])
