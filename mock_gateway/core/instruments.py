"""Test instruments: Stripe's published test card numbers and `pm_card_*` tokens decide outcomes.

A full card number is never kept: a card becomes brand, funding, last4, expiry, a fingerprint
(an HMAC of the number) and the behaviour its test number stands for.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from .errors import StripeError, invalid_request


@dataclass(frozen=True)
class Behaviour:
    """What happens when a card is charged: succeed, decline with a code, or ask for 3-D Secure."""

    outcome: str = "succeed"  # succeed | decline | three_ds
    decline_code: str | None = None
    after_3ds: str = "succeed"  # for three_ds cards: succeed or the decline code after authentication

    def encode(self) -> str:
        return f"{self.outcome}:{self.decline_code or ''}:{self.after_3ds}"

    @classmethod
    def decode(cls, text: str) -> "Behaviour":
        outcome, code, after = text.split(":")
        return cls(outcome, code or None, after)


SUCCEED = Behaviour()


def _decline(code: str) -> Behaviour:
    return Behaviour("decline", code)


# Stripe's published test numbers (docs: Testing -> cards, declined payments, 3-D Secure).
TEST_CARDS: dict[str, tuple[str, str, Behaviour]] = {
    "4242424242424242": ("visa", "credit", SUCCEED),
    "4000056655665556": ("visa", "debit", SUCCEED),
    "4000000000000077": ("visa", "credit", SUCCEED),
    "5555555555554444": ("mastercard", "credit", SUCCEED),
    "2223003122003222": ("mastercard", "credit", SUCCEED),
    "5200828282828210": ("mastercard", "debit", SUCCEED),
    "5105105105105100": ("mastercard", "prepaid", SUCCEED),
    "378282246310005": ("amex", "credit", SUCCEED),
    "371449635398431": ("amex", "credit", SUCCEED),
    "6011111111111117": ("discover", "credit", SUCCEED),
    "3056930009020004": ("diners", "credit", SUCCEED),
    "3566002020360505": ("jcb", "credit", SUCCEED),
    "6200000000000005": ("unionpay", "credit", SUCCEED),
    "4000000000000002": ("visa", "credit", _decline("generic_decline")),
    "4000000000009995": ("visa", "credit", _decline("insufficient_funds")),
    "4000000000009987": ("visa", "credit", _decline("lost_card")),
    "4000000000009979": ("visa", "credit", _decline("stolen_card")),
    "4000000000000069": ("visa", "credit", _decline("expired_card")),
    "4000000000000127": ("visa", "credit", _decline("incorrect_cvc")),
    "4000000000000119": ("visa", "credit", _decline("processing_error")),
    "4000000000006975": ("visa", "credit", _decline("card_velocity_exceeded")),
    "4100000000000019": ("visa", "credit", _decline("fraudulent")),
    "4000000000003220": ("visa", "credit", Behaviour("three_ds")),
    "4000002500003155": ("visa", "credit", Behaviour("three_ds")),
    "4000002760003184": ("visa", "credit", Behaviour("three_ds")),
    "4000000000003063": ("visa", "credit", Behaviour("three_ds")),
    "4000008400001629": ("visa", "credit", Behaviour("three_ds", after_3ds="generic_decline")),
}

# `pm_card_*` tokens as Stripe documents them, and the test number each stands for.
PM_TOKENS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_mastercard_prepaid": "5105105105105100",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_diners": "3056930009020004",
    "pm_card_jcb": "3566002020360505",
    "pm_card_unionpay": "6200000000000005",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "pm_card_chargeDeclinedFraudulent": "4100000000000019",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
}
TOKENS = {"tok_" + name[len("pm_card_"):]: number for name, number in PM_TOKENS.items()}

# Messages and codes as Stripe answers a declined charge.
DECLINE_MESSAGES: dict[str, tuple[str, str, str | None]] = {
    # decline_code: (error code, message, param)
    "generic_decline": ("card_declined", "Your card was declined.", None),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds.", None),
    "lost_card": ("card_declined", "Your card was declined.", None),
    "stolen_card": ("card_declined", "Your card was declined.", None),
    "fraudulent": ("card_declined", "Your card was declined.", None),
    "card_velocity_exceeded": ("card_declined", "Your card was declined for making repeated attempts too frequently or exceeding its amount limit.", None),
    "expired_card": ("expired_card", "Your card has expired.", "exp_month"),
    "incorrect_cvc": ("incorrect_cvc", "Your card's security code is incorrect.", "cvc"),
    "processing_error": ("processing_error", "An error occurred while processing your card. Try again in a little bit.", None),
}

_BRANDS = (
    ("amex", ("34", "37"), (15,), 4),
    ("jcb", tuple(str(p) for p in range(3528, 3590)), (16, 19), 3),
    ("diners", ("300", "301", "302", "303", "304", "305", "36", "38"), (14, 16), 3),
    ("discover", ("6011", "65", "644", "645", "646", "647", "648", "649"), (16, 19), 3),
    ("unionpay", ("62",), (16, 17, 18, 19), 3),
    ("mastercard", tuple(str(p) for p in range(51, 56)) + tuple(str(p) for p in range(2221, 2721)), (16,), 3),
    ("visa", ("4",), (13, 16, 19), 3),
)


def luhn_valid(number: str) -> bool:
    """The Luhn checksum every card number carries."""
    if not number.isdigit() or not number:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    for brand, prefixes, _lengths, _cvc in _BRANDS:
        if number.startswith(prefixes):
            return brand
    return "unknown"


def brand_lengths(brand: str) -> tuple[int, ...]:
    for b, _p, lengths, _cvc in _BRANDS:
        if b == brand:
            return lengths
    return (12, 13, 14, 15, 16, 17, 18, 19)


def cvc_length(brand: str) -> int:
    for b, _p, _l, cvc in _BRANDS:
        if b == brand:
            return cvc
    return 3


def fingerprint(number: str, key: bytes) -> str:
    """The card's fingerprint: the same card gives the same one in this ledger, keyed by the ledger's own
    random secret (Store.fingerprint_key), so that it cannot be reversed from last4 and the BIN by anyone
    without that database."""
    return hmac.digest(key, number.encode(), hashlib.sha256).hex()[:16]


@dataclass(frozen=True)
class CardDetails:
    """What is kept of a card: never the number."""

    brand: str
    funding: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str
    behaviour: Behaviour
    cvc_check: str | None


def card_from_number(number: str, exp_month: int, exp_year: int, cvc: str | None, now_year: int, now_month: int,
                     key: bytes) -> CardDetails:
    """Turn raw card input into kept details, refusing what Stripe refuses at tokenisation."""
    number = number.replace(" ", "").replace("-", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_valid(number):
        raise StripeError(402, "card_error", "Your card number is incorrect.", code="incorrect_number", param="number")
    if not 1 <= exp_month <= 12:
        raise StripeError(402, "card_error", "Your card's expiration month is invalid.", code="invalid_expiry_month", param="exp_month")
    if exp_year < 100:
        exp_year += 2000
    if (exp_year, exp_month) < (now_year, now_month) or exp_year > now_year + 50:
        raise StripeError(402, "card_error", "Your card's expiration year is invalid.", code="invalid_expiry_year", param="exp_year")
    known = TEST_CARDS.get(number)
    brand, funding, behaviour = known if known else (brand_of(number), "credit", SUCCEED)
    if cvc is not None and (not cvc.isdigit() or len(cvc) not in (3, 4)):
        raise StripeError(402, "card_error", "Your card's security code is invalid.", code="invalid_cvc", param="cvc")
    return CardDetails(
        brand=brand,
        funding=funding,
        last4=number[-4:],
        exp_month=exp_month,
        exp_year=exp_year,
        fingerprint=fingerprint(number, key),
        behaviour=behaviour,
        cvc_check=None if cvc is None else ("fail" if behaviour.decline_code == "incorrect_cvc" else "pass"),
    )


def number_for_token(token: str) -> str:
    number = PM_TOKENS.get(token) or TOKENS.get(token)
    if number is None:
        raise invalid_request(f"No such token: '{token}'", param="payment_method", code="resource_missing", status=404)
    return number
