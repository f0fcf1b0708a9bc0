"""Work the gateway does outside requests, started and stopped with the app (Starlette lifespan):
webhook delivery, mail to the SMTP sink (with --smtp) and the real-time sweep of due tasks
(expiry of konbini vouchers, QR codes and uncaptured authorisations not on a test clock).

Each server process runs its own loops; they share the database, and every piece of work is
claimed in a transaction, so several processes never do the same piece twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from . import mail, webhooks
from .core import clock
from .store.retention import Pruner, Retention

log = logging.getLogger("mock_gateway.background")


def sweep_interval() -> float:
    """CHECKOUT_GATEWAY_SWEEP_INTERVAL seconds (server flag --sweep-interval, default 1)."""
    return float(os.environ.get("CHECKOUT_GATEWAY_SWEEP_INTERVAL") or 1.0)


async def sweep(gateway: Any, interval: float, stop: asyncio.Event) -> None:
    """Run tasks on real time as they fall due: late by at most `interval` seconds."""
    while not stop.is_set():
        try:
            clock.run_due(gateway.store, gateway.clock())
        except Exception:
            log.exception("sweep of due tasks")
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            pass


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    gateway = app.state.gateway
    stop = asyncio.Event()
    loops = [
        webhooks.run(gateway.store, webhooks.WebhookConfig.from_env(), stop, gateway.clock),
        sweep(gateway, sweep_interval(), stop),
    ]
    mail_config = mail.MailConfig.from_env()
    if mail_config is not None:
        loops.append(mail.run(gateway.store, mail_config, stop, gateway.clock))
    tasks = [asyncio.create_task(loop) for loop in loops]
    # expired Idempotency-Key records and events, pruned on a thread of its own (store/retention.py)
    pruner = None if gateway.store.path == ":memory:" else Pruner(gateway.store.path, gateway.clock, Retention.from_env())
    if pruner is not None:
        pruner.start()
    try:
        yield
    finally:
        if pruner is not None:
            pruner.stop()
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=15)
        for task in pending:
            task.cancel()


# -- server flags (server.py adds these to its parser and applies them before workers start) --


def add_arguments(parser: Any) -> None:
    parser.add_argument("--smtp", metavar="HOST:PORT", default=None,
                        help="send mail (receipts, konbini slips, ...) to this SMTP server, e.g. `checkout-harness "
                             "mail-sink` (default: no mail)")
    parser.add_argument("--webhook-retry-schedule", metavar="SECONDS", default=None,
                        help="delays before each webhook retry, comma-separated, e.g. 1,2,4 (default: back-off from "
                             "1 minute, capped at 6 hours, for 3 days, as Stripe does)")
    parser.add_argument("--idempotency-ttl", metavar="SECONDS", type=int, default=None,
                        help="how long an Idempotency-Key's answer is kept, by the gateway's clock (default 86400: "
                             "24 hours, as Stripe)")
    parser.add_argument("--event-ttl", metavar="SECONDS", type=int, default=None,
                        help="how long events are kept (default 2592000: 30 days, as Stripe)")
    parser.add_argument("--sweep-interval", metavar="SECONDS", type=float, default=1.0,
                        help="how often expiries on real time (not on a test clock) are run (default %(default)s)")


def apply_arguments(args: Any) -> None:
    """Check the flags and hand them to the worker processes through the environment; ValueError if bad."""
    env = os.environ
    for name in ("CHECKOUT_GATEWAY_SMTP", "CHECKOUT_GATEWAY_WEBHOOK_RETRIES"):
        env.pop(name, None)
    if args.smtp:
        try:
            mail.parse_address(args.smtp)
        except ValueError as err:
            raise ValueError(f"--smtp: {err}") from None
        env["CHECKOUT_GATEWAY_SMTP"] = args.smtp
    if args.webhook_retry_schedule is not None:
        try:
            webhooks.parse_schedule(args.webhook_retry_schedule)
        except ValueError as err:
            raise ValueError(f"--webhook-retry-schedule: {err}") from None
        env["CHECKOUT_GATEWAY_WEBHOOK_RETRIES"] = args.webhook_retry_schedule
    retention = Retention()
    for flag, value in (("--idempotency-ttl", args.idempotency_ttl), ("--event-ttl", args.event_ttl)):
        if value is not None and value < 60:
            raise ValueError(f"{flag} must be at least 60 seconds, found {value}")
    Retention(args.idempotency_ttl or retention.idempotency_seconds, args.event_ttl or retention.event_seconds).to_env()
    if not 0.01 <= args.sweep_interval <= 3600:
        raise ValueError(f"--sweep-interval must be between 0.01 and 3600 seconds, found {args.sweep_interval}")
    env["CHECKOUT_GATEWAY_SWEEP_INTERVAL"] = repr(args.sweep_interval)
