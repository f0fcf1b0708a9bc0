"""Test instruments: Stripe's published test card numbers and `pm_card_*` tokens decide outcomes.

A full card number is never kept: a card becomes brand, funding, last4, expiry, a fingerprint
(an HMAC of the number) and the behaviour its test number stands for.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass, fields
from typing import Any

from .errors import StripeError, invalid_request


@dataclass(frozen=True)
class Behaviour:
    """What a test card does: at charge time (succeed, decline with a code, ask for 3-D Secure), and
    around it (attach, Radar's verdict, the CVC and address checks, a dispute, a refund that fails,
    funds that skip the pending balance). Stored on the PaymentMethod as one short string."""

    outcome: str = "succeed"  # succeed | decline | three_ds
    decline_code: str | None = None
    after_3ds: str = "succeed"  # for three_ds cards: succeed or the decline code after authentication
    three_ds: str = "supported"  # required | on_setup (not once set up off-session) | optional | not_supported | supported
    attach: str = "ok"  # ok | decline: attaching verifies the card, and a declining card fails there
    risk_level: str = "normal"  # normal | elevated (manual_review) | highest (blocked by Radar)
    cvc_check: str = "pass"  # pass | fail (when a CVC is given)
    line1_check: str = "pass"  # pass | fail | unavailable (when an address is given)
    postal_check: str = "pass"
    dispute: str | None = None  # fraudulent | product_not_received | inquiry | multiple | early_fraud_warning
    funds: str = "pending"  # pending | available (bypassPending: straight to the available balance)
    refund: str = "succeed"  # succeed | fail (succeeded, then failed) | pending (pending, then succeeded)

    def encode(self) -> str:
        """`outcome:code:after` (the form older ledgers hold) then the other fields that differ from the default."""
        return _encode(self)

    @classmethod
    def decode(cls, text: str) -> Behaviour:
        return _decode(text)


@functools.lru_cache(maxsize=256)  # a handful of distinct behaviours; read on every confirm
def _encode(behaviour: Behaviour) -> str:
    extra = ",".join(f"{f.name}={getattr(behaviour, f.name)}" for f in fields(behaviour)[3:]
                     if getattr(behaviour, f.name) != f.default)
    head = f"{behaviour.outcome}:{behaviour.decline_code or ''}:{behaviour.after_3ds}"
    return f"{head}:{extra}" if extra else head


@functools.lru_cache(maxsize=256)
def _decode(text: str) -> Behaviour:
    outcome, code, after, *rest = text.split(":")
    extra = dict(pair.split("=", 1) for pair in rest[0].split(",")) if rest and rest[0] else {}
    return Behaviour(outcome, code or None, after, **extra)


SUCCEED = Behaviour()


def _decline(code: str, **more: str) -> Behaviour:
    return Behaviour("decline", code, attach="decline", **more)


def _three_ds(mode: str = "required", after: str = "succeed") -> Behaviour:
    return Behaviour("three_ds", after_3ds=after, three_ds=mode)


@dataclass(frozen=True)
class Instrument:
    """One row of Stripe's testing page: a number, what it is, what it does, and its `pm_card_*` names."""

    number: str
    brand: str
    funding: str
    country: str
    behaviour: Behaviour
    tokens: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()  # co-branded cards: every network the card can go through


def _row(number: str, brand: str, country: str = "US", behaviour: Behaviour = SUCCEED, *tokens: str,
         funding: str = "credit", networks: tuple[str, ...] = ()) -> Instrument:
    return Instrument(number, brand, funding, country, behaviour, tokens, networks)


