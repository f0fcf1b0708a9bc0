"""The checkout's validation rules: one module for the server and the page.

The server calls `check()` on every submission (it always validates again); the page gets the
same patterns, card-brand table and messages as JSON (`page_rules()`) and its small script
(static/checkout.js) applies them with the same steps in the same order, so a shopper sees the
same message whether it came from the browser or from the server. tests/test_checkout_browser.py
runs both on the same inputs and compares.

Input is normalised first (NFKC: full-width digits and letters become ASCII, half-width katakana
become full-width; hyphen look-alikes become "-"), as Japanese shoppers type with an IME.
Patterns use only syntax that Python's `re` and JavaScript's `RegExp(…, "u")` read alike
([0-9] rather than \\d, which is wider in Python).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Brand prefixes, lengths and CVC lengths are the gateway's own table (core/instruments.py), so the
# page refuses exactly what the gateway would refuse. `_BRANDS` is read, never changed.
from ..core.instruments import _BRANDS, brand_lengths, brand_of, cvc_length, luhn_valid
from .regions import COUNTRIES, address_format, ascii_digits

LOCALES = ("en", "ja")
KINDS = ("text", "email", "password", "card_number", "card_expiry", "card_cvc", "postal_code", "phone", "kana", "choice")
TEXT_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254

HYPHENS = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d"
PATTERNS: dict[str, str] = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "kana": r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fb-\u30fe ]+$",
    "card_expiry": r"^([0-9]{1,2})[/\-]?([0-9]{2}|[0-9]{4})$",
    "digits": r"^[0-9]+$",
    "letter": r"[A-Za-z]",
    "digit": r"[0-9]",
    "hyphens": "[" + HYPHENS + "]",
    "spaces": r"\s+",
    "phone_separators": r"[\s().]+",
}
_RE = {name: re.compile(p) for name, p in PATTERNS.items()}


# -- postal codes (Google's address metadata) and phone numbers (libphonenumber's metadata) -----
# Both are patterns the page's script applies too, so they are built once per country from the
# metadata rather than checked by calling a library the browser does not have. A phone number is
# valid here exactly when it matches one of the country's number types in `phonenumbers`
# (tests/test_address_validation.py compares this rule with phonenumbers.is_valid_number).


@functools.lru_cache(maxsize=512)
def postal_rule(country: str) -> tuple[str, str, dict[str, str]] | None:
    """(pattern, problem code, message params) for the country's postal codes; None: it has none."""
    if country not in COUNTRIES:
        return None
    fmt = address_format(country)
    if fmt.postal_pattern is None:
        return None
    if f"postal_code.{country}" in MESSAGES["en"]:
        return fmt.postal_pattern, f"postal_code.{country}", {}
    return fmt.postal_pattern, f"postal_code.{fmt.postal_type}", {"example": fmt.postal_example or ""}


_PHONE_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip",
                "pager", "uan", "voicemail")


@functools.lru_cache(maxsize=512)
def phone_rule(country: str) -> tuple[str, str, dict[str, str]] | None:
    """(pattern, problem code, message params) for phone numbers of `country`: in the national
    format (with or without the trunk prefix, 0 in most countries) or with +country code. Numbers
    of another country sharing the code (+1 for Canada on a US address) are refused."""
    import phonenumbers

    meta = phonenumbers.PhoneMetadata.metadata_for_region(country)
    types = [d.national_number_pattern for d in (getattr(meta, t) for t in _PHONE_TYPES)
             if d is not None and d.national_number_pattern] if meta is not None else []
    if meta is None or not types:  # no numbering plan (Antarctica, Bouvet Island, ...): any number in E.164
        return "^\\+[1-9][0-9]{5,14}$", "phone.international", {}
    trunk = re.escape(meta.national_prefix) if meta.national_prefix else ""
    # +81 90..., 090..., 90...; and +81 090... (the trunk prefix kept after the country code)
    head = f"\\+{meta.country_code}" + (f"(?:{trunk})?|{trunk}" if trunk else "")
    pattern = f"^(?:{head})?(?:{'|'.join(ascii_digits(t) for t in types)})$"
    if f"phone.{country}" in MESSAGES["en"]:
        return pattern, f"phone.{country}", {}
    example = (phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
               or phonenumbers.example_number(country))
    shown = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL) if example else ""
    return pattern, "phone.format", {"example": shown}


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)

