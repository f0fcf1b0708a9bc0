"""One state of the hosted page: the session, its variant, what the shopper entered, and which
fields each step asks. The page is a plain HTML form: every submission carries every value
(fields of other steps as hidden inputs), so it works the same with JavaScript off.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from scenarios.variants import Variant

from . import fields as F
from . import validation
from .address import AUTOFILL_COUNTRIES
from .methods import PAGE_METHODS, PageMethod
from .regions import COUNTRIES

ONE_PAGE = "all"
STEPS = ("details", "payment", "review")
PAYMENT_METHOD = F.FieldDef("payment_method", "choice", F.PAYMENT_METHOD_LEGEND, input_type="radio")
SECRET_FIELDS = ("card_number", "card_expiry", "card_cvc", "password")


@dataclass
class PageForm:
    session: dict[str, Any]
    variant: Variant
    locale: str
    values: dict[str, str]
    year: int
    month: int
    countries: tuple[str, ...] = field(default=COUNTRIES)

    # -- what the page offers --------------------------------------------------------------

    @functools.cached_property
    def offered(self) -> list[PageMethod]:
        """Methods in the variant's order, limited to those the session allows and the page can show."""
        types = self.session["payment_method_types"]
        chosen = [PAGE_METHODS[m] for m in self.variant.payment_methods if m in types and m in PAGE_METHODS]
        return chosen or [PAGE_METHODS[m] for m in types if m in PAGE_METHODS]

    @property
    def steps(self) -> tuple[str, ...]:
        return STEPS if self.variant.layout == "steps" else (ONE_PAGE,)

    @property
    def country(self) -> str:
        value = self.values.get("country", "")
        if value in self.countries:
            return value
        return self.default_country()

    def default_country(self) -> str:
        preferred = "JP" if self.locale == "ja" else "US"
        return preferred if preferred in self.countries else self.countries[0]

    @property
    def method(self) -> PageMethod | None:
        names = {m.name: m for m in self.offered}
        if self.values.get("payment_method") in names:
            return names[self.values["payment_method"]]
        return self.offered[0] if len(self.offered) == 1 else None

    def initial_values(self) -> dict[str, str]:
        """A fresh page: the preselected method, the country, and the email the merchant gave."""
        values = {"country": self.default_country()}
        default = self.variant.default_payment_method
        if default and default in {m.name for m in self.offered}:
            values["payment_method"] = default
        if self.session.get("customer_email"):
            values["email"] = self.session["customer_email"]
        return values

    # -- fields ----------------------------------------------------------------------------

    def fields_of(self, step: str) -> list[F.FieldDef]:
        if step == "details":
            return F.details_fields(self.variant, self.locale, self.country, AUTOFILL_COUNTRIES)
        if step == "payment":
            chosen = list(self.method.fields) if self.method else []
            return ([PAYMENT_METHOD] if len(self.offered) > 1 else []) + chosen
        if step == ONE_PAGE:
            return self.fields_of("details") + self.fields_of("payment")
        return []

    def shown_fields(self, step: str) -> list[F.FieldDef]:
        """What the page draws: every offered method's fields (only the chosen one's are checked)."""
        if step not in ("payment", ONE_PAGE):
            return self.fields_of(step)
        payment = ([PAYMENT_METHOD] if len(self.offered) > 1 else []) + [f for m in self.offered for f in m.fields]
        return (self.fields_of("details") if step == ONE_PAGE else []) + payment

    def all_names(self) -> list[str]:
        """Every value the page may carry, whichever step shows it."""
        names = [f.name for f in self.fields_of("details")] + [PAYMENT_METHOD.name]
        for m in self.offered:
            names += [f.name for f in m.fields]
        return list(dict.fromkeys(names))

    def context(self, f: F.FieldDef) -> validation.Context:
        choices: tuple[str, ...] = ()
        if f.name == PAYMENT_METHOD.name:
            choices = tuple(m.name for m in self.offered)
        elif f.kind == "choice":
            choices = F.choices(f, self.country, self.countries)
        return validation.Context(
            country=self.country,
            brand=validation.card_brand(self.values.get("card_number", "")) if f.name == "card_cvc" else None,
            year=self.year,
            month=self.month,
            min_length=self.variant.password_min_length,
            choices=choices,
        )

    def problems(self, step: str) -> dict[str, str]:
        """{field name: message} for the fields of `step`, in page order."""
        return validation.first_problems(
            ((f.name, f.kind, self.values.get(f.name, ""), f.required, self.context(f)) for f in self.fields_of(step)),
            self.locale,
        )

    def first_step_with_problems(self) -> tuple[str, dict[str, str]] | None:
        for step in self.steps:
            found = self.problems(step)
            if found:
                return step, found
        return None

    # -- what is kept ----------------------------------------------------------------------

    def clean(self, name: str) -> str:
        f = next((f for f in self.fields_of(ONE_PAGE) if f.name == name), None)
        return validation.normalise(f.kind if f else "text", self.values.get(name, ""))

    def full_name(self) -> str:
        if self.variant.name_fields == "single":
            return self.clean("name")
        family, given = self.clean("family_name"), self.clean("given_name")
        return f"{family} {given}" if self.locale == "ja" else f"{given} {family}"

    def name_kana(self) -> str | None:
        if not (self.variant.kana and self.locale == "ja"):
            return None
        if self.variant.name_fields == "single":
            return self.clean("name_kana")
        return f"{self.clean('family_name_kana')} {self.clean('given_name_kana')}"

    def address(self) -> dict[str, str | None]:
        return {
            "city": self.clean("city"),
            "country": self.country,
            "line1": self.clean("line1"),
            "line2": self.clean("line2") or None,
            "postal_code": self.clean("postal_code"),
            "state": self.clean("state"),
        }

    def receipt(self) -> dict[str, Any]:
        """What the session keeps when the payment succeeds (customer_details and the rest)."""
        names = {f.name for f in self.fields_of("details")}
        return {
            "email": self.clean("email"),
            "name": self.full_name(),
            "name_kana": self.name_kana(),
            "phone": self.clean("phone") or None if "phone" in names else None,
            "company": self.clean("company") or None if "company" in names else None,
            "address": self.address(),
            "create_account": self.variant.account == "forced",
        }

    def billing_details(self) -> dict[str, Any]:
        receipt = self.receipt()
        return {"email": receipt["email"], "name": receipt["name"], "phone": receipt["phone"], "address": receipt["address"]}

    def draft(self) -> dict[str, str]:
        """The values worth keeping across a 3-D Secure redirect: never card data or passwords."""
        return {k: v for k, v in self.values.items() if k not in SECRET_FIELDS and k in self.all_names() and v}

    def after_decline(self) -> dict[str, str]:
        """What the fields hold after a decline, as the variant says: kept (but the security code) or cleared."""
        if self.variant.after_decline == "keep":
            return {k: v for k, v in self.values.items() if k != "card_cvc"}
        return {k: v for k, v in self.initial_values().items()}
