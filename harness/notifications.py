"""What a merchant receives besides API answers: signed webhooks and the mail sent to shoppers.

For a run against the embedded gateway the harness starts a webhook receiver and a mail sink,
registers the receiver as a webhook endpoint, and at the end waits for the gateway's outboxes to
drain before writing `webhooks/stats.json` and `mail/stats.json` for the reports.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from .mail_sink import MailSink, mail_stats, read_index
from .runfiles import write_json
from .stripe_api import StripeApi
from .webhook_receiver import WebhookReceiver


class Notifications:
    def __init__(self, run_dir: Path, admin_token: str | None = None) -> None:
        self.run_dir = run_dir
        self.admin_token = admin_token  # the gateway's /_harness/* endpoints ask for it
        self.mail = MailSink(run_dir / "mail")
        try:
            self.webhooks = WebhookReceiver(out=run_dir / "webhooks" / "received.jsonl")
        except BaseException:
            self.mail.stop()
            raise
        self._closed = False

    @property
    def smtp_address(self) -> str:
        return self.mail.address

    def subscribe(self, api: StripeApi) -> None:
        """Register the receiver for every event, as a merchant's endpoint would be."""
        answer = api.post("/v1/webhook_endpoints", {"url": self.webhooks.url, "enabled_events": ["*"],
                                                    "description": "checkout-harness run receiver"})
        if not answer.ok:
            raise RuntimeError(f"registering the webhook endpoint failed: {answer.status} {answer.error.get('message')}")
        self.webhooks.secret = answer.body["secret"]

    def drain(self, gateway_url: str, timeout_s: float = 15.0) -> dict[str, Any]:
        """Wait until nothing is pending in the gateway's outboxes (or the timeout); their counts."""
        deadline = time.monotonic() + timeout_s
        counts: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                headers = {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else None
                counts = httpx.get(f"{gateway_url}/_harness/outbox", headers=headers, timeout=5).json()
            except (httpx.HTTPError, ValueError):
                return counts
            if not counts.get("webhook_deliveries", {}).get("pending") and not counts.get("mail", {}).get("pending"):
                break
            time.sleep(0.2)
        return counts

    def close(self) -> None:
        """Stop both receivers (once; safe to call again after finish)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.webhooks.stop()
        finally:
            self.mail.stop()

    def finish(self, outbox: dict[str, Any]) -> None:
        """Stop both receivers and write what they saw; a webhook the receiver could not write
        (a full disk) is an OSError naming its file."""
        self.close()
        if self.webhooks.write_error is not None:
            err = self.webhooks.write_error
            raise OSError(err.errno, err.strerror, str(self.run_dir / "webhooks" / "received.jsonl"))
        deliveries = outbox.get("webhook_deliveries", {})
        write_json(self.run_dir / "webhooks" / "stats.json", {
            **self.webhooks.stats(),
            "failed": deliveries.get("failed", 0),
            "pending_at_end": deliveries.get("pending", 0),
            "outbox": deliveries,
        })
        stats = mail_stats(read_index(self.run_dir / "mail"))
        receipts = stats.get("receipt_latency_ms") or {}
        write_json(self.run_dir / "mail" / "stats.json", {
            **stats,
            "receipt_p50_s": receipts["p50"] / 1000 if receipts.get("p50") is not None else None,
            "receipt_p95_s": receipts["p95"] / 1000 if receipts.get("p95") is not None else None,
            "failed": outbox.get("mail", {}).get("failed", 0),
            "pending_at_end": outbox.get("mail", {}).get("pending", 0),
        })