BRAND_NAMES = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "jcb": "JCB",
    "diners": "Diners Club",
    "discover": "Discover",
    "unionpay": "UnionPay",
}

# Messages say what is wrong and how to fix it. "required" messages are per field (the field's
# name in the form); the others per problem. {placeholders} are filled by `message()`.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "required.email": "Enter your email address",
        "required.password": "Create a password",
        "required.name": "Enter your full name",
        "required.family_name": "Enter your last name",
        "required.given_name": "Enter your first name",
        "required.name_kana": "Enter the reading of your name",
        "required.family_name_kana": "Enter the reading of your last name",
        "required.given_name_kana": "Enter the reading of your first name",
        "required.company": "Enter your company name",
        "required.country": "Choose your country",
        "required.postal_code": "Enter your postal code",
        "required.state": "Choose your state or prefecture",
        "required.city": "Enter your city",
        "required.line1": "Enter the first line of your address",
        "required.line2": "Enter the second line of your address",
        "required.phone": "Enter your phone number",
        "required.payment_method": "Choose a payment method",
        "required.card_number": "Enter your card number",
        "required.card_expiry": "Enter the expiry date of your card",
        "required.card_cvc": "Enter the security code of your card",
        "required.card_name": "Enter the name shown on your card",
        "required": "Fill in this field",
        "text.too_long": "Enter no more than {max} characters",
        "email.format": "Enter an email address in the correct format, like name@example.com",
        "password.too_short": "Your password must have at least {min} characters",
        "password.mix": "Your password must include at least one letter and one number",
        "card_number.format": "Enter the card number using digits only",
        "card_number.length": "Check the card number: a {brand} card number has {digits} digits",
        "card_number.length_unknown": "Check the card number: it has too few or too many digits",
        "card_number.luhn": "Check the card number: it is not a valid card number, look for a mistyped digit",
        "card_expiry.format": "Enter the expiry date as month and year, like 04 / 28",
        "card_expiry.month": "Enter a month between 01 and 12",
        "card_expiry.past": "This card has expired: check the date or use another card",
        "card_expiry.far": "Check the expiry year: it is too far in the future",
        "card_cvc.format": "Enter the security code using digits only",
        "card_cvc.length_3": "Enter the 3-digit security code from the back of your card",
        "card_cvc.length_4": "Enter the 4-digit security code from the front of your card",
        "postal_code.JP": "Enter a 7-digit postal code, like 150-0001",
        "postal_code.US": "Enter a 5-digit ZIP code, like 94103",
        "phone.JP": "Enter a phone number of 10 or 11 digits, like 090-1234-5678",
        "phone.US": "Enter a 10-digit phone number, like 415-555-0123",
        "postal_code.postal": "Enter a valid postal code, like {example}",
        "postal_code.zip": "Enter a valid ZIP code, like {example}",
        "postal_code.pin": "Enter a valid PIN code, like {example}",
        "postal_code.eircode": "Enter a valid Eircode, like {example}",
        "phone.format": "Enter a valid phone number, like {example}",
        "phone.international": "Enter the phone number with + and its country code, like +44 20 7946 0018",
        # the country's own name for a field, where it is not the shipped one (fields.py)
        "required.postal_code.zip": "Enter your ZIP code",
        "required.postal_code.pin": "Enter your PIN code",
        "required.postal_code.eircode": "Enter your Eircode",
        "required.state.state": "Choose your state",
        "required.state.province": "Choose your province",
        "required.state.prefecture": "Choose your prefecture",
        "required.state.do_si": "Choose your province or metropolitan city",
        "required.state.county": "Choose your county",
        "required.state.area": "Choose your area",
        "required.state.island": "Choose your island",
        "required.state.parish": "Choose your parish",
        "required.state.emirate": "Choose your emirate",
        "required.state.department": "Choose your department",
        "required.state.district": "Choose your district",
        "required.state.oblast": "Choose your region",
        "required.city.post_town": "Enter your town or city",
        "required.city.suburb": "Enter your suburb or town",
        "required.city.district": "Enter your city or district",
        "kana.format": "Enter the reading in katakana or hiragana",
        "choice.invalid": "Choose one of the options in the list",
        "or": " or ",
    },
    "ja": {
        "required.email": "メールアドレスを入力してください",
        "required.password": "パスワードを設定してください",
        "required.name": "氏名を入力してください",
        "required.family_name": "姓を入力してください",
        "required.given_name": "名を入力してください",
        "required.name_kana": "フリガナを入力してください",
        "required.family_name_kana": "セイを入力してください",
        "required.given_name_kana": "メイを入力してください",
        "required.company": "会社名を入力してください",
        "required.country": "国・地域を選択してください",
        "required.postal_code": "郵便番号を入力してください",
        "required.state": "都道府県を選択してください",
        "required.city": "市区町村を入力してください",
        "required.line1": "町名・番地を入力してください",
        "required.line2": "建物名・部屋番号を入力してください",
        "required.phone": "電話番号を入力してください",
        "required.payment_method": "お支払い方法を選択してください",
        "required.card_number": "カード番号を入力してください",
        "required.card_expiry": "有効期限を入力してください",
        "required.card_cvc": "セキュリティコードを入力してください",
        "required.card_name": "カード名義を入力してください",
        "required": "この項目を入力してください",
        "text.too_long": "{max}文字以内で入力してください",
        "email.format": "メールアドレスを name@example.com のような形式で入力してください",
        "password.too_short": "パスワードは{min}文字以上で入力してください",
        "password.mix": "パスワードには英字と数字をそれぞれ1文字以上含めてください",
        "card_number.format": "カード番号は数字のみで入力してください",
        "card_number.length": "カード番号の桁数をご確認ください（{brand}のカード番号は{digits}桁です）",
        "card_number.length_unknown": "カード番号の桁数をご確認ください",
        "card_number.luhn": "カード番号が正しくありません。入力ミスがないかご確認ください",
        "card_expiry.format": "有効期限を「月 / 年」の形式で入力してください（例: 04 / 28）",
        "card_expiry.month": "月は01から12の間で入力してください",
        "card_expiry.past": "このカードは有効期限が切れています。日付をご確認いただくか、別のカードをご利用ください",
        "card_expiry.far": "有効期限の年をご確認ください",
        "card_cvc.format": "セキュリティコードは数字のみで入力してください",
        "card_cvc.length_3": "カード裏面の3桁のセキュリティコードを入力してください",
        "card_cvc.length_4": "カード表面の4桁のセキュリティコードを入力してください",
        "postal_code.JP": "郵便番号は7桁の数字で入力してください（例: 150-0001）",
        "postal_code.US": "ZIPコードは5桁の数字で入力してください（例: 94103）",
        "phone.JP": "電話番号は10桁または11桁の数字で入力してください（例: 090-1234-5678）",
        "phone.US": "電話番号は10桁の数字で入力してください（例: 415-555-0123）",
        "postal_code.postal": "郵便番号を正しく入力してください（例: {example}）",
        "postal_code.zip": "ZIPコードを正しく入力してください（例: {example}）",
        "postal_code.pin": "PINコードを正しく入力してください（例: {example}）",
        "postal_code.eircode": "Eircodeを正しく入力してください（例: {example}）",
        "phone.format": "電話番号を正しく入力してください（例: {example}）",
        "phone.international": "電話番号は+と国番号から入力してください（例: +44 20 7946 0018）",
        "required.postal_code.zip": "ZIPコードを入力してください",
        "required.postal_code.pin": "PINコードを入力してください",
        "required.postal_code.eircode": "Eircodeを入力してください",
        "required.state.state": "州を選択してください",
        "required.state.province": "省・州を選択してください",
        "required.state.prefecture": "都道府県を選択してください",
        "required.state.do_si": "道・市を選択してください",
        "required.state.county": "郡・県を選択してください",
        "required.state.area": "地域を選択してください",
        "required.state.island": "島を選択してください",
        "required.state.parish": "教区を選択してください",
        "required.state.emirate": "首長国を選択してください",
        "required.state.department": "県を選択してください",
        "required.state.district": "地区を選択してください",
        "required.state.oblast": "州を選択してください",
        "required.city.post_town": "市区町村を入力してください",
        "required.city.suburb": "市区町村を入力してください",
        "required.city.district": "市区町村を入力してください",
        "kana.format": "フリガナはカタカナまたはひらがなで入力してください",
        "choice.invalid": "一覧から選択してください",
        "or": "または",
    },
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with one value: a message key and the values its message needs."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True)
class Context:
    """What a rule needs besides the value: the address country, the card brand, today."""

    country: str = "JP"
    brand: str | None = None  # the brand of the card number on the same form, if known
    year: int = 2000
    month: int = 1
    min_length: int = 8  # passwords
    choices: tuple[str, ...] = ()


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def normalise(kind: str, value: str) -> str:
    """The value as the server keeps it: what the shopper meant, in one canonical spelling."""
    if kind == "password":
        return value
    value = nfkc(value).strip()
    if kind in ("card_number", "card_cvc"):
        return _RE["spaces"].sub("", _RE["hyphens"].sub("", value))
    if kind == "card_expiry":
        return _RE["spaces"].sub("", value)
    if kind == "postal_code":  # one space kept where typed (SW1A 1AA); letters in capitals
        return _RE["spaces"].sub(" ", _RE["hyphens"].sub("-", value)).upper()
    if kind == "phone":
        return _RE["phone_separators"].sub("", _RE["hyphens"].sub("", value))
    if kind in ("text", "kana"):
        return _RE["spaces"].sub(" ", value)
    return value


