"""What a person means to type into a field, which is not always the form the page wants.

Why: people bring their own formats (a phone number with its country code or with dashes, an
expiry as 12/2034, a ZIP+4, full-width digits left on by a Japanese input method, the family name
in "First name", kanji in a kana field, the city in address line 2, a domain typo that is still a
valid address). Whether such a value is an error is the page's decision; whether the person can
fix it depends on what the page's message says. Slips of the fingers are keystrokes.py's job.

Each kind of field has a distribution over the formats people use; its rates are the persona's
[intent.rates] table (sources beside each rate) and what the page shows steers it: an example or a
format in the placeholder or hint text is copied with the person's `follow_example` chance.

Same seed, same people: every draw comes from a stream derived from the person and the field
key (`intent_rng`), and every call draws the same number of uniforms whatever the page shows,
so the same person on two variants makes the same choices where the pages do not differ.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from harness.shopper.person import Person
from harness.shopper.shopper_data import US_STATE_NAMES, ShopperData
from harness.shopper.text_forms import (  # noqa: F401  (re-exported: the forms of a value)
    digits,
    example_in,
    format_like,
    to_fullwidth,
    to_halfwidth,
    to_hiragana,
    to_katakana,
)
from scenarios.personas import INTENT_KINDS

# The kinds of format misunderstanding this model knows (Intent.kind), with examples:
#   phone_country_code   +1 415 555 2671, +81 90-1234-5678
#   phone_digits_only    4155552671 where the data has separators
#   phone_separators     other separators: 415-555-2671 for (415) 555-2671, 090 1234 5678
#   fullwidth_digits     ０９０-１２３４-５６７８: a Japanese IME left in full-width mode
#   postal_no_hyphen     1000001 for 100-0001
#   zip_plus4            94107-1234
#   expiry_full_year     12/2034
#   expiry_no_separator  1234
#   card_number_spaces   4242 4242 4242 4242
#   email_domain_typo    name@exmaple.com: still a valid address
#   name_order           family name in "first name" and the reverse; card name family first
#   kanji_in_kana        山田 in a field asking for the reading
#   kana_script          hiragana where katakana is asked, or the reverse
#   line2_city           the city typed into address line 2
#   region_full_name     California for CA
# Departures from a form the page shows where the person types the data's own form (no rate of
# their own: they follow from what the page shows and `follow_example`):
#   postal_hyphen        100-0001 where the page shows 1000001
#   expiry_short_year    34 where the page asks for YYYY
#   halfwidth_digits     1-2-3 where the page asks for full-width (全角)
#   other_format         any other departure from the form the page shows
KINDS = INTENT_KINDS + ("postal_hyphen", "expiry_short_year", "halfwidth_digits", "other_format")

# Ordinary ways of writing a value: where the page shows no form of its own, typing one of these is
# not a misunderstanding (kind None; the page may still reject it and say which form it wants).
# Departing from a form the page shows, and the other habits (+1, full-width, ZIP+4, 12/2034,
# domain typos, name order, kanji in kana, line 2, state names), are.
ORDINARY = frozenset({"phone_digits_only", "phone_separators", "postal_no_hyphen", "expiry_no_separator",
                      "card_number_spaces"})

UNIFORMS_PER_FIELD = 6  # draws taken from the field's stream on every call, used or not


@dataclass(frozen=True)
class FieldHints:
    """What the page shows about a field (the journey reads it off the rendered page)."""

    label: str
    placeholder: str = ""
    hint_text: str = ""
    input_type: str = ""
    inputmode: str = ""
    autocomplete: str = ""
    maxlength: int | None = None
    pattern: str = ""

    @property
    def shown(self) -> str:
        """Everything visible that may name a format: placeholder and hint (the label too)."""
        return " ".join(t for t in (self.label, self.placeholder, self.hint_text) if t)


@dataclass(frozen=True)
class Intent:
    """What this person means to type into this field, and the form the data has."""

    value: str  # what the person means to type ("" = leave empty)
    canonical: str  # the form the page shows, else the data's form (or the person's ordinary form)
    kind: str | None  # None, or one of KINDS: how `value` departs from `canonical`
    key: str = ""
    alternatives: tuple[str, ...] = field(default=())  # other forms they might try after an error
    habit: str | None = None  # the person's format habit used here (a rate kind), departing or not

    @property
    def is_format_error(self) -> bool:
        return self.kind is not None and self.value != self.canonical


def intent_rng(person: Person, key: str) -> random.Random:
    """The field's own random stream: depends on who and which field, never on call order."""
    return random.Random(f"{person.persona}|{person.seed}|intent|{key}")