# Stripe's testing page, https://docs.stripe.com/testing (sections: cards by brand, by country,
# declined payments, fraud prevention, invalid data, disputes, refunds, available balance,
# 3D Secure authentication, regulatory cards). Numbers not listed there behave like 4242.
INSTRUMENTS: tuple[Instrument, ...] = (
    # -- cards by brand
    _row("4242424242424242", "visa", "US", SUCCEED, "pm_card_visa", "pm_card_us"),
    _row("4012888888881881", "visa"),
    _row("4000056655665556", "visa", "US", SUCCEED, "pm_card_visa_debit", funding="debit"),
    _row("5555555555554444", "mastercard", "US", SUCCEED, "pm_card_mastercard"),
    _row("2223003122003222", "mastercard"),
    _row("5200828282828210", "mastercard", "US", SUCCEED, "pm_card_mastercard_debit", funding="debit"),
    _row("5105105105105100", "mastercard", "US", SUCCEED, "pm_card_mastercard_prepaid", funding="prepaid"),
    _row("378282246310005", "amex", "US", Behaviour(three_ds="not_supported"), "pm_card_amex",
         "pm_card_amex_threeDSecureNotSupported"),
    _row("371449635398431", "amex"),
    _row("6011111111111117", "discover", "US", SUCCEED, "pm_card_discover"),
    _row("6011000990139424", "discover"),
    _row("6011981111111113", "discover", funding="debit"),
    _row("3056930009020004", "diners", "US", SUCCEED, "pm_card_diners"),
    _row("36227206271667", "diners"),
    _row("3566002020360505", "jcb", "JP", SUCCEED, "pm_card_jcb"),
    _row("6200000000000005", "unionpay", "CN", SUCCEED, "pm_card_unionpay"),
    _row("6200000000000047", "unionpay", "CN", funding="debit"),
    _row("6205500000000000004", "unionpay", "CN"),
    # -- co-branded cards (the card's brand, and the local network beside it)
    _row("4000002500001001", "visa", "FR", networks=("cartes_bancaires", "visa")),
    _row("5555552500001001", "mastercard", "FR", networks=("cartes_bancaires", "mastercard")),
    _row("4000050360000001", "visa", "AU", networks=("eftpos_au", "visa"), funding="debit"),
    _row("5555050360000080", "mastercard", "AU", networks=("eftpos_au", "mastercard"), funding="debit"),
    # -- cards by country (Americas, Europe and Middle East, Asia Pacific)
    _row("4000000320000021", "visa", "AR", SUCCEED, "pm_card_ar"),
    _row("4000000760000002", "visa", "BR", SUCCEED, "pm_card_br"),
    _row("4000001240000000", "visa", "CA", SUCCEED, "pm_card_ca"),
    _row("4000001520000001", "visa", "CL", SUCCEED, "pm_card_cl"),
    _row("4000001700000003", "visa", "CO", SUCCEED, "pm_card_co"),
    _row("4000001880000005", "visa", "CR", SUCCEED, "pm_card_cr"),
    _row("4000002180000000", "visa", "EC", SUCCEED, "pm_card_ec"),
    _row("4000004840008001", "visa", "MX", SUCCEED, "pm_card_mx"),
    _row("4000005910000000", "visa", "PA", SUCCEED, "pm_card_pa"),
    _row("4000006000000066", "visa", "PY", SUCCEED, "pm_card_py"),
    _row("4000006040000068", "visa", "PE", SUCCEED, "pm_card_pe"),
    _row("4000008580000003", "visa", "UY", SUCCEED, "pm_card_uy"),
    _row("4000007840000001", "visa", "AE", SUCCEED, "pm_card_ae"),
    _row("5200007840000022", "mastercard", "AE", SUCCEED, "pm_card_ae_mastercard"),
    _row("4000000400000008", "visa", "AT", SUCCEED, "pm_card_at"),
    _row("4000000560000004", "visa", "BE", SUCCEED, "pm_card_be"),
    _row("4000001000000000", "visa", "BG", SUCCEED, "pm_card_bg"),
    _row("4000001120000005", "visa", "BY", SUCCEED, "pm_card_by"),
    _row("4000001910000009", "visa", "HR", SUCCEED, "pm_card_hr"),
    _row("4000001960000008", "visa", "CY", SUCCEED, "pm_card_cy"),
    _row("4000002030000002", "visa", "CZ", SUCCEED, "pm_card_cz"),
    _row("4000002080000001", "visa", "DK", SUCCEED, "pm_card_dk"),
    _row("4000002330000009", "visa", "EE", SUCCEED, "pm_card_ee"),
    _row("4000002460000001", "visa", "FI", SUCCEED, "pm_card_fi"),
    _row("4000002500000003", "visa", "FR", SUCCEED, "pm_card_fr"),
    _row("4000002760000016", "visa", "DE", SUCCEED, "pm_card_de"),
    _row("4000002920000005", "visa", "GI", SUCCEED, "pm_card_gi"),
    _row("4000003000000030", "visa", "GR", SUCCEED, "pm_card_gr"),
    _row("4000003480000005", "visa", "HU", SUCCEED, "pm_card_hu"),
    _row("4000003720000005", "visa", "IE", SUCCEED, "pm_card_ie"),
    _row("4000003800000008", "visa", "IT", SUCCEED, "pm_card_it"),
    _row("4000004280000005", "visa", "LV", SUCCEED, "pm_card_lv"),
    _row("4000004380000004", "visa", "LI", SUCCEED, "pm_card_li"),
    _row("4000004400000000", "visa", "LT", SUCCEED, "pm_card_lt"),
    _row("4000004420000006", "visa", "LU", SUCCEED, "pm_card_lu"),
    _row("4000004700000007", "visa", "MT", SUCCEED, "pm_card_mt"),
    _row("4000005280000002", "visa", "NL", SUCCEED, "pm_card_nl"),
    _row("4000005780000007", "visa", "NO", SUCCEED, "pm_card_no"),
    _row("4000006160000005", "visa", "PL", SUCCEED, "pm_card_pl"),
    _row("4000006200000007", "visa", "PT", SUCCEED, "pm_card_pt"),
    _row("4000006420000001", "visa", "RO", SUCCEED, "pm_card_ro"),
    _row("4000006820000007", "visa", "SA", SUCCEED, "pm_card_sa"),
    _row("4000007050000006", "visa", "SI", SUCCEED, "pm_card_si"),
    _row("4000007030000001", "visa", "SK", SUCCEED, "pm_card_sk"),
    _row("4000007240000007", "visa", "ES", SUCCEED, "pm_card_es"),
    _row("4000007520000008", "visa", "SE", SUCCEED, "pm_card_se"),
    _row("4000007560000009", "visa", "CH", SUCCEED, "pm_card_ch"),
    _row("4000008260000000", "visa", "GB", SUCCEED, "pm_card_gb"),
    _row("4000058260000005", "visa", "GB", SUCCEED, "pm_card_gb_debit", funding="debit"),
    _row("5555558265554449", "mastercard", "GB", SUCCEED, "pm_card_gb_mastercard"),
    _row("4000000360000006", "visa", "AU", SUCCEED, "pm_card_au"),
    _row("4000001560000002", "visa", "CN", SUCCEED, "pm_card_cn"),
    _row("4000003440000004", "visa", "HK", SUCCEED, "pm_card_hk"),
    _row("4000003560000008", "visa", "IN", SUCCEED, "pm_card_in"),
    _row("4000003920000003", "visa", "JP", SUCCEED, "pm_card_jp"),
    _row("3530111333300000", "jcb", "JP"),
    _row("4000004580000002", "visa", "MY", SUCCEED, "pm_card_my"),
    _row("4000005540000008", "visa", "NZ", SUCCEED, "pm_card_nz"),
    _row("4000007020000003", "visa", "SG", SUCCEED, "pm_card_sg"),
    _row("4000001580000008", "visa", "TW", SUCCEED, "pm_card_tw"),
    _row("4000007640000003", "visa", "TH", SUCCEED, "pm_card_th_credit"),
    _row("4000057640000008", "visa", "TH", SUCCEED, "pm_card_th_debit", funding="debit"),
    # -- declined payments (attaching verifies the card: these fail there too, except chargeCustomerFail)
    _row("4000000000000002", "visa", "US", _decline("generic_decline"),
         "pm_card_visa_chargeDeclined", "pm_card_chargeDeclined"),
    _row("4000000000009995", "visa", "US", _decline("insufficient_funds"),
         "pm_card_visa_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedInsufficientFunds"),
    _row("4000000000009987", "visa", "US", _decline("lost_card"),
         "pm_card_visa_chargeDeclinedLostCard", "pm_card_chargeDeclinedLostCard"),
    _row("4000000000009979", "visa", "US", _decline("stolen_card"),
         "pm_card_visa_chargeDeclinedStolenCard", "pm_card_chargeDeclinedStolenCard"),
    _row("4000000000000069", "visa", "US", _decline("expired_card"), "pm_card_chargeDeclinedExpiredCard"),
    _row("4000000000000127", "visa", "US", _decline("incorrect_cvc", cvc_check="fail"),
         "pm_card_chargeDeclinedIncorrectCvc"),
    _row("4000000000000119", "visa", "US", _decline("processing_error"), "pm_card_chargeDeclinedProcessingError"),
    _row("4000000000006975", "visa", "US", _decline("card_velocity_exceeded"),
         "pm_card_visa_chargeDeclinedVelocityLimitExceeded", "pm_card_chargeDeclinedVelocityLimitExceeded"),
    _row("4000000000000341", "visa", "US", Behaviour("decline", "generic_decline"), "pm_card_chargeCustomerFail"),
    # -- fraud prevention (Radar) and the CVC and address checks
    _row("4100000000000019", "visa", "US", _decline("fraudulent", risk_level="highest"),
         "pm_card_radarBlock", "pm_card_chargeDeclinedFraudulent"),
    _row("4000000000004954", "visa", "US", _decline("fraudulent", risk_level="highest"), "pm_card_riskLevelHighest"),
    _row("4000000000009235", "visa", "US", Behaviour(risk_level="elevated"), "pm_card_riskLevelElevated"),
    _row("4000000000000101", "visa", "US", Behaviour(cvc_check="fail"), "pm_card_cvcCheckFail"),
    _row("4000000000000010", "visa", "US", Behaviour(line1_check="fail", postal_check="fail"), "pm_card_avsFail"),
    _row("4000000000000028", "visa", "US", Behaviour(line1_check="fail"), "pm_card_avsLine1Fail"),
    _row("4000000000000036", "visa", "US", Behaviour(postal_check="fail"), "pm_card_avsZipFail"),
    _row("4000000000000044", "visa", "US", Behaviour(line1_check="unavailable", postal_check="unavailable"),
         "pm_card_avsUnchecked"),
    # -- disputes
    _row("4000000000000259", "visa", "US", Behaviour(dispute="fraudulent"), "pm_card_createDispute"),
    _row("4000000000002685", "visa", "US", Behaviour(dispute="product_not_received"),
         "pm_card_createDisputeProductNotReceived"),
    _row("4000000000001976", "visa", "US", Behaviour(dispute="inquiry"), "pm_card_createDisputeInquiry"),
    _row("4000000404000079", "visa", "US", Behaviour(dispute="multiple"), "pm_card_createMultipleDisputes"),
    _row("4000000000005423", "visa", "US", Behaviour(dispute="early_fraud_warning"), "pm_card_createIssuerFraudRecord"),
    # -- refunds and the available balance
    _row("4000000000007726", "visa", "US", Behaviour(refund="pending"), "pm_card_pendingRefund"),
    _row("4000000000005126", "visa", "US", Behaviour(refund="fail"), "pm_card_refundFail"),
    _row("4000000000000077", "visa", "US", Behaviour(funds="available"), "pm_card_bypassPending"),
    _row("4000003720000278", "visa", "IE", Behaviour(funds="available"), "pm_card_bypassPendingInternational"),
    # -- 3D Secure authentication and the regulatory (SCA) cards
    _row("4000002500003155", "visa", "FR", _three_ds("on_setup"), "pm_card_authenticationRequiredOnSetup"),
    _row("4000002760003184", "visa", "DE", _three_ds(), "pm_card_authenticationRequired"),
    _row("4000003800000446", "visa", "IT", _three_ds("set_up"), "pm_card_authenticationRequiredSetupForOffSession"),
    _row("4000008260003178", "visa", "GB", _three_ds(after="insufficient_funds"),
         "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds"),
    _row("4000000000003220", "visa", "US", _three_ds(), "pm_card_threeDSecure2Required"),
    _row("4000000000003063", "visa", "US", _three_ds(), "pm_card_threeDSecureRequired"),
    _row("4000008400001629", "visa", "US", _three_ds(after="generic_decline"), "pm_card_threeDSecureRequiredChargeDeclined"),
    _row("4000008400001280", "visa", "US", _three_ds(after="processing_error"),
         "pm_card_threeDSecureRequiredProcessingError"),
    _row("4000000000003055", "visa", "US", Behaviour(three_ds="optional"), "pm_card_threeDSecureOptional"),
    _row("4000000000003097", "visa", "US", Behaviour(three_ds="optional"), "pm_card_threeDSecureOptionalProcessingError"),
)