def card_number_digits(value: str) -> str:
    return normalise("card_number", value)


def card_brand(value: str) -> str | None:
    """The brand of a (possibly partial) card number, or None when nothing is known yet."""
    digits = card_number_digits(value)
    if not digits or not _RE["digits"].match(digits):
        return None
    brand = brand_of(digits)
    return None if brand == "unknown" else brand


def check(kind: str, value: str, required: bool = True, ctx: Context = Context()) -> Problem | None:
    """The first problem with `value` as a field of this kind, or None if it is acceptable."""
    v = normalise(kind, value)
    if v == "":
        return Problem("required") if required else None
    if kind == "text":
        return Problem("text.too_long", {"max": TEXT_MAX_LENGTH}) if len(v) > TEXT_MAX_LENGTH else None
    if kind == "email":
        if len(v) > EMAIL_MAX_LENGTH or not _RE["email"].match(v):
            return Problem("email.format")
        return None
    if kind == "password":
        if len(v) < ctx.min_length:
            return Problem("password.too_short", {"min": ctx.min_length})
        if not _RE["letter"].search(v) or not _RE["digit"].search(v):
            return Problem("password.mix")
        return None
    if kind == "card_number":
        return _check_card_number(v)
    if kind == "card_expiry":
        return _check_expiry(v, ctx)
    if kind == "card_cvc":
        if not _RE["digits"].match(v):
            return Problem("card_cvc.format")
        expected = (cvc_length(ctx.brand),) if ctx.brand else (3, 4)
        if len(v) not in expected:
            return Problem("card_cvc.length_4" if expected == (4,) else "card_cvc.length_3")
        return None
    if kind == "postal_code":
        rule = postal_rule(ctx.country)
        if rule is None:
            return None
        pattern = _compiled(rule[0])
        return None if pattern.match(v) or pattern.match(v.replace(" ", "")) else Problem(rule[1], rule[2])
    if kind == "phone":
        rule = phone_rule(ctx.country)
        if rule is None:
            return None
        return None if _compiled(rule[0]).match(v) else Problem(rule[1], rule[2])
    if kind == "kana":
        if len(v) > TEXT_MAX_LENGTH:
            return Problem("text.too_long", {"max": TEXT_MAX_LENGTH})
        return None if _RE["kana"].match(v) else Problem("kana.format")
    if kind == "choice":
        return None if v in ctx.choices else Problem("choice.invalid")
    raise ValueError(f"unknown field kind {kind!r}; expected one of {', '.join(KINDS)}")


