"""Stripe's error envelope: what a client SDK turns into CardError, InvalidRequestError, ..."""

from __future__ import annotations

from typing import Any

from .redact import redact


class StripeError(Exception):
    """An error answered as `{"error": {...}}` with an HTTP status, as Stripe does."""

    def __init__(
        self,
        status: int,
        type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        # a message or param may echo what the client sent: never a card number (core/redact.py)
        message = redact(message)
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.param = redact(param) if param else param
        self.decline_code = decline_code
        self.extra = extra or {}
        self.headers = headers or {}
        # True when the request did its work and recorded it before failing (a card decline):
        # the transaction commits and the error is the idempotent result.
        self.commit = False

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            body["code"] = self.code
            body["doc_url"] = doc_url(self.code)
        if self.param:
            body["param"] = self.param
        if self.decline_code:
            body["decline_code"] = self.decline_code
        body.update(self.extra)
        return {"error": body}


# What Stripe says when 3-D Secure (of a payment or a setup) failed.
AUTHENTICATION_FAILED = "We are unable to authenticate your payment method. Please choose a different payment method and try again."


def doc_url(code: str) -> str:
    """Stripe's page for an error code."""
    return f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"


def payment_error(type: str, code: str, message: str, payment_method: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    """An intent's `last_payment_error` / `last_setup_error`: what failed, its page, the payment method
    (public shape) and whatever else the failure records (`charge`, `decline_code`, `param`)."""
    return {"code": code, "doc_url": doc_url(code), "message": message, "payment_method": payment_method, "type": type, **more}


def invalid_request(message: str, param: str | None = None, code: str | None = None, status: int = 400) -> StripeError:
    return StripeError(status, "invalid_request_error", message, code=code, param=param)


def missing(param: str) -> StripeError:
    return invalid_request(f"Missing required param: {param}.", param=param, code="parameter_missing")


def unknown_param(param: str) -> StripeError:
    return invalid_request(f"Received unknown parameter: {param}", param=param, code="parameter_unknown")


def not_found(kind: str, id: str, param: str = "id") -> StripeError:
    return invalid_request(f"No such {kind}: '{id}'", param=param, code="resource_missing", status=404)


def unexpected_state(message: str, obj: dict[str, Any] | None = None, param: str | None = None) -> StripeError:
    err = invalid_request(message, param=param, code="payment_intent_unexpected_state")
    if obj is not None and obj.get("object") == "payment_intent":
        err.extra["payment_intent"] = obj
    return err


def authentication(message: str) -> StripeError:
    return StripeError(401, "invalid_request_error", message)


def card_error(message: str, code: str, decline_code: str | None, param: str | None, payment_intent: dict[str, Any] | None) -> StripeError:
    """A 402 after the decline was recorded: the ledger keeps the failed attempt (commit=True)."""
    err = StripeError(402, "card_error", message, code=code, param=param, decline_code=decline_code)
    if payment_intent is not None:
        err.extra["payment_intent"] = payment_intent
        if payment_intent.get("latest_charge"):
            err.extra["charge"] = payment_intent["latest_charge"]
    err.commit = True
    return err
