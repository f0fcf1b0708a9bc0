"""The one vocabulary of payment methods: every name the scenarios, personas, variants, load mix,
journeys and the reference page use for a way to pay.

Names are Stripe's payment-method types, which the mock gateway follows. Each method says what
the rest of the lab needs to know about it, so that no other module keeps its own list:
- `words`: how a shopper recognises it among the page's radio labels (journeys);
- `paid_later`: the checkout ends with the payment still waiting (a konbini slip, a transfer, a QR
  code scanned elsewhere), so the shopper is told the order is placed (reconciliation, reports);
- `load_keys`: its keys in a scenario's `[load.mix]` (card's test outcomes are keys of their own);
- `redirect`: the gateway's own page a load order is redirected to (by its path) and what the
  shopper does there;
- `on_page`: the reference hosted checkout shows it (mock_gateway/checkout/methods.py draws
  exactly these, a test checks it), so a variant may offer it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    name: str
    words: str
    paid_later: bool = False
    load_keys: tuple[str, ...] = ()
    redirect: tuple[str, str] | None = None
    on_page: bool = False


CARD = Method("card", r"card|カード", load_keys=("card_success", "card_decline", "card_3ds", "card_3ds_fail"),
              redirect=("3ds", "complete"), on_page=True)
KONBINI = Method("konbini", r"konbini|convenience|コンビニ", paid_later=True, load_keys=("konbini",), on_page=True)
CUSTOMER_BALANCE = Method("customer_balance", r"bank transfer|銀行振込|振込", paid_later=True, load_keys=("customer_balance",))
PAYPAL = Method("paypal", r"paypal", load_keys=("paypal",), redirect=("paypal", "approve"))
PAYPAY = Method("paypay", r"paypay", paid_later=True, load_keys=("paypay",))

# In this order wherever order matters (a persona's weights, the load mix, error messages).
METHODS: tuple[Method, ...] = (CARD, KONBINI, CUSTOMER_BALANCE, PAYPAL, PAYPAY)

NAMES: tuple[str, ...] = tuple(m.name for m in METHODS)
ON_PAGE: tuple[str, ...] = tuple(m.name for m in METHODS if m.on_page)
PAID_LATER: tuple[str, ...] = tuple(m.name for m in METHODS if m.paid_later)
LOAD_KEYS: tuple[str, ...] = tuple(key for m in METHODS for key in m.load_keys)
# What a shopper does on a redirect page, by the page's path (the gateway's hosted pages).
REDIRECT_ACTIONS: dict[str, str] = {m.redirect[0]: m.redirect[1] for m in METHODS if m.redirect}
# Label words, card's last: its words are the most general ("card" may stand in another label).
LABEL_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (m.name, re.compile(m.words, re.IGNORECASE)) for m in sorted(METHODS, key=lambda m: m is CARD)
)