def _check_card_number(v: str) -> Problem | None:
    if not _RE["digits"].match(v):
        return Problem("card_number.format")
    brand = brand_of(v)
    lengths = brand_lengths(brand)
    if len(v) not in lengths:
        if brand == "unknown":
            return Problem("card_number.length_unknown")
        return Problem("card_number.length", {"brand": BRAND_NAMES.get(brand, brand), "digits": list(lengths)})
    if not luhn_valid(v):
        return Problem("card_number.luhn")
    return None


def parse_expiry(value: str) -> tuple[int, int] | None:
    """(month, four-digit year) from "04 / 28", "0428", "4/2028", ...; None if not a date."""
    m = _RE["card_expiry"].match(normalise("card_expiry", value))
    if not m:
        return None
    month, year = int(m.group(1)), int(m.group(2))
    return month, (year + 2000 if len(m.group(2)) == 2 else year)


def _check_expiry(v: str, ctx: Context) -> Problem | None:
    parsed = parse_expiry(v)
    if parsed is None:
        return Problem("card_expiry.format")
    month, year = parsed
    if not 1 <= month <= 12:
        return Problem("card_expiry.month")
    if (year, month) < (ctx.year, ctx.month):
        return Problem("card_expiry.past")
    if year > ctx.year + 50:
        return Problem("card_expiry.far")
    return None


