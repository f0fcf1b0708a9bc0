"""Keeping the ledger bounded: Idempotency-Key records expire after 24 hours and events after 30 days,
as on Stripe, by the gateway's own clock (a test clock's frozen time never expires anything).

No column is added to any row for this: every pass the pruner writes a mark, (the gateway's time, the
highest objects.seq, the highest idempotency rowid), and a row whose seq or rowid is at most that of
a mark older than the time to keep was stored before that mark, so it has expired (at most one pass
late). Deleting goes in small chunks, each its own short transaction under the writer lock, on a
thread with a connection of its own: a request waits at most for one chunk, as for another worker's
group commit.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

IDEMPOTENCY_SECONDS = 24 * 3600
EVENT_SECONDS = 30 * 86400
_ENV_IDEMPOTENCY = "CHECKOUT_GATEWAY_IDEMPOTENCY_TTL"
_ENV_EVENTS = "CHECKOUT_GATEWAY_EVENT_TTL"

DDL = """
CREATE TABLE IF NOT EXISTS retention_marks (
    at INTEGER NOT NULL,              -- the gateway's clock, seconds
    objects_seq INTEGER NOT NULL,     -- every object with seq <= this was stored by `at`
    idempotency_rowid INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS retention_marks_by_at ON retention_marks(at);
"""


@dataclass(frozen=True)
class Retention:
    """How long records are kept, in seconds of the gateway's clock."""

    idempotency_seconds: int = IDEMPOTENCY_SECONDS
    event_seconds: int = EVENT_SECONDS

    @classmethod
    def from_env(cls) -> Retention:
        return cls(int(os.environ.get(_ENV_IDEMPOTENCY) or IDEMPOTENCY_SECONDS),
                   int(os.environ.get(_ENV_EVENTS) or EVENT_SECONDS))

    def to_env(self) -> None:
        os.environ[_ENV_IDEMPOTENCY] = str(self.idempotency_seconds)
        os.environ[_ENV_EVENTS] = str(self.event_seconds)


def ensure(conn: sqlite3.Connection) -> None:
    for statement in DDL.split(";"):
        if statement.strip():
            conn.execute(statement)


def mark(conn: sqlite3.Connection, now: int) -> None:
    """Write down what is stored by `now` (inside a write transaction)."""
    conn.execute(
        "INSERT INTO retention_marks (at, objects_seq, idempotency_rowid) VALUES "
        "(?, (SELECT coalesce(max(seq), 0) FROM objects), (SELECT coalesce(max(rowid), 0) FROM idempotency))",
        (now,),
    )


def prune_chunk(conn: sqlite3.Connection, now: int, retention: Retention, chunk: int = 500) -> int:
    """Delete up to `chunk` expired idempotency records and `chunk` expired events (inside a write transaction);
    returns how many rows went."""
    deleted = 0
    row = conn.execute("SELECT idempotency_rowid FROM retention_marks WHERE at <= ? ORDER BY at DESC LIMIT 1",
                       (now - retention.idempotency_seconds,)).fetchone()
    if row is not None:
        deleted += conn.execute("DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency WHERE rowid <= ? "
                                "ORDER BY rowid LIMIT ?)", (row[0], chunk)).rowcount
    row = conn.execute("SELECT objects_seq FROM retention_marks WHERE at <= ? ORDER BY at DESC LIMIT 1",
                       (now - retention.event_seconds,)).fetchone()
    if row is not None:
        deleted += conn.execute("DELETE FROM objects WHERE seq IN (SELECT seq FROM objects WHERE type = 'event' AND "
                                "seq <= ? ORDER BY seq LIMIT ?)", (row[0], chunk)).rowcount
    if not deleted:  # all that expired is gone: marks older than both times are no longer needed but the newest
        oldest_needed = now - max(retention.idempotency_seconds, retention.event_seconds)
        conn.execute("DELETE FROM retention_marks WHERE at < ? AND rowid < (SELECT max(rowid) FROM retention_marks "
                     "WHERE at < ?)", (oldest_needed, oldest_needed))
    return deleted


class Pruner(threading.Thread):
    """Marks and prunes one database file every `interval` seconds, beside the requests (one per database:
    the process that holds its role file does it)."""

    def __init__(self, path: str, clock: Callable[[], float], retention: Retention, *, interval: float = 60.0,
                 chunk: int = 500, pause: float = 0.01) -> None:
        super().__init__(name=f"pruner {path}", daemon=True)
        self.path, self.clock, self.retention = path, clock, retention
        self.interval, self.chunk, self.pause = interval, chunk, pause
        self._stopping = threading.Event()
        self.passes = 0
        self.deleted = 0

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        # Own open file descriptions: flock on them excludes this process's request connection too.
        lock = os.open(self.path + "-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        role = os.open(self.path + "-pruner", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            while True:
                try:
                    fcntl.flock(role, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    pass  # another process prunes this database
                else:
                    self.prune_pass(conn, lock)
                if self._stopping.wait(self.interval):
                    break
        except sqlite3.Error:
            pass  # the database went away (deleted directory, closing process)
        finally:
            conn.close()
            os.close(lock)
            os.close(role)

    def prune_pass(self, conn: sqlite3.Connection, lock: int) -> None:
        """One mark, then chunks until nothing expired is left (or the thread is stopped)."""
        first = True
        while not self._stopping.is_set():
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    now = int(self.clock())
                    if first:
                        ensure(conn)
                        mark(conn, now)
                        first = False
                    deleted = prune_chunk(conn, now, self.retention, self.chunk)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
            self.deleted += deleted
            if deleted < self.chunk:
                break
            time.sleep(self.pause)  # the writers waiting go first
        self.passes += 1

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)
