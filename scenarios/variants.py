"""Form-design variants of the hosted checkout, as data: scenarios/variants/*.toml.

A variant says how the page behaves, never what the shopper does: when errors appear, where, one
page or steps, which fields are asked, how the card number is shown, guest or forced account,
which payment methods in which order, and what survives a decline. Every dimension is stated in
every file (no silent defaults), so a variant reads as the design it is; this module is its one
loader and validator, and a bad file stops with a ScenarioError naming the file, the key and the
values expected.

The gateway's hosted page (mock_gateway/checkout) renders a variant; the simulated shopper never
reads one: every difference between variants must come from the page itself.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .methods import NAMES, ON_PAGE
from .reading import Table

VARIANT_DIR = Path(__file__).resolve().parent / "variants"

TIMINGS = ("submit", "blur", "live")
PLACEMENTS = ("inline", "summary", "both")
LAYOUTS = ("one-page", "steps")
NAME_FIELDS = ("single", "split")
PRESENCE = ("required", "optional", "absent")
NUMBER_FORMATS = ("groups", "raw")
ACCOUNTS = ("guest", "forced")
AFTER_DECLINE = ("keep", "clear")


@dataclass(frozen=True)
class Variant:
    """One form design. Field names follow the TOML keys (see scenarios/variants/baseline.toml)."""

    name: str
    description: str
    validation_timing: str  # submit: on Pay/Next only; blur: on leaving a field; live: while typing, after the first blur
    error_placement: str  # inline (next to the field), summary (a list at the top) or both
    layout: str  # one-page, or steps: contact and address -> payment -> review
    name_fields: str  # single ("Full name") or split (family and given name)
    kana: bool  # ask the kana reading of the name (only when the page is in Japanese)
    phone: str  # required, optional or absent
    company: str  # required, optional or absent
    postal_autofill: bool  # fill prefecture/state and city from the postal code
    card_number_format: str  # groups of four as typed, or raw
    show_card_brand: bool  # name the brand as the number is typed
    account: str  # guest, or forced: a password must be created
    password_min_length: int
    payment_methods: tuple[str, ...]  # offered, in this order
    default_payment_method: str | None  # preselected, or None: the shopper must choose
    after_decline: str  # keep: entered data survives a decline (except the security code); clear: it does not
    file: str = ""

    @property
    def inline_errors(self) -> bool:
        return self.error_placement in ("inline", "both")

    @property
    def summary_errors(self) -> bool:
        return self.error_placement in ("summary", "both")


def list_variants() -> list[str]:
    """Names of the shipped variants (file stems), sorted."""
    return sorted(p.stem for p in VARIANT_DIR.glob("*.toml"))


def resolve_variant_path(name_or_path: str | Path) -> Path:
    """A shipped variant's name (`inline-best`) or a path to a variant file."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text:
        path = Path(text)
        if path.is_file():
            return path
        raise ScenarioError(text, "(file)", "an existing variant file", "no such file")
    path = VARIANT_DIR / f"{text}.toml"
    if path.is_file():
        return path
    raise ScenarioError(str(VARIANT_DIR / f"{text}.toml"), "(file)",
                        "a shipped variant name (" + ", ".join(list_variants()) + ") or a path", text)


def load_variant(name_or_path: str | Path) -> Variant:
    """Load and validate one variant; cached per file version, as the gateway asks on every page."""
    path = resolve_variant_path(name_or_path)
    stat = path.stat()
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _load(file: str, _mtime_ns: int, _size: int) -> Variant:
    try:
        raw = tomllib.loads(Path(file).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(file, "(syntax)", "valid TOML", str(err)) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(file, "(file)", "a readable UTF-8 text file", str(err)) from None
    return parse_variant(raw, file, Path(file).stem)


def _required(t: Table, name: str, choices: tuple[str, ...]) -> str:
    value = t.text(name, choices=choices)
    if value is None:
        raise ScenarioError(t.file, t.key(name), "one of " + ", ".join(repr(c) for c in choices), None)
    return value


def _required_bool(t: Table, name: str) -> bool:
    value = t.flag(name)
    if value is None:
        raise ScenarioError(t.file, t.key(name), "true or false", None)
    return value


def _section(top: Table, name: str) -> Table:
    table = top.table(name, required=True)
    assert table is not None
    return table


def parse_variant(raw: dict[str, Any], file: str, default_name: str) -> Variant:
    """Validate a parsed variant file; every key must be known and every dimension present."""
    top = Table(raw, file)
    name = top.text("name", default_name) or default_name
    description = top.text("description", "") or ""
    layout = _required(top, "layout", LAYOUTS)
    after_decline = _required(top, "after_decline", AFTER_DECLINE)

    validation = _section(top, "validation")
    timing = _required(validation, "timing", TIMINGS)
    placement = _required(validation, "placement", PLACEMENTS)
    validation.done()

    fields = _section(top, "fields")
    name_fields = _required(fields, "name", NAME_FIELDS)
    kana = _required_bool(fields, "kana")
    phone = _required(fields, "phone", PRESENCE)
    company = _required(fields, "company", PRESENCE)
    autofill = _required_bool(fields, "postal_autofill")
    fields.done()

    card = _section(top, "card")
    number_format = _required(card, "number_format", NUMBER_FORMATS)
    show_brand = _required_bool(card, "show_brand")
    card.done()

    account = _section(top, "account")
    mode = _required(account, "mode", ACCOUNTS)
    min_length = account.integer("password_min_length", 8, min=6, max=64) or 8
    account.done()

    methods = _section(top, "payment_methods")
    offered = methods.text_list("offered")
    if not offered:
        raise ScenarioError(file, methods.key("offered"), "a list of one or more of " + ", ".join(ON_PAGE), offered)
    for method in offered:
        if method not in NAMES:
            raise ScenarioError(file, methods.key("offered"), "payment method types among " + ", ".join(ON_PAGE), method)
        if method not in ON_PAGE:
            raise ScenarioError(file, methods.key("offered"), "payment methods the reference page can show ("
                                + ", ".join(ON_PAGE) + ")", method)
    if len(set(offered)) != len(offered):
        raise ScenarioError(file, methods.key("offered"), "each payment method once", offered)
    default = methods.text("default")
    if default is None:
        raise ScenarioError(file, methods.key("default"), "one of the offered methods (" + ", ".join(offered) + ") or \"none\"", None)
    if default != "none" and default not in offered:
        raise ScenarioError(file, methods.key("default"), "one of the offered methods (" + ", ".join(offered) + ") or \"none\"", default)
    methods.done()
    top.done()

    return Variant(
        name=name,
        description=description,
        validation_timing=timing,
        error_placement=placement,
        layout=layout,
        name_fields=name_fields,
        kana=kana,
        phone=phone,
        company=company,
        postal_autofill=autofill,
        card_number_format=number_format,
        show_card_brand=show_brand,
        account=mode,
        password_min_length=min_length,
        payment_methods=tuple(offered),
        default_payment_method=None if default == "none" else default,
        after_decline=after_decline,
        file=file,
    )