def _habit_rng(person: Person, habit: str) -> random.Random:
    """A person-level habit (name order): the same answer in every field it touches."""
    return random.Random(f"{person.persona}|{person.seed}|habit|{habit}")


def rate(person: Person, kind: str) -> float:
    """The share of people with this habit (the persona's [intent.rates]; absent: nobody)."""
    return person.intent_rate_map.get(kind, 0.0)


# Kinds of domain typo and their shares among the most frequent typo domains counted in 1.47
# million real addresses (Bounceshift, "The Most Common Email Typos"): swapped letters (gamil,
# gmali, icluod: 3,019), a dropped letter (gmil, gmai, iclud, hotmil: 2,837), a mistyped top-level
# domain (gmail.con, gmail.co, hotmail.con: 2,028), a neighbouring key (gnail: 335).
DOMAIN_TYPO_KINDS = (("transposition", 3019), ("omission", 2837), ("tld", 2028), ("substitution", 335))


def _domain_typo(email: str, u: float) -> str:
    """A domain typo that still is a valid address, chosen by one uniform `u` (so the same
    person makes the same typo on every page)."""
    from harness.shopper.keystrokes import neighbour  # keystrokes imports person; no cycle at call time

    local, _, domain = email.partition("@")
    name, _, tld = domain.rpartition(".")
    total = sum(w for _, w in DOMAIN_TYPO_KINDS)
    acc, kind, rest = 0.0, DOMAIN_TYPO_KINDS[-1][0], 0.0
    for k, w in DOMAIN_TYPO_KINDS:
        if u * total < acc + w:
            kind, rest = k, (u * total - acc) / w  # where inside this kind's share: picks the position
            break
        acc += w
    n = len(name)
    pos = min(int(rest * n), n - 1)
    if kind == "transposition" and n >= 2:
        pos = min(pos, n - 2)
        if name[pos] == name[pos + 1]:
            pos = next((i for i in range(n - 1) if name[i] != name[i + 1]), pos)
        name = name[:pos] + name[pos + 1] + name[pos] + name[pos + 2 :]
    elif kind == "omission" and n >= 3:
        name = name[:pos] + name[pos + 1 :]
    elif kind == "substitution" and n >= 1:
        name = name[:pos] + neighbour(name[pos], random.Random(int(rest * 1e9)), avoid=".@;',/[]-=\\") + name[pos + 1 :]
    else:  # the top-level domain: .com -> .con or .co (as counted: 1,512 vs 516)
        tld = {"com": "con" if rest < 0.75 else "co", "org": "ogr", "net": "nte"}.get(tld, tld + "m")
    typo = f"{local}@{name}.{tld}"
    return typo if typo != email else f"{local}@{name}.{tld}m"


# -- what the page shows -------------------------------------------------------------------------
_YEAR4 = re.compile(r"yyyy|ＹＹＹＹ|20\d\d|西暦", re.I)
_YEAR2 = re.compile(r"\byy\b|mm\s*/\s*yy(?!yy)|月\s*/\s*年", re.I)
_NO_HYPHEN = re.compile(r"ハイフン(なし|無し|不要|を?入れず|を?除)|without (hyphens|dashes|spaces)|digits only|numbers only|"
                        r"no (spaces|dashes|hyphens)|数字のみ", re.I)
