"""HTML for the hosted page: field views (label, hint, error, aria wiring) and the templates.

Jinja2 autoescapes everything (a shopper's `<script>` is shown as text); the page's script gets
its configuration as JSON in a non-executed <script type="application/json">, and the
Content-Security-Policy allows scripts from this origin's static files only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from ..core.currencies import ZERO_DECIMAL
from . import fields as F
from . import validation
from .form import ONE_PAGE, PageForm
from .regions import address_format, country_name, region_name, regions, sorted_by_name
from .texts import TEXTS

STATIC = "/c/static"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=PackageLoader("mock_gateway.checkout", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

_SYMBOLS = {"jpy": "¥", "usd": "$", "eur": "€", "gbp": "£"}


def money(amount: int, currency: str, locale: str) -> str:
    """1980 jpy -> ¥1,980; 1999 usd -> $19.99; other currencies with their code."""
    value = f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


@dataclass
class FieldView:
    """One field as the template draws it, with its accessibility wiring worked out."""

    name: str
    kind: str
    input_type: str
    label: str
    value: str
    required: bool
    hint: str | None
    optional_text: str | None
    error: str | None
    error_inline: bool
    described_by: str
    autocomplete: str
    inputmode: str | None
    max_length: int | None
    autofocus: bool
    options_html: Markup | None  # selects: the <option>s, the current value selected
    brand: str | None = None


@functools.lru_cache(maxsize=512)
def _options(name: str, countries: tuple[str, ...], country: str, locale: str) -> str:
    """A select's options, escaped once per (field, countries, country, locale): the countries by
    their names in the page's language, or the chosen country's regions (local and Latin names)."""
    if name == "country":
        return "".join(f'<option value="{escape(c)}">{escape(country_name(c, locale))}</option>'
                       for c in sorted_by_name(countries, locale))
    language = address_format(country).language
    parts = [f'<option value="">{escape(TEXTS[locale]["choose"])}</option>']
    parts += [f'<option value="{escape(r.value)}">{escape(r.label(locale, language))}</option>' for r in regions(country)]
    return "".join(parts)


def _options_html(form: PageForm, f: F.FieldDef, value: str) -> Markup | None:
    if f.input_type != "select":
        return None
    html = _options(f.name, form.countries, form.country, form.locale)
    if value:
        plain = f'<option value="{escape(value)}">'
        html = html.replace(plain, plain[:-1] + " selected>", 1)
    return Markup(html)


def field_view(form: PageForm, f: F.FieldDef, problems: dict[str, str], autofocus: bool) -> FieldView:
    locale = form.locale
    error = problems.get(f.name)
    described = []
    if not f.required:
        described.append(f"{f.name}-optional")
    if f.hint:
        described.append(f"{f.name}-hint")
    if error:
        described.append(f"{f.name}-error" if form.variant.inline_errors else f"{f.name}-summary")
    brand = None
    if f.name == "card_number" and form.variant.show_card_brand:
        described.append("card_number-brand")
        known = validation.card_brand(form.values.get("card_number", ""))
        brand = validation.BRAND_NAMES.get(known) if known else None
    value = form.values.get(f.name, "")
    if f.name == "country":
        value = form.country
    return FieldView(
        name=f.name,
        kind=f.kind,
        input_type=f.input_type,
        label=f.label[locale],
        value=value,
        required=f.required,
        hint=f.hint[locale] if f.hint else None,
        optional_text=None if f.required else F.OPTIONAL[locale],
        error=error,
        error_inline=form.variant.inline_errors,
        described_by=" ".join(described),
        autocomplete=f.autocomplete,
        inputmode=f.inputmode,
        max_length=f.max_length,
        autofocus=autofocus,
        options_html=_options_html(form, f, value),
        brand=brand,
    )


def _config(form: PageForm, shown: list[F.FieldDef]) -> dict[str, Any]:
    """What the page's script needs: the variant's behaviour, the rules, the fields on screen."""
    v = form.variant
    return {
        "timing": v.validation_timing,
        "placement": v.error_placement,
        "format_card": v.card_number_format == "groups",
        "show_brand": v.show_card_brand,
        "autofill": v.postal_autofill,
        "locale": form.locale,
        "now": {"year": form.year, "month": form.month},
        "min_length": v.password_min_length,
        "fields": [{"name": f.name, "kind": f.kind, "required": f.required, "method": f.method} for f in shown],
        "methods": [m.name for m in form.offered],
        "countries": list(form.countries),
        "country": form.country,
        "address_url": "/c/address",
        "rules": validation.page_rules(form.locale, form.country),
        "texts": {k: TEXTS[form.locale][k] for k in ("summary_title", "address_found", "address_not_found", "card_brand",
                                                     "address_form_changed")},
    }


def _review(form: PageForm) -> list[tuple[str, str]]:
    t = TEXTS[form.locale]
    address = form.address()
    region = region_name(form.country, address["state"] or "", form.locale)
    if form.locale == "ja":
        lines = [f"〒{address['postal_code']}", f"{region}{address['city']}{address['line1']}", address["line2"] or ""]
    else:
        lines = [address["line1"] or "", address["line2"] or "", f"{address['city']}, {region} {address['postal_code']}"]
    lines.append(country_name(form.country, form.locale))
    rows = [(t["review_contact"], form.clean("email"))]
    if form.variant.account == "forced":
        rows.append((t["review_account"], t["review_account_created"].format(email=form.clean("email"))))
    name = form.full_name()
    kana = form.name_kana()
    rows.append((t["review_name"], f"{name}（{kana}）" if kana else name))
    company = form.clean("company") if form.variant.company != "absent" else ""
    rows.append((t["review_address"], "\n".join(x for x in [company, *lines] if x)))
    if form.variant.phone != "absent" and form.clean("phone"):
        rows.append((t["review_phone"], form.values.get("phone", "")))
    if form.method is not None:
        rows.append((t["review_payment"], form.method.label[form.locale] + " — " + form.method.summary(form.values, form.locale)))
    return rows


def render_page(
    form: PageForm,
    step: str,
    *,
    problems: dict[str, str] | None = None,
    payment_error: str | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    problems = problems or {}
    t = TEXTS[form.locale]
    shown = form.shown_fields(step)
    first_problem = None if payment_error else next(iter(problems), None)
    views = {f.name: field_view(form, f, problems, f.name == first_problem) for f in shown}
    shown_names = {f.name for f in shown}
    if step in ("all", "payment"):  # the payment section has the method's input (a hidden one when it is the only method)
        shown_names.add("payment_method")
    # each field is sent once: a name sent twice is refused as the API refuses it (api/forms.py)
    carried = [(name, form.values[name]) for name in form.all_names() if name not in shown_names and form.values.get(name)]
    session = form.session
    summary_items = [{"name": n, "message": m} for n, m in problems.items()] if form.variant.summary_errors else []
    method_views = {
        m.name: [views[f.name] for f in m.fields if f.name in views] for m in form.offered
    }
    html = _env.get_template("page.html").render(
        t=t,
        locale=form.locale,
        static=STATIC,
        session=session,
        variant=form.variant,
        step=step,
        steps=[(s, t[f"step_{s}"]) for s in form.steps] if form.steps != (ONE_PAGE,) else [],
        one_page=form.steps == (ONE_PAGE,),
        views=views,
        details=[views[f.name] for f in form.fields_of("details") if f.name in views],
        contact_names=[f.name for f in F.contact_fields(form.variant)],
        name_names=[f.name for f in F.name_fields(form.variant, form.locale)],
        address_names=[f.name for f in form.fields_of("details") if f.name in F.ADDRESS_PART_NAMES],
        country=form.country,
        country_label=country_name(form.country, form.locale),
        methods=form.offered,
        method_views=method_views,
        selected_method=form.method.name if form.method else None,
        payment_method_error=problems.get("payment_method"),
        carried=carried,
        summary_items=summary_items,
        payment_error=payment_error,
        notice=notice,
        review=_review(form) if step == "review" else [],
        items=[{"description": li["description"], "quantity": li["quantity"],
                "amount": money(li["amount_total"], li["currency"], form.locale)} for li in session["_line_items"]],
        total=money(session["amount_total"], session["currency"], form.locale),
        config=_config(form, shown),
        action=f"/c/pay/{session['id']}",
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def render_message(locale: str, kind: str, *, session: dict[str, Any] | None = None, status: int = 200,
                   link: str | None = None) -> HTMLResponse:
    """The short pages: not found, expired, already paid, and the confirmation after paying."""
    t = TEXTS[locale if locale in TEXTS else "en"]
    details = session.get("customer_details") if session else None
    html = _env.get_template("message.html").render(
        t=t,
        locale=locale,
        static=STATIC,
        kind=kind,
        title=t[f"{kind}_title"],
        session=session,
        amount=money(session["amount_total"], session["currency"], locale) if session else "",
        email=(details or {}).get("email") or "",
        cancel_url=(session or {}).get("cancel_url"),
        link=link,
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)
