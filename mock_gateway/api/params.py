"""Declarative parameter specs: every endpoint says what it takes, and bad input names its `param`.

Values arrive as strings from the form parser; a spec converts them to Python types and refuses
unknown, missing and malformed parameters with Stripe's wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.currencies import is_supported_currency
from ..core.errors import invalid_request, missing, unknown_param
from ..core.urls import check_redirect_url

_INT = re.compile(r"^-?\d{1,18}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Field:
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    fields: Mapping[str, Field] | None = None
    item: Field | None = None
    min: int | None = None
    max: int | None = None
    max_length: int = 5000
    open: bool = False  # an object that accepts any keys (e.g. payment_method_options)

    def req(self) -> Field:
        return Field(**{**self.__dict__, "required": True})


def String(max_length: int = 5000) -> Field:
    return Field("string", max_length=max_length)


def Integer(min: int | None = None, max: int | None = None) -> Field:
    return Field("integer", min=min, max=max)


def Boolean() -> Field:
    return Field("boolean")


def Enum(*choices: str) -> Field:
    return Field("enum", choices=choices)


def Email() -> Field:
    return Field("email", max_length=512)


def Url() -> Field:
    """A URL the shopper's browser is sent to: absolute http(s) only (mock_gateway/core/urls.py)."""
    return Field("url", max_length=2048)


def Currency() -> Field:
    return Field("currency")


def Metadata() -> Field:
    return Field("metadata")


def Obj(**fields: Field) -> Field:
    return Field("object", fields=fields)


def AnyObj() -> Field:
    return Field("object", open=True)


def ListOf(item: Field, max: int = 100) -> Field:
    return Field("list", item=item, max=max)


LIST_PARAMS: dict[str, Field] = {
    "limit": Integer(min=1, max=100),
    "starting_after": String(),
    "ending_before": String(),
    "created": Field("range"),
}

ADDRESS = Obj(
    city=String(), country=String(2), line1=String(), line2=String(), postal_code=String(), state=String()
)


def validate(spec: Mapping[str, Field], params: Mapping[str, Any]) -> dict[str, Any]:
    """Check params against spec; `expand` is accepted everywhere, as Stripe does."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name == "expand":
            out["expand"] = _expand(value)
            continue
        f = spec.get(name)
        if f is None:
            raise unknown_param(name)
        converted = _convert(f, value, name)
        if converted is not None or f.kind == "metadata":
            out[name] = converted
    for name, f in spec.items():
        if f.required and out.get(name) is None:
            raise missing(name)
    return out


def _expand(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_request("Invalid expand: expected an array of strings such as expand[]=latest_charge.", param="expand")
    return value


def _convert(f: Field, value: Any, path: str) -> Any:
    kind = f.kind
    if kind in ("object", "metadata", "range") and isinstance(value, dict):
        pass
    elif kind == "list":
        if isinstance(value, dict) and not value:
            value = []
        if not isinstance(value, list):
            if value == "":
                return None
            raise invalid_request(f"Invalid array: {path} must be an array, e.g. {path}[]=value.", param=path)
    elif not isinstance(value, str):
        raise invalid_request(f"Invalid {kind}: {path} must be a single value, not an object or array.", param=path)
    elif value == "" and kind != "metadata":
        # Stripe reads an empty string as "unset".
        return None

    if kind == "string":
        if len(value) > f.max_length:
            raise invalid_request(f"Invalid string: {path} must be at most {f.max_length} characters long.", param=path)
        return value
    if kind == "integer":
        if not _INT.match(value):
            raise invalid_request(f"Invalid integer: {value[:40]!r} for {path}; expected a whole number.", param=path)
        number = int(value)
        if f.min is not None and number < f.min:
            raise invalid_request(f"Invalid {path}: must be at least {f.min}, found {number}.", param=path)
        if f.max is not None and number > f.max:
            raise invalid_request(f"Invalid {path}: must be at most {f.max}, found {number}.", param=path)
        return number
    if kind == "url":
        return check_redirect_url(value, path)
    if kind == "boolean":
        if value not in ("true", "false"):
            raise invalid_request(f"Invalid boolean: {value[:40]!r} for {path}; expected true or false.", param=path)
        return value == "true"
    if kind == "enum":
        if value not in f.choices:
            raise invalid_request(
                f"Invalid {path}: must be one of {', '.join(f.choices)}; found {value[:40]!r}.", param=path
            )
        return value
    if kind == "email":
        if len(value) > f.max_length or not _EMAIL.match(value):
            raise invalid_request(f"Invalid email address: {value[:80]!r} for {path}.", param=path, code="email_invalid")
        return value
    if kind == "currency":
        cur = value.lower()
        if not is_supported_currency(cur):
            raise invalid_request(
                f"Invalid currency: {value[:20]!r}. Stripe currently supports these currencies: usd, jpy, eur, gbp, ... "
                "(three-letter ISO codes, lowercase).",
                param=path,
            )
        return cur
    if kind == "metadata":
        return _metadata(value, path)
    if kind == "range":
        return _range(value, path)
    if kind == "object":
        if not isinstance(value, dict):
            raise invalid_request(f"Invalid object: {path} must be a hash, e.g. {path}[key]=value.", param=path)
        if f.open:
            return value
        assert f.fields is not None
        out = {}
        for k, v in value.items():
            sub = f.fields.get(k)
            if sub is None:
                raise unknown_param(f"{path}[{k}]")
            converted = _convert(sub, v, f"{path}[{k}]")
            if converted is not None:
                out[k] = converted
        for k, sub in f.fields.items():
            if sub.required and out.get(k) is None:
                raise missing(f"{path}[{k}]")
        return out
    if kind == "list":
        assert f.item is not None
        if f.max is not None and len(value) > f.max:
            raise invalid_request(f"Invalid array: {path} may hold at most {f.max} items.", param=path)
        return [_convert(f.item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise AssertionError(kind)


def _metadata(value: Any, path: str) -> dict[str, str]:
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid object: {path} must be a hash of strings, e.g. {path}[order_id]=6735.", param=path)
    if len(value) > 50:
        raise invalid_request(f"Invalid {path}: at most 50 keys are allowed.", param=path)
    for k, v in value.items():
        if not isinstance(v, str):
            raise invalid_request(f"Invalid {path}[{k}]: metadata values must be strings.", param=f"{path}[{k}]")
        if len(k) > 40:
            raise invalid_request(f"Invalid {path}: keys must be at most 40 characters.", param=f"{path}[{k}]")
        if len(v) > 500:
            raise invalid_request(f"Invalid {path}[{k}]: values must be at most 500 characters.", param=f"{path}[{k}]")
    return value


def _range(value: Any, path: str) -> dict[str, int]:
    if isinstance(value, str):
        if not _INT.match(value):
            raise invalid_request(f"Invalid integer: {value[:40]!r} for {path}.", param=path)
        return {"eq": int(value)}
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid {path}: expected a timestamp or gt/gte/lt/lte.", param=path)
    out = {}
    for k, v in value.items():
        if k not in ("gt", "gte", "lt", "lte") or not isinstance(v, str) or not _INT.match(v):
            raise invalid_request(f"Invalid {path}[{k}]: expected gt, gte, lt or lte with an integer timestamp.", param=f"{path}[{k}]")
        out[k] = int(v)
    return out
