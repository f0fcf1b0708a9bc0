"""Stripe's form encoding: `a[b][]=1` bracket notation into nested dicts and lists.

Stripe's SDKs send every request body as application/x-www-form-urlencoded, with nested
objects as `metadata[k]=v`, arrays as `types[]=card` or `items[0][price]=p`. A dict whose keys
are all integers becomes a list ordered by index, as Stripe's own server reads it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from ..core.errors import invalid_request

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
MAX_DEPTH = 16  # Stripe's deepest parameters are 4-5 levels; deeper input is refused, not recursed into


MAX_BODY = 1024 * 1024  # an API request's body
MAX_PAGE_FORM = 64 * 1024  # a hosted page's form: a few short fields


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request's body, refused with a 413 past `limit` bytes (before reading it when it says its length)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise invalid_request(f"Request body too large: at most {limit} bytes are accepted.", status=413)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise invalid_request(f"Request body too large: at most {limit} bytes are accepted.", status=413)
            chunks.append(chunk)
    except ClientDisconnect:  # the client went away, or sent its body too slowly (mock_gateway/connections.py)
        raise invalid_request("The request body was not received in full.", status=408) from None
    return b"".join(chunks)


async def read_form(request: Request, limit: int = MAX_PAGE_FORM) -> dict[str, Any]:
    """A hosted page's POST body, parsed exactly as the API parses one (the same errors, with `param`)."""
    return parse_form(await read_body(request, limit))


def text(form: dict[str, Any], name: str) -> str | None:
    """A form field that must be one plain value: None when absent or given as an object or a list."""
    value = form.get(name)
    return value if isinstance(value, str) else None


def parse_form(raw: str | bytes) -> dict[str, Any]:
    """Parse a form body or query string into nested params; malformed keys are a 400."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_request("The request body is not valid UTF-8.", param=None) from None
    root: dict[str, Any] = {}
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("The request body could not be decoded as form data (expected UTF-8 percent-encoding).") from None
    for key, value in pairs:
        _assign(root, key, value)
    # The top level is always an object: `0=a` is a parameter named "0", not a list.
    return {name: _listify(value) for name, value in root.items()}


def _assign(root: dict[str, Any], key: str, value: str) -> None:
    match = _KEY.match(key)
    if not match:
        raise invalid_request(
            f"Invalid parameter name {key!r}: expected a name with balanced brackets such as "
            "'metadata[order_id]' or 'expand[]'.",
            param=key,
        )
    parts = [match.group(1)] + _PART.findall(match.group(2))
    if len(parts) > MAX_DEPTH:
        raise invalid_request(
            f"Invalid parameter name {key[:80]!r}: nested more than {MAX_DEPTH} levels deep.", param=key[:200]
        )
    node: Any = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "":
            # `a[]=x` appends; `a[][b]=x` starts a new element unless the last one lacks `b`.
            if not isinstance(node, _AppendList):
                raise invalid_request(f"Invalid array parameter {key!r}: mixed list and object notation.", param=key)
            if last:
                node.append(value)
                return
            nxt = parts[i + 1]
            if not node or not isinstance(node[-1], dict) or nxt in node[-1]:
                node.append({})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            raise invalid_request(f"Invalid parameter {key!r}: {parts[i - 1]!r} is both a value and an object.", param=key)
        if last:
            if part in node and not isinstance(node[part], str):
                raise invalid_request(f"Invalid parameter {key!r}: given both as a value and as an object.", param=key)
            if part in node and isinstance(node[part], str):
                raise invalid_request(f"Parameter {key!r} was given more than once; expected a single value.", param=key)
            node[part] = value
            return
        wants_list = parts[i + 1] == ""
        child = node.get(part)
        if child is None:
            child = _AppendList() if wants_list else {}
            node[part] = child
        elif wants_list != isinstance(child, _AppendList) or isinstance(child, str):
            raise invalid_request(f"Invalid parameter {key!r}: mixed value, list and object notation for {part!r}.", param=key)
        node = child


class _AppendList(list):
    """A list built from `[]` keys (distinguished from a dict with numeric keys)."""


def _listify(node: Any) -> Any:
    if isinstance(node, list):
        return [_listify(v) for v in node]
    if isinstance(node, dict):
        if node and all(k.isascii() and k.isdigit() for k in node):  # ASCII: int("²") fails
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node
