"""Export the ledger through the Stripe API's own lists, so it works against any target."""

from __future__ import annotations

from pathlib import Path

from .runfiles import write_jsonl
from .stripe_api import StripeApi

LEDGER_LISTS = {
    "payment_intents": "/v1/payment_intents",
    "charges": "/v1/charges",
    "refunds": "/v1/refunds",
    "events": "/v1/events",
    "checkout_sessions": "/v1/checkout/sessions",
}


def export_ledger(api: StripeApi, out_dir: Path) -> dict[str, int]:
    """Write every object of each list to out_dir/<name>.jsonl; a list the target lacks is skipped."""
    counts: dict[str, int] = {}
    for name, path in LEDGER_LISTS.items():
        probe = api.get(path, {"limit": 1})
        if probe.status == 404:
            continue
        counts[name] = write_jsonl(out_dir / f"{name}.jsonl", api.list_all(path))
    return counts
