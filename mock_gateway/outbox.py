"""One outbox for everything the gateway sends after the fact (webhooks, mail).

The event log (objects of type `event`, in seq order) is read through a cursor kept in the store's
settings; each consumer turns new events into rows of its own queue table. Rows are claimed under a
lease in one transaction, so processes sharing the database never send one row at the same time,
and a process killed mid-send leaves its lease to expire: the row is sent again (at least once).
Each attempt settles its row: done, pending again after the next delay of the retry schedule, or
failed when the schedule is used up. All of it lives in SQLite, so a row queued before a restart
is sent after it.

A queue table has at least: id INTEGER PRIMARY KEY, state TEXT ('pending' while due), attempts
INTEGER, next_attempt_at REAL, lease_until REAL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .core import tables
from .store.db import Store

T = TypeVar("T")


@dataclass(frozen=True)
class Outbox:
    table: str  # the queue table
    cursor: str  # the settings key holding the last event seq turned into rows
    ddl: str  # creates the queue table (and whatever else the consumer keeps)
    done: str  # the state of a row that went through: 'delivered', 'sent'

    def ensure(self, store: Store) -> None:
        tables.ensure(store, self.ddl)

    # -- the cursor over the event log ------------------------------------------------------------

    def position(self, store: Store) -> int:
        return int(store.setting(self.cursor) or 0)

    @staticmethod
    def latest_event(store: Store) -> int:
        return store.conn.execute("SELECT MAX(seq) FROM objects WHERE type = 'event'").fetchone()[0] or 0

    def start_at_latest(self, store: Store) -> None:
        """Start with the events emitted from now on (no backlog), unless the cursor is already set."""
        self.ensure(store)
        with store.transaction():
            if store.setting(self.cursor) is None:
                store.set_setting(self.cursor, str(self.latest_event(store)))

    @staticmethod
    def events_after(store: Store, low: int, batch: int, columns: str = "seq, id, kind") -> list[Any]:
        """Up to `batch` events after seq `low`, oldest first (seq is the first column)."""
        return store.conn.execute(
            f"SELECT {columns} FROM objects WHERE type = 'event' AND seq > ? ORDER BY seq LIMIT ?", (low, batch)
        ).fetchall()

    def advance(self, store: Store, rows: Sequence[Any]) -> None:
        """Move the cursor past the rows read (inside the transaction that queued them)."""
        if rows:
            store.set_setting(self.cursor, str(rows[-1][0]))

    # -- the queue --------------------------------------------------------------------------------

    def claim(self, store: Store, now: float, limit: int, lease: float, columns: str,
              take: Callable[[Any], T | None] = lambda row: row) -> list[T]:
        """Up to `limit` due rows under a lease of `lease` seconds, in one transaction. `take(row)`
        makes what the sender needs of a row (`id` first among `columns`); None cancels the row."""
        self.ensure(store)
        if limit <= 0:
            return []
        probe = store.conn.execute(
            f"SELECT 1 FROM {self.table} WHERE state = 'pending' AND next_attempt_at <= ? AND lease_until <= ? LIMIT 1",
            (now, now),
        ).fetchone()
        if probe is None:
            return []
        taken: list[T] = []
        with store.transaction():
            rows = store.conn.execute(
                f"SELECT {columns} FROM {self.table} WHERE state = 'pending' AND next_attempt_at <= ? "
                "AND lease_until <= ? ORDER BY next_attempt_at, id LIMIT ?",
                (now, now, limit),
            ).fetchall()
            for row in rows:
                item = take(row)
                if item is None:
                    store.conn.execute(f"UPDATE {self.table} SET state = 'canceled' WHERE id = ?", (row[0],))
                    continue
                store.conn.execute(f"UPDATE {self.table} SET lease_until = ? WHERE id = ?", (now + lease, row[0]))
                taken.append(item)
        return taken

    def settle(self, store: Store, row_id: int, attempt: int, ok: bool, schedule: Sequence[float], end: float,
               **columns: Any) -> str:
        """Record attempt number `attempt` (1 for the first) of a row, inside the caller's transaction:
        done, pending again after schedule[attempt - 1], or failed when no retry is left. Returns the state."""
        retries_left = attempt <= len(schedule)
        state = self.done if ok else ("pending" if retries_left else "failed")
        next_at = end + schedule[attempt - 1] if not ok and retries_left else end
        extra = "".join(f", {name} = ?" for name in columns)
        store.conn.execute(
            f"UPDATE {self.table} SET state = ?, attempts = ?, next_attempt_at = ?, lease_until = 0{extra} WHERE id = ?",
            (state, attempt, next_at, *columns.values(), row_id),
        )
        return state

    def counts(self, store: Store) -> dict[str, int]:
        self.ensure(store)
        return dict(store.conn.execute(f"SELECT state, COUNT(*) FROM {self.table} GROUP BY state").fetchall())
