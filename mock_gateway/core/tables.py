"""Tables beyond the ledger's `objects` (scheduled tasks, webhook and mail outboxes), created on first use.

Each module that owns a table declares its DDL and calls `ensure(store, ddl)` before touching it,
so any Store (a server's, a test's `:memory:` one) gets the table whatever created the Store.
"""

from __future__ import annotations

import weakref

from ..store.db import Store

_READY: "weakref.WeakKeyDictionary[Store, set[str]]" = weakref.WeakKeyDictionary()


def ensure(store: Store, ddl: str) -> None:
    """Run `ddl` (CREATE ... IF NOT EXISTS statements) once per Store object."""
    done = _READY.setdefault(store, set())
    if ddl in done:
        return
    for statement in ddl.split(";"):
        if statement.strip():
            store.conn.execute(statement)
    done.add(ddl)