_FULLWIDTH_WORD = re.compile(r"全角")
_HIRAGANA_WORD = re.compile(r"ふりがな|ひらがな")
_KATAKANA_WORD = re.compile(r"フリガナ|カタカナ|ｶﾀｶﾅ|カナ")


def _expiry_forms(month: int, year: int) -> dict[str, str]:
    return {
        None: f"{month:02d}/{year % 100:02d}",  # type: ignore[dict-item]
        "expiry_full_year": f"{month:02d}/{year}",
        "expiry_no_separator": f"{month:02d}{year % 100:02d}",
    }


def _canonical(key: str, data: ShopperData, hints: FieldHints, base: str) -> str:
    """The form the page shows it wants where it shows one (example, YYYY, ハイフンなし), else the
    data's own form."""
    shown = hints.shown
    if key == "card_exp":
        if _YEAR4.search(shown):
            return f"{data.card_exp_month:02d}/{data.card_exp_year}"
        return base
    if key == "card_exp_year":
        if _YEAR4.search(shown) or (hints.maxlength or 0) >= 4:
            return str(data.card_exp_year)
        return base
    if key in ("phone", "postal_code", "card_number"):
        if _NO_HYPHEN.search(shown):
            return digits(base)
        ex = example_in(hints.placeholder) or example_in(hints.hint_text)
        if ex:
            return format_like(ex, digits(base)) or base
        return base
    if key in ("address_line1", "address_line2") and _FULLWIDTH_WORD.search(shown):
        return to_fullwidth(base)
    if key.endswith("_kana") and base:
        if _HIRAGANA_WORD.search(hints.label) and not _KATAKANA_WORD.search(hints.label):
            return to_hiragana(base)
        return base
    return base


def _shows_format(key: str, hints: FieldHints) -> bool:
    """Does the page show a format or example for this field the person can copy?"""
    shown = f"{hints.placeholder} {hints.hint_text}"
    if key.startswith("card_exp"):
        return bool(_YEAR4.search(shown) or _YEAR2.search(shown) or re.search(r"mm|月", shown, re.I))
    if key in ("phone", "postal_code", "card_number"):
        return bool(example_in(shown) or _NO_HYPHEN.search(shown))
    if key in ("address_line1", "address_line2"):
        return bool(_FULLWIDTH_WORD.search(f"{hints.label} {shown}"))
    return False


# Name order is one habit of the person (the persona's name_order rate: the share who write their
# romanized name family first when nothing says otherwise). Where the page or the card says
# which name goes where, the habit shows only some of the time (assumptions): split fields
# labelled "First name" / "Last name" half the time (the label names the given name, but "first"
# reads as the name written first), the name on the card half the time (it is printed given name
# first on the card in hand), kanji fields labelled 姓 / 名 never.
SPLIT_NAME_FACTOR = 0.5
CARD_NAME_FACTOR = 0.5


def _writes_family_first(person: Person, factor: float) -> bool:
    """The person's name-order habit shows here; the same two draws for every field, so both
    name fields swap together."""
    r = _habit_rng(person, "name_order")
    habit, shows = r.random(), r.random()
    return habit < rate(person, "name_order") and shows < factor


def _latin_name_label(label: str) -> bool:
    return bool(re.search(r"first|last|given|family|surname", label, re.I))


