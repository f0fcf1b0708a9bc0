"""Webhooks: events delivered to merchant endpoints, signed as Stripe signs them, retried with backoff.

The event log (objects of type `event`, in seq order) is the outbox. `dispatch` turns new events
into one delivery per matching endpoint (an endpoint receives events from its creation on);
`claim` takes due deliveries under a lease in one transaction, so processes sharing the database
never send one delivery at the same time; `record` stores each attempt and schedules the next
one on the backoff schedule, or gives up when the schedule is used up. All of it lives in
SQLite: a delivery queued before a restart is sent after it. Delivery is at least once: a
process killed in the middle of a POST leaves its lease to expire, and the delivery is sent again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import urllib3

from .api import versions
from .core.context import Ctx, public
from .core.errors import invalid_request
from .core.ids import new_id
from .core.metadata import merge_metadata
from .outbox import Outbox
from .store.db import Store

log = logging.getLogger("mock_gateway.webhooks")

_DDL = """
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint TEXT NOT NULL,
    event TEXT NOT NULL,
    event_type TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    delivered_at REAL,
    UNIQUE (endpoint, event)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery INTEGER NOT NULL,
    endpoint TEXT NOT NULL,
    event TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started REAL NOT NULL,
    duration_ms REAL NOT NULL,
    status INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS webhook_attempts_by_endpoint ON webhook_attempts (endpoint, id);
CREATE INDEX IF NOT EXISTS webhook_attempts_by_event ON webhook_attempts (event, id);
"""

CURSOR = "webhooks.cursor"
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
EMITTED_AT_HEADER = "X-Checkout-Harness-Emitted-At"
ATTEMPT_HEADER = "X-Checkout-Harness-Attempt"
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def default_retry_schedule() -> tuple[float, ...]:
    """Stripe's shape: exponential back-off from a minute, capped at 6 h, for up to three days."""
    delays: list[float] = []
    while sum(delays) < 3 * 86400:
        delays.append(min(60.0 * 2 ** len(delays), 6 * 3600.0))
    return tuple(delays)


@dataclass(frozen=True)
class WebhookConfig:
    retry_schedule: tuple[float, ...] = field(default_factory=default_retry_schedule)  # delay before retry n
    timeout: float = 10.0
    concurrency: int = 32
    poll_interval: float = 0.02

    @property
    def lease(self) -> float:
        return self.timeout + 5.0

    @classmethod
    def from_env(cls) -> WebhookConfig:
        """CHECKOUT_GATEWAY_WEBHOOK_RETRIES="1,2,4" (seconds; server flag --webhook-retry-schedule)."""
        kwargs: dict[str, Any] = {}
        if raw := os.environ.get("CHECKOUT_GATEWAY_WEBHOOK_RETRIES"):
            kwargs["retry_schedule"] = parse_schedule(raw)
        if raw := os.environ.get("CHECKOUT_GATEWAY_WEBHOOK_TIMEOUT"):
            kwargs["timeout"] = float(raw)
        if raw := os.environ.get("CHECKOUT_GATEWAY_POLL_INTERVAL"):
            kwargs["poll_interval"] = float(raw)
        return cls(**kwargs)


