"""The mail sink: an SMTP server (aiosmtpd) that keeps every message the gateway sends.

    with MailSink(run_dir / "mail") as sink:       # listens on a free loopback port
        gateway started with --smtp {sink.address}
        ...
        sink.stats()  # {received, by_kind, latency_ms, receipt_latency_ms: {count, p50, p95, max}}

Each message is written as NNNNNN-<kind>.eml, and one line per message is appended to
index.jsonl: arrival time, sender, recipients, subject, kind, locale, payment intent, event id
and type, the event's emission time and the latency from it (for a receipt: from the payment's
success to the receipt's arrival). Reports read index.jsonl from the run directory
(`read_index`, `latency_summary`). `checkout-harness mail-sink --dir DIR` runs one by hand.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from .percentiles import summary_ms
from .runfiles import read_jsonl

INDEX = "index.jsonl"


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.sink._store(envelope.original_content or envelope.content, envelope.mail_from, list(envelope.rcpt_tos), time.time())
        return "250 Message accepted for delivery"


def _controller_class() -> type:
    from aiosmtpd.controller import Controller

    class FreePortController(Controller):
        """aiosmtpd's Controller bound to a socket we open, so port 0 gives a free port."""

        def _create_server(self):
            sock = socket.socket(socket.AF_INET6 if ":" in self.hostname else socket.AF_INET)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.hostname, self.port))
            sock.listen(128)
            self.port = sock.getsockname()[1]
            return self.loop.create_server(self._factory_invoker, sock=sock, ssl=self.ssl_context)

    return FreePortController


class MailSink:
    """An SMTP sink writing .eml files and index.jsonl into `directory`."""

    def __init__(self, directory: Path | str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._rows: list[dict[str, Any]] = []
        self._count = len(list(read_jsonl(self.directory / INDEX)))
        self._controller = _controller_class()(_Handler(self), hostname=host, port=port, data_size_limit=10 * 1024 * 1024)
        self._controller.start()
        self.host = host
        self.port = self._controller.port
        self.address = f"{host}:{self.port}"

    def _store(self, raw: bytes, sender: str, recipients: list[str], arrived: float) -> None:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)  # the fast parser; Subject decoded below
        kind = str(headers.get("X-Mail-Kind") or "mail")
        emitted = headers.get("X-Event-Emitted-At")
        try:
            emitted_at = float(str(emitted)) if emitted else None
        except ValueError:
            emitted_at = None
        with self._lock:
            self._count += 1
            name = f"{self._count:06d}-{''.join(c for c in kind if c.isalnum() or c == '_')}.eml"
            (self.directory / name).write_bytes(raw)
            row = {
                "file": name,
                "received_at": arrived,
                "from": sender,
                "to": recipients,
                "subject": str(make_header(decode_header(headers.get("Subject") or ""))),
                "kind": kind,
                "locale": str(headers.get("Content-Language") or "") or None,
                "payment_intent": str(headers.get("X-Payment-Intent") or "") or None,
                "event_id": str(headers.get("X-Event-Id") or "") or None,
                "event_type": str(headers.get("X-Event-Type") or "") or None,
                "emitted_at": emitted_at,
                "latency_ms": round((arrived - emitted_at) * 1000, 3) if emitted_at is not None else None,
            }
            self._rows.append(row)
            with open(self.directory / INDEX, "a", encoding="utf-8") as index:
                index.write(json.dumps(row, ensure_ascii=False) + "\n")

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._rows)

    def wait_for(self, count: int, kind: str | None = None, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until `count` messages (of `kind`) arrived; returns them (maybe fewer on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = [r for r in self.messages() if kind is None or r["kind"] == kind]
            if len(rows) >= count or time.monotonic() >= deadline:
                return rows
            time.sleep(0.02)

    def stats(self) -> dict[str, Any]:
        return mail_stats(self.messages())

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- reading a run's mail (for reports and gates) ----------------------------------------------


def read_index(directory: Path | str) -> list[dict[str, Any]]:
    return list(read_jsonl(Path(directory) / INDEX))


def latency_summary(rows: Iterable[dict[str, Any]], kind: str | None = "receipt") -> dict[str, Any]:
    """Latency from the event to the mail's arrival ({count, p50, p95, max} in ms) for one kind."""
    return summary_ms(r["latency_ms"] for r in rows if (kind is None or r["kind"] == kind) and r.get("latency_ms") is not None)


def mail_stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_kind: dict[str, int] = {}
    for row in rows:
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + 1
    return {
        "received": len(rows),
        "by_kind": by_kind,
        "latency_ms": latency_summary(rows, None),
        "receipt_latency_ms": latency_summary(rows, "receipt"),
    }


def receipt_slo_breaches(rows: Iterable[dict[str, Any]], max_ms: float) -> list[dict[str, Any]]:
    """Receipts that arrived later than `max_ms` after their payment succeeded (for an SLO gate)."""
    return [r for r in rows if r["kind"] == "receipt" and r.get("latency_ms") is not None and r["latency_ms"] > max_ms]
