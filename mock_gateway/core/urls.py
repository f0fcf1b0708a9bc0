"""Redirect URLs a merchant gives (return_url, success_url, cancel_url): absolute http(s) URLs only.

The shopper's browser is sent there after paying, so anything a browser would read as script
(`javascript:`, `data:`), as another scheme, or as a different host than it appears to name
(`//host`, `http:\\\\host`, spaces and control characters that browsers strip) is refused with
Stripe's "Not a valid URL" naming the parameter.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .errors import invalid_request

MAX_URL = 2048


def check_redirect_url(value: str, param: str) -> str:
    """`value` itself when it is an absolute http:// or https:// URL with a host; else a 400 naming `param`."""
    scheme = value[:8].lower()
    fine = (scheme.startswith("http://") or scheme.startswith("https://")) and len(value) <= MAX_URL
    fine = fine and "\\" not in value and all(0x20 < ord(ch) != 0x7F for ch in value)
    if fine:
        try:
            parts = urlsplit(value)
            fine = bool(parts.hostname) and parts.port != 0  # .port raises on a port that is no number or too big
        except ValueError:
            fine = False
    if not fine:
        raise invalid_request(
            f"Not a valid URL: {param} must be an absolute http:// or https:// URL with a host, such as "
            "https://example.com/return (at most 2048 characters, no spaces or backslashes).",
            param=param, code="url_invalid")
    return value

