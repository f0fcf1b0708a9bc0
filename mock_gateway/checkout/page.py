"""The hosted checkout page: GET shows it, POST moves between steps or pays, and the 3-D Secure
challenge returns here. Payment goes through the gateway's own PaymentIntents in one store
transaction per attempt, as an API call would, so declines and 3-D Secure are the gateway's.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from scenarios.variants import load_variant

from ..api.forms import text
from ..core.context import Ctx
from ..core.errors import StripeError
from ..core.tokens import same_secret
from ..pages.common import form_error, posted
from ..store.db import Store
from . import sessions, texts
from .address import lookup
from .form import ONE_PAGE, PageForm
from .regions import COUNTRIES
from .render import render_message, render_page

MAX_FORM_BYTES = 64 * 1024
# Gateway errors from tokenising a card (param -> page field), e.g. a number the page let through.
_PARAM_FIELDS = {"number": "card_number", "exp_month": "card_expiry", "exp_year": "card_expiry", "cvc": "card_cvc"}


def _locale(session: dict[str, Any], request: Request) -> str:
    if session.get("locale") in ("en", "ja"):
        return session["locale"]
    accept = request.headers.get("accept-language", "").lower()
    return "ja" if accept.startswith("ja") else "en"


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def _ctx(request: Request) -> Ctx:
    gateway = request.app.state.gateway
    return Ctx(gateway.store, _base_url(request), int(gateway.clock()))


def _store(request: Request) -> Store:
    return request.app.state.gateway.store


def _form(request: Request, session: dict[str, Any], values: dict[str, str] | None) -> PageForm:
    now = time.gmtime(request.app.state.gateway.clock())
    form = PageForm(
        session=session,
        variant=load_variant(session.get("variant") or sessions.DEFAULT_VARIANT),
        locale=_locale(session, request),
        values={},
        year=now.tm_year,
        month=now.tm_mon,
        countries=tuple((session.get("shipping_address_collection") or {}).get("allowed_countries") or COUNTRIES),
    )
    form.values = form.initial_values() if values is None else values
    return form


def _session_or_page(request: Request) -> dict[str, Any] | Response:
    """The open session, or the page a shopper sees instead (unknown, expired, already paid)."""
    store = _store(request)
    session = store.get(request.path_params["id"])
    locale = "ja" if request.headers.get("accept-language", "").lower().startswith("ja") else "en"
    if session is None or session.get("object") != "checkout.session":
        return render_message(locale, "not_found", status=404)
    locale = _locale(session, request)
    if sessions.is_past_expiry(session, int(request.app.state.gateway.clock())):
        with store.transaction():
            fresh = store.get(session["id"])
            if fresh is not None and fresh["status"] == "open":
                sessions.expire(_ctx(request), fresh)
        session = store.get(session["id"]) or session  # sessions are never deleted
    if session["status"] == "expired":
        return render_message(locale, "expired", session=session, status=410)
    if session["status"] == "complete":
        return RedirectResponse(sessions.success_redirect(session), status_code=303)
    pi = store.get(session["payment_intent"]) if session.get("payment_intent") else None
    if pi is not None and pi["status"] in ("succeeded", "requires_capture"):
        # Paid (e.g. 3-D Secure completed) but the shopper never came back: complete it now.
        return _complete(request, session["id"])
    return session


async def show(request: Request) -> Response:
    found = _session_or_page(request)
    if isinstance(found, Response):
        return found
    form = _form(request, found, None)
    return render_page(form, form.steps[0])


async def submit(request: Request) -> Response:
    received = await posted(request, MAX_FORM_BYTES)  # the API's parser: a malformed body is a page-level 400
    if isinstance(received, Response):
        return received
    found = _session_or_page(request)
    if isinstance(found, Response):
        return found
    session = found
    if not same_secret(text(received, "form_token"), session.get("_form_token")):
        return form_error("This payment form has expired or was not sent from its page; open the payment page again.", 403)
    action = text(received, "action") or "pay"
    step = text(received, "step") or ""
    form = _form(request, session, {})
    form.values = {name: text(received, name) or "" for name in form.all_names()}
    if step not in form.steps + ("review",) or (step == "review" and form.steps == (ONE_PAGE,)):
        step = form.steps[0]

    if action == "lookup":
        found_address = lookup(form.country, form.values.get("postal_code", ""))
        if found_address is not None:
            form.values.update(found_address.as_json())
        return render_page(form, step, notice=_lookup_notice(form, found_address))
    if action == "country":  # the country changed: the same step with that country's address fields
        return render_page(form, step)
    if action == "back":
        return render_page(form, form.steps[max(form.steps.index(step) - 1, 0)])
    if action.startswith("edit:") and action[5:] in form.steps:
        return render_page(form, action[5:])
    if action == "next" and step in ("details", "payment"):
        problems = form.problems(step)
        if problems:
            return render_page(form, step, problems=problems)
        return render_page(form, form.steps[form.steps.index(step) + 1])
    # Pay: the server validates everything again, whatever the page's script did.
    failing = form.first_step_with_problems()
    if failing is not None:
        return render_page(form, failing[0], problems=failing[1])
    if step != "review" and form.steps != (ONE_PAGE,):
        return render_page(form, "review")
    return _pay(request, form)


def _lookup_notice(form: PageForm, found: Any) -> str:
    words = texts.TEXTS[form.locale]
    if found is None:
        return words["address_not_found"]
    from .regions import region_name

    return words["address_found"].format(address=f"{region_name(form.country, found.region, form.locale)} {found.city} {found.line1}".strip())


def _pay(request: Request, form: PageForm) -> Response:
    store = _store(request)
    method = form.method
    assert method is not None  # validated: a method is chosen
    return_url = f"{_base_url(request)}/c/pay/{form.session['id']}/return"
    field_error: tuple[str, str] | None = None
    decline: StripeError | None = None
    pi: dict[str, Any] | None = None
    try:
        with store.transaction():
            ctx = _ctx(request)
            session = ctx.get(form.session["id"], "checkout.session")
            if session["status"] != "open":
                return RedirectResponse(f"/c/pay/{session['id']}", status_code=303)
            sessions.save_draft(ctx, session, form.draft(), form.receipt())
            pi = sessions.intent_for_payment(ctx, session, [m.name for m in form.offered], form.receipt())
            try:
                pi = method.confirm(ctx, pi, form.values, return_url, form.billing_details())
            except StripeError as err:
                if not err.commit:
                    raise
                decline = err  # recorded (failed charge, events): the transaction commits
            if decline is None and pi["status"] in ("succeeded", "requires_capture"):
                sessions.complete(ctx, session, pi)
                return RedirectResponse(sessions.success_redirect(session), status_code=303)
            if decline is None and pi["status"] == "requires_action" and pi["next_action"]["type"] == "redirect_to_url":
                return RedirectResponse(pi["next_action"]["redirect_to_url"]["url"], status_code=303)  # 3-D Secure, wallets
            if decline is None and pi["status"] in ("requires_action", "processing"):
                # Paid later (konbini, bank transfer, QR): the order is placed, the payment pending.
                sessions.complete(ctx, session, pi)
                return RedirectResponse(sessions.success_redirect(session), status_code=303)
    except StripeError as err:  # refused before anything was recorded (e.g. tokenising the card)
        field = _PARAM_FIELDS.get(err.param or "")
        if field is None:
            raise
        from .validation import Problem, message

        problem = {"card_number": "card_number.luhn", "card_expiry": "card_expiry.format", "card_cvc": "card_cvc.format"}[field]
        field_error = (field, message(Problem(problem), form.locale, field))
    if field_error is not None:
        return render_page(form, _payment_step(form), problems={field_error[0]: field_error[1]})
    code = (decline.decline_code or decline.code) if decline is not None else None
    return _declined(form, code)


def _payment_step(form: PageForm) -> str:
    return "payment" if "payment" in form.steps else ONE_PAGE


def _declined(form: PageForm, code: str | None) -> Response:
    """The page after a refusal: its message, and the fields kept or cleared as the variant says."""
    message = texts.decline_message(code, form.locale)
    form.values = form.after_decline()
    field = texts.DECLINE_FIELDS.get(code or "")
    problems = {field: message} if field and form.variant.after_decline == "keep" else {}
    step = _payment_step(form) if form.variant.after_decline == "keep" else form.steps[0]
    return render_page(form, step, problems=problems, payment_error=message)


def _complete(request: Request, session_id: str) -> Response:
    store = _store(request)
    with store.transaction():
        ctx = _ctx(request)
        session = ctx.get(session_id, "checkout.session")
        if session["status"] == "open":
            pi = ctx.get(session["payment_intent"], "payment_intent")
            sessions.complete(ctx, session, pi)
    return RedirectResponse(sessions.success_redirect(session), status_code=303)


async def returned(request: Request) -> Response:
    """Back from the 3-D Secure challenge: complete, or show why not with the kept details."""
    found = _session_or_page(request)
    if isinstance(found, Response):
        return found
    session = found
    pi = _store(request).get(session["payment_intent"]) if session.get("payment_intent") else None
    form = _form(request, session, dict(session.get("_draft") or {}))
    if pi is None:
        return render_page(form, form.steps[0])
    if pi["status"] == "requires_action":
        return _declined(form, "authentication_abandoned")
    error = pi.get("last_payment_error") or {}
    return _declined(form, error.get("decline_code") or error.get("code"))


async def confirmation(request: Request) -> Response:
    """A plain order-confirmation page, for success_url when the merchant has none of its own."""
    session = _store(request).get(request.path_params["id"])
    if session is None or session.get("object") != "checkout.session":
        return render_message("en", "not_found", status=404)
    locale = _locale(session, request)
    if session["status"] != "complete":
        return RedirectResponse(f"/c/pay/{session['id']}", status_code=303)
    if session["payment_status"] == "paid":
        return render_message(locale, "paid", session=session)
    pi = _store(request).get(session["payment_intent"]) if session.get("payment_intent") else None
    return render_message(locale, "pending", session=session, link=sessions.instructions_url(pi))


async def address(request: Request) -> Response:
    """Autofill for the page's script: GET /c/address/JP/1500001 -> {"state", "city", "line1"}."""
    found = lookup(request.path_params["country"].upper(), request.path_params["code"])
    if found is None:
        return JSONResponse({"found": False}, status_code=404, headers={"Cache-Control": "public, max-age=86400"})
    return JSONResponse({"found": True, **found.as_json()}, headers={"Cache-Control": "public, max-age=86400"})