def intended_entry(key: str, data: ShopperData, person: Person, rng: random.Random | None,
                   hints: FieldHints, canonical: str | None = None) -> Intent:
    """What this person means to type into the field the page labels `hints.label`, which the
    journey understood as `key` (a ShopperData key, see journeys/understanding.py).

    `canonical` overrides the data's value (e.g. the card being tried after a decline). Pass
    `rng=None` (or `intent_rng(person, key)`): the stream must not depend on call order.
    """
    r = rng if rng is not None else intent_rng(person, key)
    u = [r.random() for _ in range(UNIFORMS_PER_FIELD)]
    base = canonical if canonical is not None else _data_value(key, data)
    if base is None:
        base = ""
    canon = _canonical(key, data, hints, base)
    japanese = person.locale == "ja_JP"
    shows = _shows_format(key, hints)
    follows = shows and u[0] < person.follow_example

    def out(value: str, habit: str | None, alts: tuple[str, ...] = ()) -> Intent:
        # an ordinary way of writing the value, where the page shows no form of its own, is what
        # this person converges to: not a misunderstanding (the page may still reject it)
        target = value if habit in ORDINARY and not shows else canon
        if value == target:
            kind = None
        else:  # a habit that departs, or the data's own form where the page shows another
            kind = habit if habit is not None else classify(key, value, target)
        others = tuple(dict.fromkeys(a for a in alts + (canon,) if a != value))
        return Intent(value, target, kind, key, others, habit)

    # Digits typed full-width (an input method left in Japanese mode, or a habit): one habit of
    # the person, the same in every digit field typed on a keyboard (a digit pad types ASCII)
    fullwidth = japanese and _habit_rng(person, "fullwidth").random() < rate(person, "fullwidth_digits")

    if key == "phone":
        d = digits(base)
        cc = "81" if japanese else "1"
        national = d[1:] if japanese and d.startswith("0") else d
        forms = {
            "phone_country_code": f"+{cc} {national}" if japanese else f"+1 {d[:3]} {d[3:6]} {d[6:]}",
            "phone_digits_only": d,
            "phone_separators": (f"{d[:3]} {d[3:7]} {d[7:]}" if japanese else f"{d[:3]}-{d[3:6]}-{d[6:]}"),
        }
        value, kind = (canon, None) if follows else _pick(u[1], person, forms, base)
        if fullwidth:
            return out(to_fullwidth(value), "fullwidth_digits", (to_halfwidth(value), canon, d))
        return out(value, kind, (canon, d, base))

    if key == "postal_code":
        if japanese:
            forms = {"postal_no_hyphen": digits(base)}
        else:
            forms = {"zip_plus4": f"{base}-{1 + int(u[4] * 9998):04d}"}
        value, kind = (canon, None) if follows else _pick(u[1], person, forms, base)
        if fullwidth:
            return out(to_fullwidth(value), "fullwidth_digits", (to_halfwidth(value), canon))
        return out(value, kind, (canon, digits(base)))

    if key == "card_exp":
        forms = _expiry_forms(data.card_exp_month, data.card_exp_year)
        choices = {k: v for k, v in forms.items() if k is not None}
        value, kind = (canon, None) if follows else _pick(u[1], person, choices, forms[None])  # type: ignore[index]
        return out(value, kind, tuple(forms.values()))

    if key == "card_exp_year":
        full = str(data.card_exp_year)
        value, kind = (canon, None) if follows else _pick(u[1], person, {"expiry_full_year": full}, base)
        return out(value, kind, (base, full))

    if key == "card_number":
        spaced = " ".join(base[i : i + 4] for i in range(0, len(base), 4))
        value, kind = (canon, None) if follows else _pick(u[1], person, {"card_number_spaces": spaced}, base)
        if fullwidth:
            return out(to_fullwidth(value), "fullwidth_digits", (to_halfwidth(value), canon))
        return out(value, kind, (canon, base))

    if key == "card_cvc":
        if fullwidth:
            return out(to_fullwidth(base), "fullwidth_digits", (base,))
        return out(base, None)

    if key == "email":
        if base and u[1] < rate(person, "email_domain_typo"):
            return out(_domain_typo(base, u[2]), "email_domain_typo", (base,))
        return out(base, None)

    if key in ("given_name", "family_name"):
        other = data.family_name if key == "given_name" else data.given_name
        factor = SPLIT_NAME_FACTOR if _latin_name_label(hints.label) else 0.0
        if _writes_family_first(person, factor):
            return out(other, "name_order", (base,))
        return out(base, None)

    if key == "card_name":
        swapped = f"{data.family_name_latin} {data.given_name_latin}".upper()
        if _writes_family_first(person, CARD_NAME_FACTOR):
            return out(swapped, "name_order", (base,))
        return out(base, None)

    if key.endswith("_kana"):
        kanji = {"family_name_kana": data.family_name, "given_name_kana": data.given_name,
                 "full_name_kana": data.full_name}.get(key, "")
        if kanji and u[1] < rate(person, "kanji_in_kana"):
            return out(kanji, "kanji_in_kana", (canon, base))
        if u[2] < rate(person, "kana_script"):
            other = to_katakana(canon) if canon != to_katakana(canon) else to_hiragana(canon)
            return out(other, "kana_script", (canon,))
        return out(canon, None)

    if key == "address_line2":
        vague = not re.search(r"apartment|apt|suite|unit|building|建物|部屋|マンション", hints.shown, re.I)
        if not base and vague and u[1] < rate(person, "line2_city"):
            return out(data.city, "line2_city", ("",))
        return out(base, None)

    if key == "address_line1" and japanese:
        if follows:
            return out(canon, None, (base,))
        if fullwidth:
            return out(to_fullwidth(base), "fullwidth_digits", (to_halfwidth(base),))
        return out(base, None)

    if key == "region" and not japanese:
        name = US_STATE_NAMES.get(base)
        if name and u[1] < rate(person, "region_full_name"):
            return out(name, "region_full_name", (base,))
        return out(base, None)

    return out(base, None)


