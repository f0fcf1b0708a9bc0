"""Export the ledger through the Stripe API's own lists, so it works against any target.

Reconciliation needs two lists that every Stripe-compatible API has: payment intents and events
(walked page by page with `starting_after`). Charges, refunds and Checkout Sessions are read when
the target lists them and skipped when it does not (a 404, or an answer that is not a Stripe list:
localstripe answers /v1/checkout/sessions with a text page); `ledger/lists.json` says which were.
"""

from __future__ import annotations

from pathlib import Path

from .runfiles import write_json, write_jsonl
from .stripe_api import StripeApi

REQUIRED_LISTS = {
    "payment_intents": "/v1/payment_intents",
    "events": "/v1/events",
}
OPTIONAL_LISTS = {
    "charges": "/v1/charges",
    "refunds": "/v1/refunds",
    "checkout_sessions": "/v1/checkout/sessions",
}
LEDGER_LISTS = {**REQUIRED_LISTS, **OPTIONAL_LISTS}


class LedgerExportError(RuntimeError):
    """A list reconciliation needs could not be read from the target."""


def _lists(api: StripeApi, path: str) -> tuple[bool, str]:
    """Whether the target answers `path` with a Stripe list, and what it answered otherwise."""
    try:
        probe = api.get(path, {"limit": 1})
    except ValueError as err:  # not JSON
        return False, f"an answer that is not JSON ({err})"
    if probe.ok and isinstance(probe.body.get("data"), list):
        return True, ""
    return False, f"HTTP {probe.status}" + (f": {probe.error.get('message')}" if probe.error.get("message") else "")


def export_ledger(api: StripeApi, out_dir: Path) -> dict[str, int]:
    """Write every object of each list to out_dir/<name>.jsonl; returns the counts."""
    counts: dict[str, int] = {}
    skipped: dict[str, str] = {}
    for name, path in LEDGER_LISTS.items():
        listed, answer = _lists(api, path)
        if not listed:
            if name in REQUIRED_LISTS:
                raise LedgerExportError(f"GET {path} on {api.base_url} is not a Stripe list ({answer}); "
                                        "reconciliation needs it")
            skipped[name] = f"GET {path}: {answer}"
            continue
        counts[name] = write_jsonl(out_dir / f"{name}.jsonl", api.list_all(path))
    write_json(out_dir / "lists.json", {"exported": counts, "skipped": skipped})
    return counts
