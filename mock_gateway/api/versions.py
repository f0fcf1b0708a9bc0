"""API versions: the shape of every object answered, per the `Stripe-Version` a request asks for.

The domain keeps one shape, the newest (LATEST). Older versions are served by a table of version
changes: each change names the version that introduced it, the object type it touches and a small
transform from the shape after the change to the shape before it. To answer at version V, the
changes newer than V are applied, newest first, to each object in the answer (expanded objects,
list items and an event's `data.object` included). At LATEST nothing is walked at all.

Sources: Stripe's changelog (docs.stripe.com/changelog) for 2024-06-20 -> 2026-11-18.endive; the
versions served are those Stripe's SDKs have pinned. docs/stripe-compatibility.md lists what is
modelled; tests/test_api_versions.py keeps the two in step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.errors import invalid_request
from ..store.db import Store

# Every version Stripe published from 2024-06-20 on (each one an SDK has pinned), oldest first.
VERSIONS: tuple[str, ...] = (
    "2024-06-20",
    "2024-09-30.acacia", "2024-10-28.acacia", "2024-11-20.acacia", "2024-12-18.acacia", "2025-01-27.acacia",
    "2025-02-24.acacia",
    "2025-03-31.basil", "2025-04-30.basil", "2025-05-28.basil", "2025-06-30.basil", "2025-07-30.basil",
    "2025-08-27.basil",
    "2025-09-30.clover", "2025-10-29.clover", "2025-11-17.clover", "2025-12-15.clover", "2026-01-28.clover",
    "2026-02-25.clover",
    "2026-03-25.dahlia", "2026-04-22.dahlia", "2026-05-27.dahlia", "2026-06-24.dahlia", "2026-07-29.dahlia",
    "2026-08-26.dahlia",
    "2026-09-30.endive", "2026-10-28.endive", "2026-11-18.endive",
)
LATEST = VERSIONS[-1]
OLDEST = VERSIONS[0]
# The account's default version (for requests without Stripe-Version and endpoints without api_version):
# the shapes this gateway answered before it knew versions, unless the server is started with --api-version.
ENV_DEFAULT = "CHECKOUT_GATEWAY_API_VERSION"
ACCOUNT_DEFAULT = "2024-06-20"
_INDEX = {v: i for i, v in enumerate(VERSIONS)}
_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")

class Source:
    """Where transforms read what the newest shape no longer shows (private fields): the objects being
    answered, as stored, first (no query for them), then the store."""

    __slots__ = ("known", "store")

    def __init__(self, store: Store, known: dict[str, dict[str, Any]] | None = None) -> None:
        self.store, self.known = store, known or {}

    def get(self, id: str) -> dict[str, Any] | None:
        found = self.known.get(id)
        return found if found is not None else self.store.get(id)


Transform = Callable[[dict[str, Any], "Source"], dict[str, Any]]


@dataclass(frozen=True)
class Change:
    """One breaking change: at `version` and after, `object_type` has the new shape; `down` gives the old one."""

    version: str
    object_type: str
    title: str
    down: Transform


def account_default() -> str:
    """The account's default version: --api-version (CHECKOUT_GATEWAY_API_VERSION), else ACCOUNT_DEFAULT."""
    return os.environ.get(ENV_DEFAULT) or ACCOUNT_DEFAULT


def check(version: str, what: str = "Stripe-Version") -> str:
    """The version itself when it is served; otherwise Stripe's invalid_request_error naming what is served."""
    if version in _INDEX:
        return version
    if not _SHAPE.match(version):
        raise invalid_request(f"Invalid {what}: {version[:40]!r}. Expected an API version such as {LATEST}.",
                              param="api_version" if what == "api_version" else None)
    raise invalid_request(f"Unsupported {what}: {version!r}. This gateway serves the versions from {OLDEST} to {LATEST} "
                          f"(docs/stripe-compatibility.md).", param="api_version" if what == "api_version" else None)


def requested(header: str | None) -> str:
    """The version a request is answered in: its Stripe-Version header, else the account default."""
    return check(header.strip()) if header else account_default()


# -- the transforms (each from the shape after its change to the one before) ---------------------


def _sub_periods(sub: dict[str, Any], src: Source) -> dict[str, Any]:
    """2025-03-31.basil moved current_period_start/end from the subscription to its items."""
    items = (sub.get("items") or {}).get("data") or []
    starts = [i["current_period_start"] for i in items if i.get("current_period_start") is not None]
    ends = [i["current_period_end"] for i in items if i.get("current_period_end") is not None]
    sub["current_period_start"] = min(starts) if starts else None
    sub["current_period_end"] = max(ends) if ends else None
    return sub


def _item_periods(item: dict[str, Any], src: Source) -> dict[str, Any]:
    item.pop("current_period_start", None)
    item.pop("current_period_end", None)
    return item