def classify(key: str, value: str, canonical: str) -> str | None:
    """How `value` departs from `canonical` (None: it does not)."""
    if value == canonical:
        return None
    if any("\uff01" <= c <= "\uff5e" for c in value) and to_halfwidth(value) != value:
        return "fullwidth_digits"
    d_value, d_canon = digits(value), digits(canonical)
    if key == "phone":
        if value.lstrip().startswith("+"):
            return "phone_country_code"
        if value == d_value and canonical != d_canon:
            return "phone_digits_only"
        return "phone_separators" if d_value == d_canon else "other_format"
    if key == "postal_code":
        if len(d_value) == 9 and len(d_canon) == 5:
            return "zip_plus4"
        if d_value == d_canon:
            return "postal_no_hyphen" if value == d_value else "postal_hyphen"
        return "other_format"
    if to_fullwidth(value) == canonical:
        return "halfwidth_digits"
    if key in ("card_exp", "card_exp_year"):
        if len(d_value) == len(d_canon) + 2 and d_value.endswith(d_canon[-2:]):
            return "expiry_full_year"
        if len(d_value) + 2 == len(d_canon) and d_canon.endswith(d_value[-2:]):
            return "expiry_short_year"
        if value == d_value and d_value == d_canon:
            return "expiry_no_separator"
        return "other_format"
    if key == "card_number" and value.replace(" ", "") == canonical.replace(" ", ""):
        return "card_number_spaces"
    return "other_format"


def _pick(u: float, person: Person, forms: dict[str, str], default: str) -> tuple[str, str | None]:
    """One of `forms` by the person's rates (in the dict's order), else the default form."""
    acc = 0.0
    for kind, value in forms.items():
        acc += rate(person, kind)
        if u < acc:
            return value, kind
    return default, None


def _data_value(key: str, data: ShopperData) -> str | None:
    getters = {
        "email": data.email, "card_name": data.card_name, "card_number": data.card_number,
        "card_exp_month": f"{data.card_exp_month:02d}", "card_exp_year": f"{data.card_exp_year % 100:02d}",
        "card_exp": data.card_exp.replace(" ", ""), "card_cvc": data.card_cvc,
        "family_name_kana": data.family_name_kana, "given_name_kana": data.given_name_kana,
        "full_name_kana": data.full_name_kana, "family_name": data.family_name, "given_name": data.given_name,
        "full_name": data.full_name, "postal_code": data.postal_code, "region": data.region, "city": data.city,
        "address_line2": data.address_line2, "address_line1": data.address_line1, "phone": data.phone,
    }
    return getters.get(key)


