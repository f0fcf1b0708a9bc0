"""A webhook endpoint for runs and tests: receives events, verifies their signatures, measures latency.

    with WebhookReceiver(out=run_dir / "webhooks.jsonl") as receiver:
        endpoint = client.post("/v1/webhook_endpoints", {"url": receiver.url, "enabled_events": ["*"]})
        receiver.secret = endpoint["secret"]
        ...
        receiver.stats()  # {received, verified, failed_signature, events, duplicates, latency_ms: {count, p50, p95, max}}

It listens on a free loopback port in a thread (stdlib http.server: no event loop, so it runs
beside Locust or Playwright). Each POST is checked as `stripe.Webhook.construct_event` checks it
(Stripe-Signature `t=`, `v1=` HMAC-SHA256 of "t.payload", 5 minutes' tolerance) and answered
200, or 400 when the signature is wrong. Latency is arrival time minus the event's emission time
(the gateway's X-Checkout-Harness-Emitted-At header, sub-second; for another gateway, the
event's `created`, whole seconds). Every POST is appended to the JSONL file (its record and the
event as received). `fail_first=n`
answers 500 to the first n attempts of each event, to exercise the gateway's retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

from .percentiles import summary_ms

TOLERANCE = 300
EMITTED_AT_HEADER = "X-Checkout-Harness-Emitted-At"


def verify_signature(payload: bytes, header: str | None, secret: str, now: float | None = None, tolerance: int = TOLERANCE) -> bool:
    """True if one v1 signature in the header matches and its timestamp is within tolerance."""
    if not header or not secret:
        return False
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        return False
    return abs((now if now is not None else time.time()) - timestamp) <= tolerance


class WebhookReceiver:
    """Receives webhooks on http://127.0.0.1:<free port>/webhooks until stopped."""

    def __init__(self, out: Path | str | None = None, secret: str | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, fail_first: int = 0, respond: Callable[[dict[str, Any], int], int] | None = None,
                 keep_bodies: bool = False) -> None:
        self.secret = secret
        self.keep_bodies = keep_bodies
        self.bodies: list[tuple[bytes, str | None]] = []  # (raw body, Stripe-Signature) when keep_bodies
        self.fail_first = fail_first
        self.respond = respond  # (event, attempt number as seen here) -> HTTP status, overrides fail_first
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._seen: dict[str, int] = {}
        self._out: IO[str] | None = None
        self._stopped = False
        self.write_error: OSError | None = None  # the first write that failed (a full disk)
        if out is not None:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            self._out = open(out, "a", encoding="utf-8")
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()
        bound_host, bound_port = str(self._server.server_address[0]), int(self._server.server_address[1])
        self.url = f"http://{bound_host}:{bound_port}/webhooks"

    # -- receiving ------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # The reply's headers and body are two writes: without TCP_NODELAY the body waits
                # for the client's delayed ACK (~40 ms), which would be measured as delivery time.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver._receive(body, self.headers)
                reply = b'{"received": true}' if status == 200 else b'{"error": "rejected"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def _receive(self, body: bytes, headers: Any) -> int:
        arrived = time.time()
        secret = self.secret
        verified = verify_signature(body, headers.get("Stripe-Signature"), secret or "", arrived)
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        emitted = headers.get(EMITTED_AT_HEADER)
        try:
            emitted_at = float(emitted) if emitted else float(event.get("created"))
        except (TypeError, ValueError):
            emitted_at = None
        event_id = event.get("id") if isinstance(event, dict) else None
        with self._lock:
            attempt = self._seen.get(event_id or "", 0) + 1
            if event_id:
                self._seen[event_id] = attempt
            if not verified:
                status = 400
            elif self.respond is not None:
                status = self.respond(event, attempt)
            else:
                status = 500 if attempt <= self.fail_first else 200
            record = {
                "received_at": arrived,
                "event_id": event_id,
                "type": event.get("type") if isinstance(event, dict) else None,
                "object_id": ((event.get("data") or {}).get("object") or {}).get("id") if isinstance(event, dict) else None,
                "verified": verified,
                "status": status,
                "attempt_here": attempt,
                "gateway_attempt": int(headers.get("X-Checkout-Harness-Attempt") or 0) or None,
                "latency_ms": round((arrived - emitted_at) * 1000, 3) if emitted_at is not None else None,
            }
            self._records.append(record)
            if self.keep_bodies:
                self.bodies.append((body, headers.get("Stripe-Signature")))
            if self._out is not None:  # the file also keeps the event itself, for reconciliation
                try:
                    self._out.write(json.dumps({**record, "event": event}, ensure_ascii=False) + "\n")
                    self._out.flush()
                except OSError as err:  # a full disk: not kept, so not acknowledged (the sender retries)
                    self.write_error = self.write_error or err
                    status = record["status"] = 500
        return status

    # -- reading --------------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._records)

    def accepted(self) -> list[dict[str, Any]]:
        """Deliveries answered 2xx (what the gateway counts as delivered)."""
        return [r for r in self.records() if 200 <= r["status"] < 300]

    def wait_for(self, predicate: Callable[[WebhookReceiver], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(interval)
        return predicate(self)

    def stats(self) -> dict[str, Any]:
        records = self.records()
        accepted = [r for r in records if 200 <= r["status"] < 300]
        events = {r["event_id"] for r in accepted}
        return {
            "received": len(records),
            "verified": sum(r["verified"] for r in records),
            "failed_signature": sum(not r["verified"] for r in records),
            "rejected": sum(r["verified"] and not 200 <= r["status"] < 300 for r in records),
            "events": len(events),
            "duplicates": len(accepted) - len(events),
            "latency_ms": summary_ms(r["latency_ms"] for r in accepted if r["latency_ms"] is not None),
        }

    # -- lifecycle ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop serving and close the file (once); an error closing it is kept in `write_error`."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._out is not None:
            out, self._out = self._out, None
            try:
                out.close()
            except OSError as err:
                self.write_error = self.write_error or err

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