def parse_schedule(text: str) -> tuple[float, ...]:
    """'1,2,4' -> (1.0, 2.0, 4.0): the delay before each retry; '' or 'none' means no retries."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        delays = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"expected comma-separated seconds such as 1,2,4; found {text!r}") from None
    if any(d < 0 for d in delays):
        raise ValueError(f"retry delays must not be negative; found {text!r}")
    return delays


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.payload" keyed by the endpoint secret>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


# -- endpoints (the /v1/webhook_endpoints objects) ----------------------------------------------


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid_request(f"Invalid URL: {url[:200]!r}. Expected an http:// or https:// URL.", param="url", code="url_invalid")
    return url


def _check_events(events: list[str]) -> list[str]:
    if not events:
        raise invalid_request("enabled_events must list at least one event type, or '*' for all.", param="enabled_events")
    for i, name in enumerate(events):
        if name != "*" and not _EVENT_NAME.match(name):
            raise invalid_request(
                f"Invalid enabled_events[{i}]: {name[:80]!r} is not an event type (such as payment_intent.succeeded) or '*'.",
                param=f"enabled_events[{i}]",
            )
    return list(dict.fromkeys(events))


def create_endpoint(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    endpoint = {
        "id": new_id("we"),
        "object": "webhook_endpoint",
        # the version its events are shaped at; None: the account's default at the time of each delivery
        "api_version": versions.check(p["api_version"], "api_version") if p.get("api_version") else None,
        "application": None,
        "created": ctx.now,
        "description": p.get("description"),
        "enabled_events": _check_events(p["enabled_events"]),
        "livemode": False,
        "metadata": p.get("metadata") or {},
        "status": "enabled",
        "url": _check_url(p["url"]),
        "_secret": "whsec_" + secrets.token_hex(24),
        "_since_seq": Outbox.latest_event(ctx.store),
    }
    ctx.store.insert(endpoint)
    return {**endpoint, "secret": endpoint["_secret"]}  # the secret is shown once, at creation


def update_endpoint(ctx: Ctx, endpoint: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    if "url" in p:
        endpoint["url"] = _check_url(p["url"])
    if "enabled_events" in p:
        endpoint["enabled_events"] = _check_events(p["enabled_events"])
    if "description" in p:
        endpoint["description"] = p["description"]
    if "metadata" in p:
        endpoint["metadata"] = merge_metadata(endpoint["metadata"], p["metadata"])
    if "disabled" in p:
        endpoint["status"] = "disabled" if p["disabled"] else "enabled"
    ctx.store.update(endpoint)
    return endpoint


def delete_endpoint(ctx: Ctx, endpoint: dict[str, Any]) -> dict[str, Any]:
    ctx.store.delete(endpoint["id"])
    return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}


def _endpoints(store: Store) -> list[dict[str, Any]]:
    rows = store.conn.execute("SELECT data FROM objects WHERE type = 'webhook_endpoint' ORDER BY seq").fetchall()
    return [e for e in (orjson.loads(r[0]) for r in rows) if e["status"] == "enabled"]


def _matches(endpoint: dict[str, Any], event_type: str) -> bool:
    enabled = endpoint["enabled_events"]
    return "*" in enabled or event_type in enabled


# -- the outbox (mock_gateway/outbox.py: cursor over events, claim under a lease, retries) -----------

OUTBOX = Outbox(table="webhook_deliveries", cursor=CURSOR, ddl=_DDL, done="delivered")


def dispatch(store: Store, now: float, batch: int = 1000) -> int:
    """Queue one delivery per (new event, matching endpoint); returns how many were queued."""
    OUTBOX.ensure(store)
    endpoints = _endpoints(store)
    if not endpoints:
        return 0
    low = max(OUTBOX.position(store), min(e["_since_seq"] for e in endpoints))
    if OUTBOX.latest_event(store) <= low:
        return 0
    queued = 0
    with store.transaction():
        endpoints = _endpoints(store)  # as of this transaction
        if not endpoints:
            return 0
        low = max(OUTBOX.position(store), min(e["_since_seq"] for e in endpoints))
        rows = OUTBOX.events_after(store, low, batch)
        for seq, event_id, event_type in rows:
            for endpoint in endpoints:
                if seq > endpoint["_since_seq"] and _matches(endpoint, event_type):
                    cur = store.conn.execute(
                        "INSERT OR IGNORE INTO webhook_deliveries (endpoint, event, event_type, state, next_attempt_at, created) "
                        "VALUES (?, ?, ?, 'pending', ?, ?)",
                        (endpoint["id"], event_id, event_type, now, now),
                    )
                    queued += cur.rowcount
        OUTBOX.advance(store, rows)
    return queued


@dataclass
class Delivery:
    id: int
    endpoint: dict[str, Any]
    event: dict[str, Any]
    attempt: int  # 1 for the first attempt
    payload: bytes = b""  # the body sent: the event shaped at the endpoint's api_version (made in claim)


def claim(store: Store, now: float, limit: int, lease: float) -> list[Delivery]:
    """Take up to `limit` due deliveries under a lease, in one transaction."""

    def take(row: Any) -> Delivery | None:
        delivery_id, endpoint_id, event_id, attempts = row
        endpoint, event = store.get(endpoint_id), store.get(event_id)
        if endpoint is None or event is None or endpoint["status"] != "enabled":
            return None  # canceled
        return Delivery(delivery_id, endpoint, event, attempts + 1, payload_of(event, endpoint, store))

    return OUTBOX.claim(store, now, limit, lease, "id, endpoint, event, attempts", take)


@dataclass
class Outcome:
    delivery: Delivery
    started: float
    duration_ms: float
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def record(store: Store, outcomes: list[Outcome], schedule: tuple[float, ...]) -> list[str]:
    """Store attempts (one transaction for the lot); returns each delivery's new state
    (delivered, pending for a retry after schedule[attempt - 1], or failed when none is left)."""
    states = []
    with store.transaction():
        for o in outcomes:
            end = o.started + o.duration_ms / 1000
            store.conn.execute(
                "INSERT INTO webhook_attempts (delivery, endpoint, event, attempt, started, duration_ms, status, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (o.delivery.id, o.delivery.endpoint["id"], o.delivery.event["id"], o.delivery.attempt, o.started,
                 o.duration_ms, o.status, o.error),
            )
            states.append(OUTBOX.settle(store, o.delivery.id, o.delivery.attempt, o.ok, schedule, end,
                                        delivered_at=end if o.ok else None))
    return states


def payload_of(event: dict[str, Any], endpoint: dict[str, Any] | None = None, store: Store | None = None) -> bytes:
    """The event as `endpoint` receives it: shaped at the endpoint's api_version (else the account default)."""
    version = (endpoint or {}).get("api_version") or versions.account_default()
    body = public(event)
    if version != versions.LATEST and store is not None:
        body = versions.shape_event(dict(body), version, store)
    elif version == versions.LATEST:
        body = {**body, "api_version": versions.LATEST}
    return orjson.dumps(body)


