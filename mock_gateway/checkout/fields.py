"""The fields of the hosted checkout: names, visible labels, hints and rule kinds, per locale.

A shopper (a person, or the simulated one) finds a field by its visible label, so a field keeps
the same label text in every variant of a locale; what a variant changes is which fields are
there, never what they are called. "Optional" is a hint beside the label, not part of it.
README.md lists these labels for people writing journeys.
"""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.variants import Variant

from .regions import address_format, regions


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

    def optional(self) -> FieldDef:
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
COUNTRY = _f("country", "choice", "Country", "国・地域", input_type="select", autocomplete="country",
             hint={"en": "The address fields below follow the country you choose",
                   "ja": "選んだ国・地域に合わせて下の住所欄が変わります"})
POSTAL_CODE = _f("postal_code", "postal_code", "Postal code", "郵便番号", autocomplete="postal-code", inputmode="numeric")
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


# The address labels of a country come from the metadata's name for each part (a "PIN code" in
# India, a "ZIP code" in the Philippines, a "Suburb" in Australia). Japan and the United States
# keep the labels the checkout has always had, so runs stay comparable with earlier ones.
SHIPPED_LABELS = ("JP", "US")
ADDRESS_PART_NAMES = ("postal_code", "state", "city", "line1", "line2")
POSTAL_LABELS: dict[str, dict[str, str]] = {
    "postal": {"en": "Postal code", "ja": "郵便番号"},
    "zip": {"en": "ZIP code", "ja": "ZIPコード"},
    "pin": {"en": "PIN code", "ja": "PINコード"},
    "eircode": {"en": "Eircode", "ja": "Eircode（郵便番号）"},
}
AREA_LABELS: dict[str, dict[str, str]] = {
    "state": {"en": "State", "ja": "州"},
    "province": {"en": "Province", "ja": "省・州"},
    "prefecture": {"en": "Prefecture", "ja": "都道府県"},
    "do_si": {"en": "Province or metropolitan city", "ja": "道・市"},
    "county": {"en": "County", "ja": "郡・県"},
    "area": {"en": "Area", "ja": "地域"},
    "island": {"en": "Island", "ja": "島"},
    "parish": {"en": "Parish", "ja": "教区"},
    "emirate": {"en": "Emirate", "ja": "首長国"},
    "department": {"en": "Department", "ja": "県"},
    "district": {"en": "District", "ja": "地区"},
    "oblast": {"en": "Region", "ja": "州"},
}
CITY_LABELS: dict[str, dict[str, str]] = {
    "city": {"en": "City", "ja": "市区町村"},
    "post_town": {"en": "Town or city", "ja": "市区町村"},
    "suburb": {"en": "Suburb or town", "ja": "市区町村"},
    "district": {"en": "City or district", "ja": "市区町村"},
}
_SHIPPED_POSTAL_HINTS = {
    "JP": {"en": "7 digits, like 150-0001", "ja": "7桁の数字（例: 150-0001）"},
    "US": {"en": "5-digit ZIP code, like 94103", "ja": "5桁のZIPコード（例: 94103）"},
}


def _postal_field(country: str) -> FieldDef:
    fmt = address_format(country)
    hint = _SHIPPED_POSTAL_HINTS.get(country) or (
        {"en": f"Like {fmt.postal_example}", "ja": f"例: {fmt.postal_example}"} if fmt.postal_example else None)
    label = POSTAL_CODE.label if country in SHIPPED_LABELS else POSTAL_LABELS.get(fmt.postal_type or "", POSTAL_CODE.label)
    digits_only = bool(fmt.postal_example) and (fmt.postal_example or "").replace("-", "").replace(" ", "").isdigit()
    return FieldDef(**{**POSTAL_CODE.__dict__, "label": label, "hint": hint, "inputmode": "numeric" if digits_only else None})


def _state_field(country: str) -> FieldDef:
    fmt = address_format(country)
    label = STATE.label if country in SHIPPED_LABELS else AREA_LABELS.get(fmt.area_type or "", AREA_LABELS["province"])
    if fmt.regions:
        return FieldDef(**{**STATE.__dict__, "label": label})
    return FieldDef(**{**STATE.__dict__, "label": label, "kind": "text", "input_type": "text"})


def _city_field(country: str) -> FieldDef:
    fmt = address_format(country)
    label = CITY.label if country in SHIPPED_LABELS else CITY_LABELS.get(fmt.city_type or "", CITY.label)
    return FieldDef(**{**CITY.__dict__, "label": label})


def address_part_fields(country: str, postal_first: bool = False) -> list[FieldDef]:
    """The country's address fields (after the country select) in the order it writes them, each
    required as the metadata says; the postal code first where it fills in the rest (autofill)."""
    fmt = address_format(country)
    made = {"postal_code": _postal_field, "state": _state_field, "city": _city_field}
    out = []
    for name in fmt.order:
        f = made[name](country) if name in made else (LINE1 if name == "line1" else LINE2)
        if name != "line2" and (name in fmt.required) != f.required:
            f = f if name in fmt.required else f.optional()
        out.append(f)
    if postal_first:
        out.sort(key=lambda f: f.name != "postal_code")
    return out


def address_fields(variant: Variant, country: str = "US", autofill_countries: tuple[str, ...] = ()) -> list[FieldDef]:
    return [
        *_presence(COMPANY, variant.company),
        COUNTRY,
        *address_part_fields(country, postal_first=variant.postal_autofill and country in autofill_countries),
        *_presence(PHONE, variant.phone),
    ]


def details_fields(variant: Variant, locale: str, country: str = "US",
                   autofill_countries: tuple[str, ...] = ()) -> list[FieldDef]:
    """Everything the first step (or the top of the one-page form) asks, for an address in `country`."""
    return contact_fields(variant) + name_fields(variant, locale) + address_fields(variant, country, autofill_countries)


def choices(field: FieldDef, country: str, countries: tuple[str, ...]) -> tuple[str, ...]:
    """The values a select field accepts: countries, or the regions of the chosen country."""
    if field.name == "country":
        return countries
    if field.name == "state":
        return tuple(r.value for r in regions(country))
    return ()
