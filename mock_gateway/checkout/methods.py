"""Payment methods as the hosted page shows them: a template partial, its fields, a confirm call.

Adding a method to the page (bank transfer, PayPal, PayPay) is one `PageMethod` here, named in
PAGE_METHODS: the radio label, a partial in templates/methods/<name>.html, the fields it asks
(FieldDef, with their rules in validation.py), and `confirm`, which confirms the session's
PaymentIntent with the gateway's own domain code (mock_gateway.core) inside the page's store
transaction; and `on_page=True` for it in scenarios/methods.py, so that variants may offer it
(tests/test_methods_vocabulary.py checks the two agree). The page does the rest: validation,
errors, declines, redirects (next_action.redirect_to_url), completion. A method appears on a page
when the variant offers it, the session allows it and the gateway knows it (core.methods).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core import methods as core_methods
from ..core import payment_intents
from ..core.context import Ctx
from . import fields as F
from . import validation

# confirm(ctx, payment_intent, values, return_url, billing_details) -> payment_intent
Confirm = Callable[[Ctx, dict[str, Any], dict[str, str], str, dict[str, Any]], dict[str, Any]]
# summary(values, locale) -> what the review step says about the payment, e.g. "Visa ending in 4242"
Summary = Callable[[dict[str, str], str], str]


@dataclass(frozen=True)
class PageMethod:
    name: str  # the Stripe payment method type
    label: dict[str, str]  # the radio button's visible label, per locale
    template: str  # partial under templates/methods/
    fields: tuple[F.FieldDef, ...]
    confirm: Confirm
    summary: Summary
    currencies: tuple[str, ...] | None = None  # None: any currency


def gateway_types() -> set[str]:
    """Payment method types the gateway can confirm (core.methods)."""
    return set(core_methods.PAYMENT_METHOD_TYPES)


def page_types(currency: str) -> list[str]:
    """Types the page can take in this currency, in registration order."""
    known = gateway_types()
    return [
        name for name, m in PAGE_METHODS.items()
        if name in known and (m.currencies is None or currency in m.currencies)
    ]


# -- card ---------------------------------------------------------------------------------------


def _card_confirm(ctx: Ctx, pi: dict[str, Any], values: dict[str, str], return_url: str, billing: dict[str, Any]) -> dict[str, Any]:
    expiry = validation.parse_expiry(values.get("card_expiry", "")) or (0, 0)
    data = {
        "type": "card",
        "card": {
            "number": validation.card_number_digits(values.get("card_number", "")),
            "exp_month": expiry[0],
            "exp_year": expiry[1],
            "cvc": validation.normalise("card_cvc", values.get("card_cvc", "")),
        },
        "billing_details": {**billing, "name": validation.normalise("text", values.get("card_name", "")) or billing.get("name")},
    }
    return payment_intents.confirm(ctx, pi, {"payment_method_data": data, "return_url": return_url})


_ENDING = {"en": "{brand} ending in {last4}", "ja": "{brand}（末尾 {last4}）"}


def _card_summary(values: dict[str, str], locale: str) -> str:
    digits = validation.card_number_digits(values.get("card_number", ""))
    brand = validation.card_brand(digits)
    name = validation.BRAND_NAMES.get(brand or "", "Card" if locale != "ja" else "カード")
    return _ENDING.get(locale, _ENDING["en"]).format(brand=name, last4=digits[-4:])


CARD = PageMethod(
    name="card",
    label={"en": "Credit or debit card", "ja": "クレジットカード"},
    template="methods/card.html",
    fields=(F.CARD_NUMBER, F.CARD_EXPIRY, F.CARD_CVC, F.CARD_NAME),
    confirm=_card_confirm,
    summary=_card_summary,
)


# -- konbini (convenience-store payment, Japan): nothing to type, paid later at the store --------


def _konbini_confirm(ctx: Ctx, pi: dict[str, Any], values: dict[str, str], return_url: str, billing: dict[str, Any]) -> dict[str, Any]:
    return payment_intents.confirm(ctx, pi, {"payment_method_data": {"type": "konbini", "billing_details": billing}})


def _konbini_summary(values: dict[str, str], locale: str) -> str:
    from .texts import TEXTS

    return TEXTS[locale]["konbini_summary"]


KONBINI = PageMethod(
    name="konbini",
    label={"en": "Konbini (convenience store)", "ja": "コンビニ払い"},
    template="methods/konbini.html",
    fields=(),
    confirm=_konbini_confirm,
    summary=_konbini_summary,
    currencies=("jpy",),
)


# The page's methods, in the order a page with no variant preference shows them.
PAGE_METHODS: dict[str, PageMethod] = {method.name: method for method in (CARD, KONBINI)}