def new_pool(config: WebhookConfig) -> urllib3.PoolManager:
    """Keep-alive connections per endpoint host; urllib3 sets TCP_NODELAY, never retries by itself."""
    return urllib3.PoolManager(num_pools=64, maxsize=config.concurrency, block=False, retries=False,
                               timeout=urllib3.Timeout(total=config.timeout))


def send(pool: urllib3.PoolManager, delivery: Delivery) -> tuple[float, float, int | None, str | None]:
    """POST one delivery (in a worker thread); returns (started, duration_ms, HTTP status or None, error).

    Blocking urllib3 in a small thread pool, not an asyncio client: it costs about a sixth of the
    CPU per POST of httpx's async pool, and the gateway's cores are the ones serving payments."""
    payload = delivery.payload or payload_of(delivery.event, delivery.endpoint)
    started = time.time()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Stripe-Signature": sign(payload, delivery.endpoint["_secret"], int(started)),
        EMITTED_AT_HEADER: repr(delivery.event.get("_emitted_at", delivery.event["created"])),
        ATTEMPT_HEADER: str(delivery.attempt),
    }
    status: int | None = None
    error: str | None = None
    try:
        response = pool.request("POST", delivery.endpoint["url"], body=payload, headers=headers, redirect=False)
        status = response.status
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as err:
        error = f"{type(err).__name__}: {err}"[:500]
    return started, (time.time() - started) * 1000, status, error


async def run(store: Store, config: WebhookConfig, stop: asyncio.Event, clock: Any = time.time) -> None:
    """The delivery loop of one server process: record what finished, dispatch, claim, send.

    POSTs run in worker threads; the database is touched only here, in the event loop's thread
    (the store's connection is shared with the requests), a batch at a time."""
    loop = asyncio.get_running_loop()
    pool = new_pool(config)
    executor = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="webhook")
    inflight: set[asyncio.Future[Any]] = set()
    finished: list[Outcome] = []

    def start(delivery: Delivery) -> None:
        future = loop.run_in_executor(executor, send, pool, delivery)
        inflight.add(future)

        def done(f: asyncio.Future[Any]) -> None:
            inflight.discard(f)
            if not f.cancelled():  # cancelled at shutdown: the lease expires and it is sent again
                finished.append(Outcome(delivery, *f.result()))

        future.add_done_callback(done)

    def flush() -> None:
        if not finished:
            return
        batch = finished[:]
        finished.clear()
        for outcome, state in zip(batch, record(store, batch, config.retry_schedule)):
            if state != "delivered":
                log.info("webhook %s to %s attempt %d: %s (%s)", outcome.delivery.event["id"], outcome.delivery.endpoint["url"],
                         outcome.delivery.attempt, outcome.error, state)

    try:
        while not stop.is_set():
            busy = False
            try:
                flush()
                now = clock()
                dispatch(store, now)
                free = config.concurrency - len(inflight)
                claimed = claim(store, now, free, config.lease)
                for delivery in claimed:
                    start(delivery)
                busy = bool(claimed) and len(claimed) == free  # a backlog: come back at once
            except Exception:  # never let one bad row stop deliveries for good
                log.exception("webhook delivery loop")
            try:
                await asyncio.wait_for(stop.wait(), 0 if busy else config.poll_interval)
            except TimeoutError:
                pass
        if inflight:
            await asyncio.wait(inflight, timeout=config.timeout)
        flush()
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        pool.clear()


# -- inspection ---------------------------------------------------------------------------------


def attempts(store: Store, endpoint: str | None = None, event: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Recorded attempts, newest first (for /_harness/webhook_attempts and tests)."""
    OUTBOX.ensure(store)
    where, args = [], []
    if endpoint:
        where.append("endpoint = ?")
        args.append(endpoint)
    if event:
        where.append("event = ?")
        args.append(event)
    sql = "SELECT delivery, endpoint, event, attempt, started, duration_ms, status, error FROM webhook_attempts"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = store.conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
    keys = ("delivery", "endpoint", "event", "attempt", "started", "duration_ms", "status", "error")
    return [dict(zip(keys, row)) for row in rows]


def delivery_counts(store: Store) -> dict[str, int]:
    return OUTBOX.counts(store)