def _invoice_payments(inv: dict[str, Any], src: Source) -> dict[str, Any]:
    """2025-03-31.basil removed payment_intent, charge, paid and paid_out_of_band (for `payments`)."""
    internal = src.get(inv["id"]) if inv.get("id") else None
    pi_id = (internal or {}).get("_payment_intent")
    pi = src.get(pi_id) if pi_id else None
    inv["payment_intent"] = pi_id
    inv["charge"] = (pi or {}).get("latest_charge")
    inv["paid"] = inv.get("status") == "paid"
    inv["paid_out_of_band"] = bool((internal or {}).get("_paid_out_of_band"))
    inv.pop("payments", None)
    inv.pop("confirmation_secret", None)
    return inv


def _invoice_parent(inv: dict[str, Any], src: Source) -> dict[str, Any]:
    """2025-03-31.basil replaced subscription and subscription_details with `parent`."""
    details = (inv.pop("parent", None) or {}).get("subscription_details") or {}
    inv["subscription"] = details.get("subscription")
    inv["subscription_details"] = {"metadata": details.get("metadata")} if details else None
    inv["quote"] = None
    return inv


def _line_parent(line: dict[str, Any], src: Source) -> dict[str, Any]:
    """2025-03-31.basil replaced a line's price, subscription, subscription_item, proration, type with
    `pricing` and `parent`."""
    parent = line.pop("parent", None) or {}
    pricing = line.pop("pricing", None) or {}
    sub_details = parent.get("subscription_item_details") or {}
    ii_details = parent.get("invoice_item_details") or {}
    details = sub_details or ii_details
    price_id = (pricing.get("price_details") or {}).get("price")
    line["price"] = src.get(price_id) if price_id else None
    line["proration"] = bool(details.get("proration"))
    line["proration_details"] = details.get("proration_details") or {"credited_items": None}
    line["subscription"] = details.get("subscription")
    line["subscription_item"] = sub_details.get("subscription_item")
    line["invoice_item"] = ii_details.get("invoice_item") or sub_details.get("invoice_item")
    line["type"] = "invoiceitem" if parent.get("type") == "invoice_item_details" else "subscription"
    return line


def _intent_invoice(pi: dict[str, Any], src: Source) -> dict[str, Any]:
    """2025-03-31.basil removed `invoice` from PaymentIntents."""
    internal = src.get(pi["id"]) if pi.get("id") else None
    pi["invoice"] = (internal or {}).get("_invoice")
    return pi


def _charge_invoice(charge: dict[str, Any], src: Source) -> dict[str, Any]:
    """2025-03-31.basil removed `invoice` from Charges."""
    pi_id = charge.get("payment_intent")
    if isinstance(pi_id, dict):
        pi_id = pi_id.get("id")
    pi = src.get(pi_id) if pi_id else None
    charge["invoice"] = (pi or {}).get("_invoice")
    return charge


def _session_shipping(session: dict[str, Any], src: Source) -> dict[str, Any]:
    """2025-03-31.basil removed shipping_details (now collected_information.shipping_details)."""
    session["shipping_details"] = (session.get("collected_information") or {}).get("shipping_details")
    return session


_UI_MODES = {"hosted_page": "hosted", "embedded_page": "embedded", "elements": "custom"}


def _session_ui_mode(session: dict[str, Any], src: Source) -> dict[str, Any]:
    """2026-03-25.dahlia renamed Checkout's ui_mode values (hosted -> hosted_page, ...)."""
    mode = session.get("ui_mode")
    session["ui_mode"] = _UI_MODES.get(mode, mode) if isinstance(mode, str) else mode
    return session


_PERIOD = ("current_period_start", "current_period_end")


def _event_period_attributes(event: dict[str, Any], src: Source) -> dict[str, Any]:
    """Before 2025-03-31.basil a subscription event's previous_attributes named the subscription's own
    period when it changed, and `items` only when something else in them changed."""
    data = event.get("data") or {}
    previous = data.get("previous_attributes")
    sub = data.get("object") or {}
    if sub.get("object") != "subscription" or not previous or not isinstance(previous.get("items"), dict):
        return event
    before = previous["items"].get("data") or []
    now = (sub.get("items") or {}).get("data") or []
    starts = [i["current_period_start"] for i in before if i.get("current_period_start") is not None]
    ends = [i["current_period_end"] for i in before if i.get("current_period_end") is not None]
    now_periods = {(i.get("current_period_start"), i.get("current_period_end")) for i in now}
    if starts and ends and now_periods != {(min(starts), max(ends))}:
        previous["current_period_start"], previous["current_period_end"] = min(starts), max(ends)
    stripped = [{k: v for k, v in i.items() if k not in _PERIOD} for i in before]
    if stripped == [{k: v for k, v in i.items() if k not in _PERIOD} for i in now]:
        del previous["items"]  # only the period changed
    else:
        previous["items"] = {**previous["items"], "data": stripped}
    return event


