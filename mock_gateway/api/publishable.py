"""Publishable keys (`pk_test_...`): what a browser may do with them, as on Stripe.

Stripe.js runs in the shopper's browser with the merchant's publishable key. It may create a
PaymentMethod from the card the shopper typed, and retrieve or confirm a PaymentIntent whose
`client_secret` the merchant's server handed to the page; nothing else. Every other endpoint
refuses a publishable key (401 `secret_key_required`), as Stripe does. Stripe.js sends the key as
the `key` parameter of the form (no Authorization header, so no CORS preflight); a Bearer
`pk_test_` header is accepted as well.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ..core.errors import StripeError, authentication, invalid_request
from ..store.db import Store
from .registry import Route

PREFIX = "pk_test_"

# (method, path template) -> the object whose client_secret must be given (None: no secret needed)
ALLOWED: dict[tuple[str, str], str | None] = {
    ("POST", "/v1/payment_methods"): None,
    ("GET", "/v1/payment_intents/{id}"): "payment_intent",
    ("POST", "/v1/payment_intents/{id}/confirm"): "payment_intent",
    ("GET", "/v1/setup_intents/{id}"): "setup_intent",  # Stripe.js confirmCardSetup
    ("POST", "/v1/setup_intents/{id}/confirm"): "setup_intent",
}


def web_origin(value: str | None) -> str | None:
    """The Origin header of a browser's request, if it is a plain http(s) origin (scheme://host[:port])."""
    if not value or len(value) > 200:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or parts.fragment:
        return None
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def is_publishable(key: str) -> bool:
    return key.startswith(PREFIX) and len(key) > len(PREFIX)


def key_from_params(raw: dict[str, Any]) -> str:
    """The `key` parameter Stripe.js sends instead of an Authorization header (removed from the params)."""
    key = raw.pop("key", None)
    if not isinstance(key, str) or not key:
        raise authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using "
            "Bearer auth (e.g. 'Authorization: Bearer sk_test_...'), or a publishable key as the `key` parameter."
        )
    if not is_publishable(key) and not key.startswith("sk_test_"):
        shown = (key[:8] + "*" * 4 + key[-4:]) if len(key) > 12 else key
        raise authentication(f"Invalid API Key provided: {shown}. This gateway accepts test keys (pk_test_... or sk_test_...).")
    return key


def admit(route: Route, raw: dict[str, Any], path_params: dict[str, str], store: Store) -> None:
    """Refuse what a publishable key may not do; check and remove the client_secret it must give."""
    kind = ALLOWED.get((route.method, route.path), "refused")
    if kind == "refused":
        raise StripeError(
            401,
            "invalid_request_error",
            "This API call cannot be made with a publishable API key. Please use a secret API key. "
            "Publishable keys may only create PaymentMethods and retrieve or confirm a PaymentIntent with its client_secret.",
            code="secret_key_required",
        )
    if kind is None:
        return
    secret = raw.pop("client_secret", None)
    if not isinstance(secret, str) or not secret:
        raise invalid_request(
            "A publishable key needs the PaymentIntent's client_secret: pass client_secret "
            "(the value the merchant's server received when it created the PaymentIntent).",
            param="client_secret",
            code="parameter_missing",
        )
    obj = store.get(path_params.get("id", ""))
    if obj is None or obj.get("object") != kind:
        raise invalid_request(f"No such {kind}: '{path_params.get('id', '')}'", param="id", code="resource_missing", status=404)
    if secret != obj.get("client_secret"):
        raise invalid_request(
            "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
            param="client_secret",
        )