BY_NUMBER: dict[str, Instrument] = {row.number: row for row in INSTRUMENTS}

# The older view (number -> brand, funding, behaviour) the checkout's validation tests read.
TEST_CARDS: dict[str, tuple[str, str, Behaviour]] = {r.number: (r.brand, r.funding, r.behaviour) for r in INSTRUMENTS}

# `pm_card_*` tokens as Stripe documents them, and the test number each stands for; every one has
# its `tok_*` twin (pm_card_visa -> tok_visa, pm_card_visa_chargeDeclined -> tok_visa_chargeDeclined).
PM_TOKENS: dict[str, str] = {name: row.number for row in INSTRUMENTS for name in row.tokens}
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
    country: str = "US"
    networks: tuple[str, ...] = ()


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
    known = BY_NUMBER.get(number)
    brand, funding, behaviour = (known.brand, known.funding, known.behaviour) if known else (brand_of(number), "credit", SUCCEED)
    country = known.country if known else ("JP" if brand == "jcb" else "US")
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
        cvc_check=None if cvc is None else behaviour.cvc_check,
        country=country,
        networks=known.networks if known and known.networks else (brand,),
    )


def address_checks(behaviour: Behaviour, address: dict[str, Any] | None) -> dict[str, str | None]:
    """address_line1_check and address_postal_code_check: unchecked (None) where that part was not given."""
    address = address or {}
    return {
        "address_line1_check": behaviour.line1_check if address.get("line1") else None,
        "address_postal_code_check": behaviour.postal_check if address.get("postal_code") else None,
    }