def required_keys(country: str | None) -> dict[str, str]:
    """{field name: message key} for the address fields a country names its own way (India's
    "PIN code": "Enter your PIN code"); the shipped countries (JP, US) keep the shipped words."""
    if country is None or country in ("JP", "US") or country not in COUNTRIES:
        return {}
    fmt = address_format(country)
    keys = {"postal_code": f"required.postal_code.{fmt.postal_type}", "state": f"required.state.{fmt.area_type}",
            "city": f"required.city.{fmt.city_type}"}
    return {name: key for name, key in keys.items() if key in MESSAGES["en"]}


def message(problem: Problem, locale: str, field_name: str, country: str | None = None) -> str:
    """The text a shopper reads for `problem` on field `field_name` of an address in `country`,
    in `locale` (en or ja)."""
    texts = MESSAGES[locale if locale in MESSAGES else "en"]
    if problem.code in ("required", "choice.invalid"):
        own = required_keys(country).get(field_name)
        if own and own in texts:
            return texts[own]
    if problem.code == "required":
        return texts.get(f"required.{field_name}", texts["required"])
    if problem.code == "choice.invalid" and f"required.{field_name}" in texts:
        return texts[f"required.{field_name}"]
    params = {k: (texts["or"].join(str(x) for x in v) if isinstance(v, list) else v) for k, v in problem.params.items()}
    return texts[problem.code].format(**params)


def prefix_ranges(prefixes: Iterable[str]) -> list[list[str]]:
    """Card prefixes as [low, high] runs of same-length numbers (Mastercard's 2221-2720 is one run)."""
    runs: list[list[str]] = []
    for p in prefixes:
        last = runs[-1] if runs else None
        if last and len(last[1]) == len(p) and int(p) == int(last[1]) + 1:
            last[1] = p
        else:
            runs.append([p, p])
    return runs


@functools.lru_cache(maxsize=1024)
def page_rules(locale: str, country: str = "JP") -> dict[str, Any]:
    """Everything the page's script needs to apply these rules to an address in `country`, as
    JSON-ready data (do not mutate)."""
    postal, phone = postal_rule(country), phone_rule(country)
    patterns = dict(PATTERNS)
    if postal:
        patterns[f"postal_code.{country}"] = postal[0]
    if phone:
        patterns[f"phone.{country}"] = phone[0]
    return {
        "patterns": patterns,
        "postal": {country: {"code": postal[1], "params": postal[2]}} if postal else {},
        "required_keys": required_keys(country),
        "phone": {country: {"code": phone[1], "params": phone[2]}} if phone else {},
        "brands": [
            {"brand": brand, "ranges": prefix_ranges(prefixes), "lengths": list(lengths), "cvc": cvc}
            for brand, prefixes, lengths, cvc in _BRANDS
        ],
        "any_lengths": list(brand_lengths("unknown")),
        "brand_names": BRAND_NAMES,
        "messages": MESSAGES[locale if locale in MESSAGES else "en"],
        "text_max_length": TEXT_MAX_LENGTH,
        "email_max_length": EMAIL_MAX_LENGTH,
    }


def first_problems(checks: Iterable[tuple[str, str, str, bool, Context]], locale: str) -> dict[str, str]:
    """{field name: message} for every (name, kind, value, required, ctx) that has a problem."""
    out: dict[str, str] = {}
    for name, kind, value, required, ctx in checks:
        problem = check(kind, value, required, ctx)
        if problem is not None:
            out[name] = message(problem, locale, name, ctx.country)
    return out
