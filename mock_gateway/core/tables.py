"""Tables beyond the ledger's `objects` (scheduled tasks, webhook and mail outboxes), created on first use.

Each module that owns a table declares its DDL and calls `ensure(store, ddl)` before touching it,
so any Store (a server's, a test's `:memory:` one) gets the table whatever created the Store.
"""

from __future__ import annotations

from ..store.db import Store


def ensure(store: Store, ddl: str) -> None:
    """Run `ddl` (CREATE ... IF NOT EXISTS statements) once per Store object (Store.ensure_tables)."""
    store.ensure_tables(ddl)