# -- reading an error message and fixing -----------------------------------------------------------
# What makes a message specific: it shows an example, names a concrete format, a length, the
# characters allowed, a part to include or leave out, the width or script, or a suggestion. "Invalid
# format" and "invalid characters" name no format and stay vague.
_SPECIFIC = re.compile(
    r"e\.g\.|for example|such as|example:|"
    r"format\s*[:(]|in the format|the format \S|"
    r"\b(digits?|numbers?|letters|characters)\s+only|only\s+(digits|numbers|letters)|"
    r"\d+\s*-?\s*(digits?|characters|numbers)|"
    r"\binclude|\bwithout\b|no (spaces|dashes|hyphens)|area code|country code|"
    r"mm\s*/\s*yy|yyyy|\byy\b|did you mean|half-?width|full-?width|katakana|hiragana|\bkana\b|zip\+?4|@|"
    r"例|半角|全角|ハイフン|桁|数字|カタカナ|ひらがな|カナ|形式で|もしかして",
    re.I,
)


def is_specific(message: str) -> bool:
    """Does the message say what is expected (a format, an example, digits only, the script)?

    "Invalid phone number" and "正しく入力してください" do not; "Enter 10 digits, e.g. 415-555-2671"
    and "半角数字で入力してください" do."""
    return bool(_SPECIFIC.search(message or "")) or example_in(message or "") is not None


def fix_understood(message: str, intent: Intent, person: Person, rng: random.Random) -> bool:
    """Does this message tell this person enough to type what the page wants?

    A specific message: the person's `fix_specific` chance; a vague one: `fix_vague`. A slip
    (kind None) needs no format knowledge, only a second look at the value: `fix_specific`."""
    u = rng.random()
    if intent.kind is None or is_specific(message):
        return u < person.fix_specific
    return u < person.fix_vague


def value_after_fix(intent: Intent, message: str, understood: bool, rng: random.Random) -> str:
    """What the person types next.

    Understood: the value in the form the message asks for (its example's separators, digits only,
    half-width, the script it names), else the canonical form. Not understood: the same value
    again (they think they mistyped) or another form they know (which may change the wrong thing).
    """
    u = rng.random()
    if understood:
        return _as_message_asks(intent, message)
    others = [a for a in intent.alternatives if a != intent.value]
    if not others or u < 0.5:  # assumption: half retype what they meant, believing it a slip
        return intent.value
    return others[min(int((u - 0.5) * 2 * len(others)), len(others) - 1)]


def _as_message_asks(intent: Intent, message: str) -> str:
    target = intent.canonical
    msg = message or ""
    if intent.kind == "kanji_in_kana" or intent.kind == "kana_script":
        if re.search(r"ひらがな|hiragana", msg, re.I):
            return to_hiragana(target)
        if re.search(r"カタカナ|カナ|katakana", msg, re.I):
            return to_katakana(target)
        return target
    if intent.kind in ("email_domain_typo", "name_order", "line2_city", "region_full_name"):
        return target
    if re.search(r"半角|half", msg, re.I):
        target = to_halfwidth(target)
    elif re.search(r"全角|full-?width", msg, re.I):
        target = to_fullwidth(target)
    if _NO_HYPHEN.search(msg):
        return digits(target)
    ex = example_in(msg)
    if ex and digits(target):
        like = format_like(ex, digits(target))
        if like:
            return like
    if intent.key == "card_exp" and _YEAR4.search(msg):
        d = digits(target)
        return f"{d[:2]}/20{d[-2:]}" if len(d) == 4 else target
    return target
