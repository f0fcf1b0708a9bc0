"""Connections a gateway worker keeps open: slow or incomplete requests are cut off, and their number is bounded.

uvicorn closes a kept-alive connection that stays silent after a response (timeout_keep_alive), but
nothing else: a client that connects and sends nothing, or half a request line, or headers without
their end, or a body shorter than its Content-Length, holds a file descriptor for ever (1,000 of them
took a worker from 229 to 1,072 fds, and at the fd limit normal requests failed). This protocol adds:

- a header deadline (`CHECKOUT_GATEWAY_HEADER_TIMEOUT`, default 10 s) from the first byte of a request,
  or from the connection itself, until its headers are complete;
- a body deadline (`CHECKOUT_GATEWAY_BODY_TIMEOUT`, default 30 s) from the end of the headers until the
  end of the body;
  either one missed: `408 Request Timeout` and the connection is closed. A request only stamps its phase
  and the time (no timer per request); one sweep per worker, every quarter of the shorter deadline,
  closes the overdue connections;
- at most `CHECKOUT_GATEWAY_MAX_CONNECTIONS` (default 512) connections per worker: one more sheds the
  connection that has waited longest for a request (still sending its headers, else idle between
  requests), or the new one
  when every connection is in a request. A request being answered is never cut. A log line says so, at
  most once a second with how many were shed since the last one.

server.py sets the environment from --header-timeout, --body-timeout and --max-connections; each
worker process reads it when its first connection arrives.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("mock_gateway.connections")

ENV_HEADER_TIMEOUT = "CHECKOUT_GATEWAY_HEADER_TIMEOUT"
ENV_BODY_TIMEOUT = "CHECKOUT_GATEWAY_BODY_TIMEOUT"
ENV_MAX_CONNECTIONS = "CHECKOUT_GATEWAY_MAX_CONNECTIONS"
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 512  # two workers stay well inside a 1,024 file-descriptor limit each

_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                     b"content-length: 49\r\n\r\nThe request was not received in time; try again.\n")

_FRESH, _HEADERS, _BODY, _ANSWERING, _IDLE = range(5)  # what a connection is doing (_IDLE: between requests)


def _setting(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


class _Shedding:
    """Counts shed connections and says so in the log at most once a second."""

    def __init__(self) -> None:
        self.count = 0
        self.logged_at = 0.0

    def note(self, open_now: int, limit: int, victim: str) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.logged_at >= 1.0:
            log.warning("shedding connections: %d open on this worker, limit %d (--max-connections); closed %s "
                        "(%d shed since the last report)", open_now, limit, victim, self.count)
            self.logged_at, self.count = now, 0


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body deadlines and a bounded number of connections."""

    header_timeout = DEFAULT_HEADER_TIMEOUT
    body_timeout = DEFAULT_BODY_TIMEOUT
    max_connections = DEFAULT_MAX_CONNECTIONS
    shedding = _Shedding()
    _configured = False

    @classmethod
    def configure(cls) -> None:
        """Read the limits from the environment (server.py sets it before the workers start serving)."""
        cls.header_timeout = _setting(ENV_HEADER_TIMEOUT, DEFAULT_HEADER_TIMEOUT)
        cls.body_timeout = _setting(ENV_BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT)
        cls.max_connections = int(_setting(ENV_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS))
        cls._configured = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not self._configured:
            self.configure()
        super().__init__(*args, **kwargs)
        self._phase = _FRESH
        self._since = time.monotonic()

    # -- the deadlines: phases stamped per request (no timer per request), one sweep per worker ------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._phase, self._since = _FRESH, time.monotonic()  # a client that connects and sends nothing
        _Sweeper.ensure(self)
        if len(self.connections) > self.max_connections:
            self._shed()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._phase != _FRESH:  # a fresh connection's deadline runs from connecting
            self._since = time.monotonic()
        self._phase = _HEADERS

    def on_headers_complete(self) -> None:
        self._phase, self._since = _BODY, time.monotonic()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._phase = _ANSWERING
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._phase == _ANSWERING:
            self._phase, self._since = _IDLE, time.monotonic()  # uvicorn's keep-alive timeout runs from here

    def _overdue(self, now: float) -> bool:
        phase = self._phase
        if phase in (_FRESH, _HEADERS):
            return now - self._since > self.header_timeout
        return phase == _BODY and now - self._since > self.body_timeout

    def _too_slow(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()

    # -- the bound on connections -----------------------------------------------------------------

    def _shed(self) -> None:
        """Over the limit: close the connection that has waited longest without a request under way."""
        victim: GuardedHttpProtocol | None = None
        for conn in self.connections:
            if conn is self or not isinstance(conn, GuardedHttpProtocol) or conn._phase not in (_FRESH, _HEADERS, _IDLE):
                continue
            if conn.transport is None or conn.transport.is_closing():
                continue
            # slow or silent new requests first, then kept-alive idle connections; the longest waiting of them
            if victim is None or (conn._phase == _IDLE, conn._since) < (victim._phase == _IDLE, victim._since):
                victim = conn
        target = victim or self
        waited = time.monotonic() - target._since
        client = f"{target.client[0]}:{target.client[1]}" if target.client else "a client"
        what = "sending its headers" if target._phase == _HEADERS else "idle"
        self.shedding.note(len(self.connections), self.max_connections,
                           f"the new connection from {client} (every other one is in a request)" if victim is None
                           else f"{client}, {what} for {waited:.1f} s")
        target.transport.close()


class _Sweeper:
    """Once a worker has connections: every quarter of the shorter deadline, close the overdue ones."""

    handle: asyncio.TimerHandle | None = None

    @classmethod
    def ensure(cls, conn: GuardedHttpProtocol) -> None:
        if cls.handle is None:
            interval = min(max(min(conn.header_timeout, conn.body_timeout) / 4, 0.05), 1.0)
            cls.handle = conn.loop.call_later(interval, cls.sweep, conn.loop, conn.connections, interval)

    @classmethod
    def sweep(cls, loop: asyncio.AbstractEventLoop, connections: Any, interval: float) -> None:
        now = time.monotonic()
        for conn in [c for c in connections if isinstance(c, GuardedHttpProtocol) and c._overdue(now)]:
            conn._too_slow()
        cls.handle = loop.call_later(interval, cls.sweep, loop, connections, interval) if connections else None
