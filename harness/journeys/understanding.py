"""How a person understands a form's labels: which of their own details a label asks for.

This is the shopper's reading of visible words, in English and Japanese, never the variant's
configuration: a differently worded label is a different page, and a label nobody understands
is left empty (and the page says so, or not).
"""

from __future__ import annotations

import re
import unicodedata

# (data key, pattern over the lower-cased label); the first match wins, so specific before general.
_PATTERNS: list[tuple[str, str]] = [
    ("password_confirm", r"(confirm|repeat|again).*password|password.*(again|confirm)|パスワード.*(確認|再入力)"),
    ("password", r"password|パスワード"),
    ("email", r"e-?mail|メール"),
    ("card_name", r"name on (the )?card|cardholder|card holder|名義"),
    ("card_number", r"card number|カード番号"),
    ("card_exp_month", r"expir\w*.*month|有効期限.*月"),
    ("card_exp_year", r"expir\w*.*year|有効期限.*年"),
    ("card_exp", r"expir|有効期限"),
    ("card_cvc", r"cvc|cvv|security code|セキュリティ"),
    ("family_name_kana", r"(last|family|sur)\s*name.*(kana|reading|furigana|フリガナ|ふりがな)|セイ|姓.*(カナ|かな|フリガナ|ふりがな)"),
    ("given_name_kana", r"(first|given)\s*name.*(kana|reading|furigana|フリガナ|ふりがな)|メイ|名.*(カナ|かな|フリガナ|ふりがな)"),
    ("full_name_kana", r"name.*(kana|reading|furigana)|(氏名|お名前|名前).*(カナ|かな|フリガナ|ふりがな)|^フリガナ|^ふりがな"),
    ("family_name", r"last name|family name|surname|^姓"),
    ("given_name", r"first name|given name|^名(?!義)"),
    ("full_name", r"name|氏名|お名前|名前"),
    ("company", r"company|organi[sz]ation|会社|法人"),
    ("postal_code", r"postal|post code|postcode|zip|pin ?code|eircode|postleitzahl|^plz|code postal|^cep|郵便番号|우편번호|邮政编码|邮编"),
    ("country", r"^country(?! code)|^国$|^国・地域|^国/地域"),
    ("region", r"prefecture|state|province|region|county|emirate|department|parish|bundesland|estado|都道府県|州|省|道・|시/도"),
    ("city", r"city|town|suburb|locality|^ort$|ville|cidade|市区町村|市|도시|城市"),
    ("address_line2", r"line ?2|apartment|suite|unit|building|建物|部屋|住所2|住所 2"),
    ("address_line1", r"address|street|line ?1|番地|住所"),
    ("phone", r"phone|tel|電話"),
]
_COMPILED = [(key, re.compile(p)) for key, p in _PATTERNS]


def data_key(label: str) -> str | None:
    text = unicodedata.normalize("NFKC", label).lower().replace("*", "").replace("(required)", "").replace("必須", "").strip()
    for key, pattern in _COMPILED:
        if pattern.search(text):
            return key
    return None


# HTML autocomplete field names (WHATWG HTML, "Autofill") and the detail each asks for.
_AUTOCOMPLETE: dict[str, str] = {
    "name": "full_name", "given-name": "given_name", "family-name": "family_name", "email": "email",
    "tel": "phone", "tel-national": "phone", "organization": "company", "postal-code": "postal_code",
    "country": "country", "country-name": "country", "address-level1": "region", "address-level2": "city",
    "street-address": "address_line1", "address-line1": "address_line1", "address-line2": "address_line2",
    "cc-name": "card_name", "cc-number": "card_number", "cc-exp": "card_exp", "cc-exp-month": "card_exp_month",
    "cc-exp-year": "card_exp_year", "cc-csc": "card_cvc", "new-password": "password", "current-password": "password",
}


def field_key(label: str, autocomplete: str = "") -> str | None:
    """Which of the person's details a field asks for: its words first; where the words say nothing
    the person understands, what the browser offers to fill there (its autocomplete field name,
    shown as a suggestion when the person focuses it: assumption, the browser's saved details are
    the person's own)."""
    key = data_key(label)
    if key is None and autocomplete:
        key = _AUTOCOMPLETE.get(autocomplete.lower().split()[-1])
    return key


# Names people use for their country besides the standard ones (CLDR's, below).
OTHER_COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "US": ("United States of America", "USA", "米国"),
    "GB": ("UK", "Great Britain"),
    "KR": ("Korea", "Republic of Korea"),
    "JP": ("JPN",),
}


def country_names(country: str, locale: str) -> tuple[str, ...]:
    """The names a person living in `country` knows it by, in the order they look for them in a
    list: in the language they read (their persona's locale), in their country's own language,
    in English and Japanese (the reference checkout's languages), other usual names, the code."""
    from babel import Locale

    languages = [locale.split("_")[0], _LANGUAGE.get(country, "en"), "en", "ja"]
    names = [Locale(lang).territories.get(country) for lang in dict.fromkeys(languages)]
    return tuple(dict.fromkeys(n for n in (*names, *OTHER_COUNTRY_NAMES.get(country, ()), country) if n))


_LANGUAGE = {"JP": "ja", "US": "en", "GB": "en", "DE": "de", "FR": "fr", "IN": "en", "BR": "pt", "KR": "ko",
             "CN": "zh", "AU": "en"}


def normalise(value: str | None) -> str:
    """Compare what is in a field with what was meant: formatting aside (spaces, width, a single
    hyphen or slash a page inserts or drops), but not a doubled separator, which a person sees."""
    if not value:
        return ""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value).lower())
    return re.sub(r"(?<![-/])[-/](?![-/])", "", text)
