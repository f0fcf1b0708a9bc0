"""Currencies Stripe accepts, which of them have no minor unit, and the minimum charge amounts."""

from __future__ import annotations

# Stripe's zero-decimal currencies: amounts are in whole units (1000 JPY is amount=1000).
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)

# ISO 4217 codes Stripe lists as supported for card payments (a broad subset).
SUPPORTED = ZERO_DECIMAL | frozenset(
    """usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob brl bsd bwp byn bzd
    cad cdf chf cny cop crc cve czk dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gtq gyd hkd hnl
    htg huf idr ils inr isk jmd kes kgs khr kyd kzt lak lbp lkr lrd lsl mad mdl mkd mmk mnt mop mur
    mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd scr
    sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs uah uyu uzs wst xcd yer zar zmw""".split()
)

# Minimum charge amounts in the currency's smallest unit (Stripe's published minimums).
_MINIMUM = {"usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "cad": 50, "aud": 50, "chf": 50, "hkd": 400, "sgd": 50}
MAXIMUM_AMOUNT = 99_999_999


def is_supported_currency(code: str) -> bool:
    return code in SUPPORTED


def minimum_amount(currency: str) -> int:
    return _MINIMUM.get(currency, 1 if currency in ZERO_DECIMAL else 50)


def format_amount(amount: int, currency: str) -> str:
    """A human-readable amount for messages and pages: 1099 usd -> '10.99 USD', 1000 jpy -> '1,000 JPY'."""
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"
