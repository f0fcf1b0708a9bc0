"""Properties of the checkout's validation rules (mock_gateway/checkout/validation.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mock_gateway.checkout.validation import MESSAGES, Context, Problem, card_brand, check, message, normalise, parse_expiry
from mock_gateway.core.instruments import TEST_CARDS, luhn_valid

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
NOW = Context(year=2030, month=6)


def luhn_digit(body: str) -> str:
    """The check digit that makes body + digit pass Luhn."""
    return next(d for d in "0123456789" if luhn_valid(body + d))


visa_bodies = st.text("0123456789", min_size=14, max_size=14).map(lambda s: "4" + s)


@given(visa_bodies)
def test_a_number_with_its_check_digit_is_accepted(body):
    number = body + luhn_digit(body)
    assert check("card_number", number) is None
    assert card_brand(number) == "visa"


@given(visa_bodies, st.integers(0, 15), st.integers(1, 9))
def test_changing_one_digit_is_caught(body, position, delta):
    number = body + luhn_digit(body)
    digit = (int(number[position]) + delta) % 10
    typo = number[:position] + str(digit) + number[position + 1:]
    problem = check("card_number", typo)
    assert problem is not None and problem.code in ("card_number.luhn", "card_number.length", "card_number.length_unknown")


@given(visa_bodies, st.integers(0, 14))
def test_swapping_adjacent_different_digits_is_caught_unless_they_are_0_and_9(body, i):
    number = body + luhn_digit(body)
    a, b = number[i], number[i + 1]
    swapped = number[:i] + b + a + number[i + 2:]
    if a != b and {a, b} != {"0", "9"} and swapped[0] == "4":
        assert check("card_number", swapped) is not None


@given(visa_bodies, st.sampled_from([" ", "-", "　", "－"]))
def test_full_width_digits_and_separators_normalise_to_the_same_number(body, sep):
    number = body + luhn_digit(body)
    typed = sep.join(number[i:i + 4] for i in range(0, 16, 4)).translate(FULL_WIDTH)
    assert normalise("card_number", typed) == number
    assert check("card_number", typed) is None


@given(st.text("0123456789", min_size=7, max_size=7), st.booleans(), st.booleans(), st.sampled_from(["-", "ー", "－", "‐"]))
def test_any_seven_digits_are_a_japanese_postal_code(digits, hyphen, full_width, dash):
    typed = digits[:3] + (dash if hyphen else "") + digits[3:]
    if full_width:
        typed = typed.translate(FULL_WIDTH)
    assert check("postal_code", typed, ctx=Context(country="JP")) is None
    assert normalise("postal_code", typed).replace("-", "") == digits


@given(st.text("0123456789", min_size=1, max_size=12).filter(lambda s: len(s) != 7))
def test_other_digit_counts_are_not_a_japanese_postal_code(digits):
    problem = check("postal_code", digits, ctx=Context(country="JP"))
    assert problem == Problem("postal_code.JP")


@given(st.text("0123456789", min_size=5, max_size=5), st.one_of(st.none(), st.text("0123456789", min_size=4, max_size=4)))
def test_us_zip_codes(zip5, plus4):
    typed = zip5 + (f"-{plus4}" if plus4 else "")
    assert check("postal_code", typed, ctx=Context(country="US")) is None
    assert check("postal_code", typed, ctx=Context(country="JP")) is not None


@given(st.text(st.characters(min_codepoint=0x30A1, max_codepoint=0x30F6) | st.characters(min_codepoint=0x3041, max_codepoint=0x3096),
               min_size=1, max_size=20))
def test_katakana_and_hiragana_are_kana(reading):
    assert check("kana", reading) is None
    assert check("kana", reading + "A") == Problem("kana.format")


def test_half_width_katakana_is_normalised_to_full_width():
    assert normalise("kana", "ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダ ハナコ"
    assert check("kana", "ﾔﾏﾀﾞ") is None
    assert check("kana", "山田") == Problem("kana.format")


@given(st.integers(1, 12), st.integers(2030, 2079), st.sampled_from(["{m:02d} / {y2:02d}", "{m:02d}/{y2:02d}", "{m:02d}{y2:02d}", "{m}/{y}"]))
def test_expiry_in_the_future_is_accepted_in_every_spelling(month, year, spelling):
    typed = spelling.format(m=month, y=year, y2=year % 100)
    assert parse_expiry(typed) == (month, year)
    expected = None if (year, month) >= (2030, 6) else Problem("card_expiry.past")
    assert check("card_expiry", typed, ctx=NOW) == expected
    assert check("card_expiry", typed.translate(FULL_WIDTH), ctx=NOW) == expected


def test_expiry_problems():
    assert check("card_expiry", "13 / 31", ctx=NOW) == Problem("card_expiry.month")
    assert check("card_expiry", "05 / 30", ctx=NOW) == Problem("card_expiry.past")
    assert check("card_expiry", "06 / 30", ctx=NOW) is None
    assert check("card_expiry", "June", ctx=NOW) == Problem("card_expiry.format")


def test_every_stripe_test_card_passes_and_its_cvc_length_follows_the_brand():
    for number, (brand, _funding, _behaviour) in TEST_CARDS.items():
        assert check("card_number", number) is None, number
        expected = 4 if brand == "amex" else 3
        assert check("card_cvc", "1" * expected, ctx=Context(brand=card_brand(number))) is None
        assert check("card_cvc", "1" * (7 - expected), ctx=Context(brand=card_brand(number))) is not None


@given(st.from_regex(r"\A[a-z0-9._]{1,20}@[a-z0-9]{1,12}\.[a-z]{2,6}\Z"))
def test_ordinary_email_addresses(email):
    assert check("email", email) is None
    assert check("email", email.replace("@", "")) == Problem("email.format")


def test_phone_numbers_by_country():
    jp, us = Context(country="JP"), Context(country="US")
    for ok in ("090-1234-5678", "03-1234-5678", "０９０１２３４５６７８", "+81 90 1234 5678"):
        assert check("phone", ok, ctx=jp) is None, ok
    for ok in ("(415) 555-0123", "+1 415 555 0123", "415.555.0123"):
        assert check("phone", ok, ctx=us) is None, ok
    assert check("phone", "12345", ctx=jp) == Problem("phone.JP")
    assert check("phone", "115-555-0123", ctx=us) == Problem("phone.US")


def test_password_rules():
    assert check("password", "short1", ctx=Context(min_length=8)) == Problem("password.too_short", {"min": 8})
    assert check("password", "lettersonly", ctx=Context(min_length=8)) == Problem("password.mix")
    assert check("password", "sesame1234", ctx=Context(min_length=8)) is None


def test_optional_fields_may_be_empty_and_required_ones_may_not():
    assert check("text", "   ", required=False) is None
    assert check("text", "   ") == Problem("required")


def test_every_message_exists_in_both_locales_and_names_the_field():
    assert set(MESSAGES["en"]) == set(MESSAGES["ja"])
    assert message(Problem("required"), "en", "email") == "Enter your email address"
    assert message(Problem("required"), "ja", "card_number") == "カード番号を入力してください"
    assert message(Problem("card_number.length", {"brand": "JCB", "digits": [16, 19]}), "en", "card_number") == \
        "Check the card number: a JCB card number has 16 or 19 digits"
    assert message(Problem("card_number.length", {"brand": "JCB", "digits": [16, 19]}), "ja", "card_number") == \
        "カード番号の桁数をご確認ください（JCBのカード番号は16または19桁です）"