BASIL = "2025-03-31.basil"
DAHLIA = "2026-03-25.dahlia"
CHANGES: tuple[Change, ...] = (
    Change(BASIL, "subscription", "current_period_start/end moved from the subscription to its items", _sub_periods),
    Change(BASIL, "subscription_item", "items carry current_period_start/end", _item_periods),
    Change(BASIL, "invoice", "payment_intent, charge, paid, paid_out_of_band removed for payments (invoice payments)",
           _invoice_payments),
    Change(BASIL, "invoice", "subscription, subscription_details, quote replaced by parent", _invoice_parent),
    Change(BASIL, "line_item", "price, subscription, subscription_item, invoice_item, proration, type replaced by "
                               "pricing and parent", _line_parent),
    Change(BASIL, "payment_intent", "invoice removed", _intent_invoice),
    Change(BASIL, "charge", "invoice removed", _charge_invoice),
    Change(BASIL, "checkout.session", "shipping_details removed (collected_information.shipping_details)",
           _session_shipping),
    Change(BASIL, "event", "customer.subscription.updated previous_attributes name the items' periods",
           _event_period_attributes),
    Change(DAHLIA, "checkout.session", "ui_mode values renamed (hosted -> hosted_page)", _session_ui_mode),
)


def _steps_for(version: str) -> dict[str, tuple[Transform, ...]]:
    """The transforms serving `version`, per object type, newest change first."""
    steps: dict[str, list[Transform]] = {}
    for change in sorted(CHANGES, key=lambda c: _INDEX[c.version], reverse=True):
        if _INDEX[change.version] > _INDEX[version]:
            steps.setdefault(change.object_type, []).append(change.down)
    return {t: tuple(fns) for t, fns in steps.items()}


_STEPS = {v: _steps_for(v) for v in VERSIONS}


# Where objects sit inside others when nothing is expanded: list pages, an event's data.object, a
# subscription's items, an invoice's lines (and payments, when included). Only these are visited,
# unless the request expanded something, when the whole answer is walked.
EMBEDDED: dict[str, tuple[str, ...]] = {
    "list": ("data",), "search_result": ("data",), "event": ("data", "object"),
    "subscription": ("items", "data"), "invoice": ("lines", "data"),
}


def shape(obj: dict[str, Any], version: str, src: Source | Store, *, expanded: bool = True,
          internal: dict[str, Any] | None = None) -> dict[str, Any]:
    """`obj` (a fresh public rendering, newest shape) as `version` shows it; changed in place.
    `expanded=False` says no expansion was asked for, so only the EMBEDDED places can hold objects;
    `internal`: the object as stored (its private fields spare transforms a query).

    Events carry the version they are rendered in, as their `api_version`."""
    if version == LATEST or (not expanded and obj.get("object") not in _TOUCHED[version]):
        return obj
    source = src if isinstance(src, Source) else Source(src, _known(internal) if internal is not None else None)
    if expanded:
        return _walk(obj, _STEPS[version], version, source)
    return _embedded(obj, _STEPS[version], version, source)


def _known(internal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The answered objects as stored, by id."""
    if internal.get("object") == "list":
        return {o["id"]: o for o in internal["data"] if isinstance(o, dict) and "id" in o}
    return {internal["id"]: internal} if isinstance(internal.get("id"), str) else {}


# Per version, the object types an answer's top level must have for anything to change in it.
_TOUCHED = {v: frozenset(_STEPS[v]) | frozenset(EMBEDDED) for v in VERSIONS}


def _apply(node: dict[str, Any], steps: dict[str, tuple[Transform, ...]], version: str, src: Source) -> dict[str, Any]:
    kind = node.get("object")
    if kind == "event":
        node["api_version"] = version
    for down in steps.get(kind, ()) if isinstance(kind, str) else ():  # the parent first: it reads its children
        node = down(node, src)
    return node


def _embedded(node: dict[str, Any], steps: dict[str, tuple[Transform, ...]], version: str, src: Source) -> dict[str, Any]:
    node = _apply(node, steps, version, src)
    kind = node.get("object")
    path = EMBEDDED.get(kind) if isinstance(kind, str) else None
    if path is None:
        return node
    holder: Any = node
    for key in path[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if not isinstance(holder, dict):
        return node
    inner = holder.get(path[-1])
    if isinstance(inner, list):
        holder[path[-1]] = [_embedded(v, steps, version, src) if isinstance(v, dict) else v for v in inner]
    elif isinstance(inner, dict):
        holder[path[-1]] = _embedded(inner, steps, version, src)
    if kind == "invoice" and isinstance(node.get("payments"), dict):
        _embedded(node["payments"], steps, version, src)
    return node


def _walk(node: Any, steps: dict[str, tuple[Transform, ...]], version: str, src: Source) -> Any:
    if isinstance(node, dict):
        node = _apply(node, steps, version, src)
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                node[key] = _walk(value, steps, version, src)
        return node
    if isinstance(node, list):
        return [_walk(v, steps, version, src) for v in node]
    return node


def shape_event(event: dict[str, Any], version: str, store: Store) -> dict[str, Any]:
    """An event's payload as delivered to an endpoint at `version` (`event` is a fresh copy)."""
    if version == LATEST:
        return {**event, "api_version": LATEST}
    return shape(event, version, Source(store), expanded=False)