RISK_SCORES = {"normal": 12, "elevated": 68, "highest": 91}


def charge_outcome(behaviour: Behaviour, paid: bool, decline_code: str | None) -> dict[str, Any]:
    """The charge's `outcome` as Radar and the network answer it: authorized, issuer_declined, blocked
    (Radar, highest risk) or manual_review (elevated risk: paid, flagged for review)."""
    blocked = not paid and behaviour.risk_level == "highest"
    if paid:
        kind = "manual_review" if behaviour.risk_level == "elevated" else "authorized"
        reason = "elevated_risk_level" if kind == "manual_review" else None
        message = "Stripe evaluated this payment as having elevated risk, and placed it in your manual review queue." \
            if kind == "manual_review" else "Payment complete."
    elif blocked:
        kind, reason = "blocked", "highest_risk_level"
        message = "Stripe blocked this payment as too risky."
    else:
        kind, reason = "issuer_declined", decline_code
        message = "The bank did not return any further details with this decline."
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "not_sent_to_network" if blocked else ("approved_by_network" if paid else "declined_by_network"),
        "reason": reason,
        "risk_level": behaviour.risk_level,
        "risk_score": RISK_SCORES.get(behaviour.risk_level, 12),
        "seller_message": message,
        "type": kind,
    }


def number_for_token(token: str) -> str:
    number = PM_TOKENS.get(token) or TOKENS.get(token)
    if number is None:
        raise invalid_request(f"No such token: '{token}'", param="payment_method", code="resource_missing", status=404)
    return number
