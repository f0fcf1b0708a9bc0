"""The fields of the hosted checkout: names, visible labels, hints and rule kinds, per locale.

A shopper (a person, or the simulated one) finds a field by its visible label, so a field keeps
the same label text in every variant of a locale; what a variant changes is which fields are
there, never what they are called. "Optional" is a hint beside the label, not part of it.
README.md lists these labels for people writing journeys.
"""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.variants import Variant

from .regions import REGIONS


@dataclass(frozen=True)
class FieldDef:
    name: str  # form field name and element id
    kind: str  # rule kind in validation.py
    label: dict[str, str]
    required: bool = True
    hint: dict[str, str] | None = None
    input_type: str = "text"  # text, email, tel, password, select
    autocomplete: str = "off"
    inputmode: str | None = None
    method: str | None = None  # payment fields: the method they belong to
    max_length: int | None = None

    def optional(self) -> "FieldDef":
        return FieldDef(**{**self.__dict__, "required": False})


def _f(name: str, kind: str, en: str, ja: str, **kw: object) -> FieldDef:
    return FieldDef(name, kind, {"en": en, "ja": ja}, **kw)  # type: ignore[arg-type]


EMAIL = _f("email", "email", "Email address", "メールアドレス", input_type="email", autocomplete="email",
           hint={"en": "We send your receipt to this address", "ja": "領収書をこのアドレスにお送りします"})
PASSWORD = _f("password", "password", "Password", "パスワード", input_type="password", autocomplete="new-password")
FULL_NAME = _f("name", "text", "Full name", "氏名", autocomplete="name")
FAMILY_NAME = _f("family_name", "text", "Last name", "姓", autocomplete="family-name")
GIVEN_NAME = _f("given_name", "text", "First name", "名", autocomplete="given-name")
_KANA_HINT = {"en": "In katakana or hiragana", "ja": "カタカナまたはひらがな"}
NAME_KANA = _f("name_kana", "kana", "Name reading (kana)", "フリガナ", hint=_KANA_HINT)
FAMILY_NAME_KANA = _f("family_name_kana", "kana", "Last name reading (kana)", "セイ", hint=_KANA_HINT)
GIVEN_NAME_KANA = _f("given_name_kana", "kana", "First name reading (kana)", "メイ", hint=_KANA_HINT)
COMPANY = _f("company", "text", "Company", "会社名", autocomplete="organization")
COUNTRY = _f("country", "choice", "Country", "国・地域", input_type="select", autocomplete="country")
POSTAL_CODE = _f("postal_code", "postal_code", "Postal code", "郵便番号", autocomplete="postal-code", inputmode="numeric",
                 hint={"en": "7 digits in Japan, like 150-0001; 5-digit ZIP code in the US",
                       "ja": "7桁の数字（例: 150-0001）"})
STATE = _f("state", "choice", "State or prefecture", "都道府県", input_type="select", autocomplete="address-level1")
CITY = _f("city", "text", "City", "市区町村", autocomplete="address-level2")
LINE1 = _f("line1", "text", "Address line 1", "町名・番地", autocomplete="address-line1")
LINE2 = _f("line2", "text", "Address line 2", "建物名・部屋番号", autocomplete="address-line2", required=False)
PHONE = _f("phone", "phone", "Phone number", "電話番号", input_type="tel", autocomplete="tel", inputmode="tel",
           hint={"en": "For delivery questions only", "ja": "配送に関するご連絡にのみ使用します"})

CARD_NUMBER = _f("card_number", "card_number", "Card number", "カード番号", autocomplete="cc-number", inputmode="numeric",
                 method="card", max_length=23)
CARD_EXPIRY = _f("card_expiry", "card_expiry", "Expiry date", "有効期限", autocomplete="cc-exp", inputmode="numeric",
                 method="card", max_length=9, hint={"en": "MM / YY", "ja": "月 / 年（MM / YY）"})
CARD_CVC = _f("card_cvc", "card_cvc", "Security code", "セキュリティコード", autocomplete="cc-csc", inputmode="numeric",
              method="card", max_length=4,
              hint={"en": "3 digits on the back of the card, 4 on the front for American Express",
                    "ja": "カード裏面の3桁の数字（American Expressは表面の4桁）"})
CARD_NAME = _f("card_name", "text", "Name on card", "カード名義", autocomplete="cc-name", method="card",
               hint={"en": "As printed on the card", "ja": "カードに記載されているとおりに（ローマ字）"})

OPTIONAL = {"en": "Optional", "ja": "任意"}
PAYMENT_METHOD_LEGEND = {"en": "Payment method", "ja": "お支払い方法"}


def _presence(field: FieldDef, presence: str) -> list[FieldDef]:
    if presence == "absent":
        return []
    return [field if presence == "required" else field.optional()]


def contact_fields(variant: Variant) -> list[FieldDef]:
    return [EMAIL] + ([PASSWORD] if variant.account == "forced" else [])


def name_fields(variant: Variant, locale: str) -> list[FieldDef]:
    kana = variant.kana and locale == "ja"
    if variant.name_fields == "single":
        return [FULL_NAME] + ([NAME_KANA] if kana else [])
    return [FAMILY_NAME, GIVEN_NAME] + ([FAMILY_NAME_KANA, GIVEN_NAME_KANA] if kana else [])


def address_fields(variant: Variant) -> list[FieldDef]:
    return [
        *_presence(COMPANY, variant.company),
        COUNTRY, POSTAL_CODE, STATE, CITY, LINE1, LINE2,
        *_presence(PHONE, variant.phone),
    ]


def details_fields(variant: Variant, locale: str) -> list[FieldDef]:
    """Everything the first step (or the top of the one-page form) asks."""
    return contact_fields(variant) + name_fields(variant, locale) + address_fields(variant)


def choices(field: FieldDef, country: str, countries: tuple[str, ...]) -> tuple[str, ...]:
    """The values a select field accepts: countries, or the regions of the chosen country."""
    if field.name == "country":
        return countries
    if field.name == "state":
        return tuple(code for code, _en, _ja in REGIONS.get(country, ()))
    return ()
