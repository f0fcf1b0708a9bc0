"""The ledger: every object as JSON in SQLite (WAL), written in one transaction per request.

A request's writes commit before its response is sent, so anything the gateway acknowledged
survives a crash (WAL with synchronous=NORMAL is durable against a killed process; a power cut
may lose the last commits but never corrupts the file). Several server processes may share one
database file: their writes are serialised by an exclusive `flock` on `<db>-lock` taken around
BEGIN IMMEDIATE .. COMMIT, which wakes a waiting writer the moment the lock is free (SQLite's own
busy handler sleeps 1, 2, 5, 10 ... ms between retries, which costs more than a transaction).

Checkpoints (copying the WAL into the database file, with two fsyncs) run on a background thread,
not inside a request's COMMIT, where each one stalled a request (see `Checkpointer`, docs/performance.md).
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson

from . import packing

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: outboxes and exports page by seq
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    created INTEGER NOT NULL,
    customer TEXT,
    parent TEXT,
    kind TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_by_type ON objects(type, seq);
CREATE INDEX IF NOT EXISTS objects_by_customer ON objects(customer, type, seq) WHERE customer IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects(parent, type, seq) WHERE parent IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_by_kind ON objects(type, kind, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    api_key TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (api_key, key)
);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_COLUMNS = ("customer", "parent", "kind")
_GET = "SELECT CAST(data AS BLOB), customer, parent, kind FROM objects WHERE id = ?"
_INSERT_PACKED = "INSERT INTO objects (id, type, created, customer, parent, kind, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
_INSERT_TEXT = "INSERT INTO objects (id, type, created, customer, parent, kind, data) VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TEXT))"
_GET_KEY = "SELECT method, path, fingerprint, status, body FROM idempotency WHERE api_key = ? AND key = ?"
_PUT_KEY = "INSERT INTO idempotency (api_key, key, method, path, fingerprint, status, body, created) VALUES (?,?,?,?,?,?,?,?)"
_GET_SETTING = "SELECT value FROM settings WHERE name = ?"
_PUT_SETTING = "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)"

# sqlite3 binds int, float, str and bytearray parameters directly; any other (None, bytes: the JSON and the
# NULL columns of nearly every row) first goes through its adaptation protocol, two failed attribute lookups
# when no adapter is registered. Registered identity adapters are found by one dict lookup instead (figure in
# docs/performance.md). They change nothing else: None still binds NULL, bytes a BLOB.
sqlite3.register_adapter(bytes, bytes)  # bytes(b) is b itself for bytes
sqlite3.register_adapter(type(None), lambda value: value)


class NotPrepared(BaseException):
    """Raised while a group is prepared outside the writer lock (`Store.prepared`) when the work asks for what a
    prepared group cannot answer from the rows it read and wrote itself (a list, SQL of its own through `conn`, a
    savepoint, a delete): that request is run again under the lock. A BaseException, so that no `except Exception`
    on the way takes it for the request's own failure."""


_ABSENT = object()


class Prepared:
    """A group's writes made outside the writer lock: the statements to run under it, and what they were decided
    from (each read with its answer), to check under the lock that nothing read has changed meanwhile.

    `journal` undoes what a request of the group changed in the Store's memory of the transaction (objects,
    settings, Idempotency-Key answers), for a request that fails alone: its writes are cut from `writes` and its
    changes to that memory undone, as its savepoint would have done."""

    __slots__ = ("writes", "reads", "journal", "keys", "data_version")

    def __init__(self, data_version: int) -> None:
        self.writes: list[tuple[str, Sequence[Any]]] = []
        self.reads: list[tuple[str, tuple[Any, ...], Any]] = []
        self.journal: list[tuple[dict[Any, Any], Any, Any]] = []
        self.keys: dict[tuple[str, str], tuple[str, str, str, int, bytes]] = {}
        self.data_version = data_version

    def mark(self) -> tuple[int, int]:
        return len(self.writes), len(self.journal)

    def rewind(self, mark: tuple[int, int]) -> None:
        """Forget what was written since `mark` (reads stay: checking them again costs nothing wrong)."""
        del self.writes[mark[0]:]
        while len(self.journal) > mark[1]:
            memory, key, previous = self.journal.pop()
            if previous is _ABSENT:
                memory.pop(key, None)
            else:
                memory[key] = previous

    def remember(self, memory: dict[Any, Any], key: Any, value: Any) -> None:
        self.journal.append((memory, key, memory.get(key, _ABSENT)))
        memory[key] = value

    def read(self, conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> Any:
        row = conn.execute(sql, args).fetchone()
        self.reads.append((sql, args, row))
        return row


class Redo(BaseException):
    """Raised inside `Store.optimistic` work that failed after writing: the owner rolls its block back and runs
    it again with a savepoint per piece. A BaseException, so that no `except Exception` on the way swallows it."""


def default_db_path() -> Path:
    """Where `--db` points by default: a data directory under the user's XDG data home."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "checkout-harness" / "gateway.sqlite3"


class Store:
    """One connection per process; every write goes through `transaction()`.

    Inside a write transaction the objects read or written are remembered (their JSON text, by id),
    so that a second `get` of the same object (a renewal reads its customer and card several times)
    costs no query. The writer lock keeps other processes out until COMMIT, and every write to
    `objects` and `settings` goes through this class, so the remembered text is what the database
    holds; it is forgotten at the end of the transaction and whenever a savepoint is rolled back.
    """

    CACHE_MAX = 4096  # objects remembered per transaction (cleared when full: renewals reread what they just touched)

    def __init__(self, path: str | os.PathLike[str], *, background_checkpoints: bool = True,
                 page_size: int | None = None, cache_mb: int | None = None) -> None:
        self.path = str(path)
        self._lock_fd: int | None = None
        self.checkpointer: Checkpointer | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(self.path + "-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        if page_size:  # only a new, empty file takes it (before WAL mode and the first table); else a no-op
            self._conn.execute(f"PRAGMA page_size={int(page_size)}")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.execute("PRAGMA foreign_keys=OFF")
        packing.register(self._conn)  # unpacked(data): the JSON of a packed row, for SQL that reads inside it
        # A request's savepoint (group commit) keeps the pages it changes in a sub-journal: in memory, not a file.
        self._conn.execute("PRAGMA temp_store=MEMORY")
        if cache_mb:  # the page cache (SQLite's default: 2 MiB)
            self._conn.execute(f"PRAGMA cache_size={-1024 * int(cache_mb)}")
        self._depth = 0
        self._stepwise = False
        self._prepared: Prepared | None = None  # while a group is prepared outside the writer lock
        self._changes_at_begin = 0
        # True while a block runs without its per-piece savepoints (see `undo_point`): a piece that fails
        # after writing raises Redo instead of rolling back to its own savepoint.
        self.optimistic = False
        self._cache: dict[str, tuple[bytes, tuple[Any, ...] | None]] = {}
        self._settings: dict[str, str | None] = {}
        self._tables_ready: set[str] = set()
        with self.transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            # This ledger's own random secret for card fingerprints and idempotency fingerprints: in the
            # database, never in the source (a key in the source lets anyone reverse a fingerprint)
            self._conn.execute("INSERT OR IGNORE INTO settings (name, value) VALUES ('fingerprint_key', ?)",
                              (secrets.token_hex(32),))
            row = self._conn.execute("SELECT value FROM settings WHERE name = 'fingerprint_key'").fetchone()
        self.fingerprint_key: bytes = bytes.fromhex(row[0])
        if self._lock_fd is not None and background_checkpoints:
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
            self.checkpointer = Checkpointer(self.path, self.writer_lock)
            self.checkpointer.start()

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, for SQL of the caller's own. Not while a group is prepared outside the writer lock
        (`prepared`): what such SQL reads or writes is not known to the group, so the request runs under the lock."""
        if self._prepared is not None:
            raise NotPrepared()
        return self._conn

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self._conn.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """The cross-process writer lock (a no-op for :memory:, which no other process can see)."""
        if self._lock_fd is None:
            yield
            return
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another process writes: wait, saying so with a POSIX record lock on the lock file's first byte
            # (independent of flock on Linux). flock is not fair: a process that writes again and again (a test
            # clock's advance) looks at that byte and lets the waiting ones go first (`others_waiting`).
            fcntl.lockf(self._lock_fd, fcntl.LOCK_SH, 1, 0)
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            finally:
                fcntl.lockf(self._lock_fd, fcntl.LOCK_UN, 1, 0)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def others_waiting(self) -> bool:
        """Whether another process is waiting for the writer lock (see `writer_lock`)."""
        if self._lock_fd is None:
            return False
        try:  # record locks never conflict within a process: only other processes' waits are seen
            fcntl.lockf(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
        except OSError:  # EAGAIN or EACCES: another process holds the byte, waiting
            return True
        fcntl.lockf(self._lock_fd, fcntl.LOCK_UN, 1, 0)
        return False

    @contextmanager
    def transaction(self, *, stepwise: bool = False) -> Iterator[None]:
        """BEGIN IMMEDIATE .. COMMIT; nested use joins the outer transaction.

        `stepwise`: the work inside may make what it has done durable as it goes (`commit_so_far`), for one
        long request alone in its transaction (a test clock's advance); a rollback then undoes only the rest."""
        if getattr(self, "_depth", 0):
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        self._stepwise = stepwise
        self._forget()
        try:
            with self.writer_lock():
                self._conn.execute("BEGIN IMMEDIATE")
                self._changes_at_begin = self._conn.total_changes
                try:
                    yield
                except BaseException:
                    self._forget()
                    self._conn.execute("ROLLBACK")
                    raise
                else:
                    self._conn.execute("COMMIT")
        finally:
            self._depth = 0
            self._stepwise = False
            self._forget()

    @contextmanager
    def prepared(self) -> Iterator[Prepared]:
        """Prepare a group's writes without the writer lock: the work inside reads one snapshot of the ledger (a read
        transaction, which other processes' writers do not wait for) and its writes are recorded, not run (`Prepared`);
        `apply` runs them later under the lock if what they were decided from is unchanged. The work inside sees its
        own writes through what the transaction remembers (objects, settings, Idempotency-Key answers); what it cannot
        see that way raises NotPrepared (`conn`, lists, savepoints). Two processes then build their groups' objects,
        JSON and packed rows at the same time, and hold the lock only to check and write (docs/performance.md)."""
        if self._depth:
            raise RuntimeError("Store.prepared() inside a transaction")
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        self._forget()
        self._conn.execute("BEGIN")
        self._depth = 1
        self._prepared = record = Prepared(version)
        try:
            yield record
        finally:
            self._prepared = None
            self._depth = 0
            self._forget()
            self._conn.execute("COMMIT")  # the end of the read snapshot: nothing was written

    def apply(self, record: Prepared) -> bool:
        """First in a write transaction: run a prepared group's writes if nothing it read has changed since (no other
        connection committed, or each read gives the same answer again); False, with nothing written, if something
        changed or a write fails (a row another process inserted meanwhile): the group is then run again here. No
        savepoint around the writes (a savepoint costs a copy of every page first changed under it): being first, a
        failure rolls the whole transaction back and begins it again."""
        if self._depth != 1 or self._conn.total_changes != self._changes_at_begin:
            raise RuntimeError("Store.apply() must be the first write of a transaction of its own")
        if self._conn.execute("PRAGMA data_version").fetchone()[0] != record.data_version:
            for sql, args, row in record.reads:
                if self._conn.execute(sql, args).fetchone() != row:
                    return False
        try:
            for statement, values in record.writes:
                self._conn.execute(statement, values)
        except sqlite3.Error:
            self._conn.execute("ROLLBACK")
            self._conn.execute("BEGIN IMMEDIATE")
            self._forget()
            return False
        self._forget()  # what was remembered while preparing was of the snapshot: read again from here on
        return True

    def in_transaction(self) -> bool:
        return bool(self._depth)

    def commit_so_far(self) -> None:
        """In a `stepwise` transaction, outside any savepoint: COMMIT what is done and go on in a new transaction,
        still under the writer lock (so what is remembered stays true). Elsewhere: nothing. One huge transaction
        costs more than its parts (a clock advance committed every 1,000 tasks: docs/performance.md), with
        what each task wrote still committed together with its claim."""
        if self._prepared is not None:
            raise NotPrepared()
        if self._depth == 1 and self._stepwise:
            self._conn.execute("COMMIT")
            self._conn.execute("BEGIN IMMEDIATE")

    def _forget(self) -> None:
        self._cache.clear()
        self._settings.clear()

    def rollback_to(self, savepoint: str) -> None:
        """ROLLBACK TO a savepoint (what the transaction remembers is forgotten with it)."""
        if self._prepared is not None:
            raise NotPrepared()
        self._forget()
        self._conn.execute(f"ROLLBACK TO {savepoint}")

    def undo_point(self, name: str) -> Any:
        """Where a piece of work may have to be undone from: SAVEPOINT `name`, or inside an optimistic block
        no savepoint at all (a savepoint costs a copy of every page first changed under it), only the
        count of rows changed so far; in a prepared group, where its record stands. Pair with `undo` (on failure) or
        `keep` (on success)."""
        if self._prepared is not None:
            return self._prepared.mark()
        if self.optimistic:
            return self._conn.total_changes
        self._conn.execute(f"SAVEPOINT {name}")
        return None

    def undo(self, name: str, point: Any) -> None:
        """Undo what was written since `undo_point`; optimistic: nothing to undo if nothing was written, else Redo."""
        if self._prepared is not None:
            self._prepared.rewind(point)
        elif point is None:
            self.rollback_to(name)
            self._conn.execute(f"RELEASE {name}")
        elif self._conn.total_changes != point:
            raise Redo()

    def keep(self, name: str, point: Any) -> None:
        if point is None and self._prepared is None:
            self._conn.execute(f"RELEASE {name}")

    def batch(self, block: Callable[[], T], *, before_rerun: Callable[[], None] | None = None) -> T:
        """Run `block`, a batch of pieces that each must fail alone (the requests of a group commit, the tasks of
        a clock advance): first without a savepoint per piece (a savepoint costs a copy of every page first
        changed under it), each piece only counting what it writes (`piece`, `undo_point`). A piece that fails
        after writing raises Redo: what the block wrote is rolled back and it runs once more (after
        `before_rerun`) with a real savepoint per piece, so that a failure undoes only its own piece.

        Outside a transaction the block gets one of its own (a group commit: ROLLBACK undoes it, the rerun is
        a second transaction); inside one (a step of a clock advance), SAVEPOINT batch."""
        if self._prepared is not None:
            raise NotPrepared()
        if not self._depth:
            try:
                with self.transaction(), self._optimism(True):
                    return block()
            except Redo:
                pass
            if before_rerun is not None:
                before_rerun()
            with self.transaction(), self._optimism(False):
                return block()
        self._conn.execute("SAVEPOINT batch")
        try:
            try:
                with self._optimism(True):
                    result = block()
            except Redo:
                self.rollback_to("batch")
                if before_rerun is not None:
                    before_rerun()
                with self._optimism(False):
                    result = block()
        except BaseException:
            self.rollback_to("batch")
            self._conn.execute("RELEASE batch")
            raise
        self._conn.execute("RELEASE batch")
        return result

    @contextmanager
    def _optimism(self, optimistic: bool) -> Iterator[None]:
        was, self.optimistic = self.optimistic, optimistic
        try:
            yield
        finally:
            self.optimistic = was

    @contextmanager
    def piece(self, name: str = "piece") -> Iterator[None]:
        """One piece of a `batch`: what it wrote is undone if it raises (an Exception, re-raised), by its own
        savepoint or, in the batch's first run, by Redo when it wrote anything."""
        point = self.undo_point(name)
        try:
            yield
        except Exception:
            self.undo(name, point)
            raise
        self.keep(name, point)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: undo only what the block wrote if it fails (one request of a group commit)."""
        self.conn.execute("SAVEPOINT request")
        try:
            yield
        except BaseException:
            self.rollback_to("request")
            self._conn.execute("RELEASE request")
            raise
        else:
            self._conn.execute("RELEASE request")

    # -- objects ---------------------------------------------------------------------------

    def get(self, id: str) -> dict[str, Any] | None:
        if self._depth:
            entry = self._cache.get(id)
            if entry is not None:
                return orjson.loads(entry[0])
        # as bytes (the UTF-8 SQLite holds, or a packed BLOB), which orjson reads as they are: no str decoded and
        # encoded again
        if self._prepared is not None:
            row = self._prepared.read(self._conn, _GET, (id,))
        else:
            row = self._conn.execute(_GET, (id,)).fetchone()
        if row is None:
            return None
        data = packing.unpack(row[0])
        if self._depth:
            self._remember(id, data, row[1:])
        return orjson.loads(data)

    def _remember(self, id: str, data: bytes, columns: tuple[Any, ...] | None) -> None:
        """What the row holds now: its JSON, and its indexed columns (customer, parent, kind) when known."""
        if self._prepared is not None:  # what a prepared group wrote is only here: never cleared, undone by the journal
            self._prepared.remember(self._cache, id, (data, columns))
            return
        if len(self._cache) >= self.CACHE_MAX:
            self._cache.clear()
        self._cache[id] = (data, columns)

    # The JSON goes in as orjson's UTF-8 bytes, stored as TEXT by CAST (the bytes taken as the database's
    # UTF-8): no decoding to a str and encoding back for SQLite (docs/performance.md; every invoice
    # line holds a non-ASCII "×", so neither is the ASCII fast path). Types that no SQL reads inside
    # (packing.PACKED_TYPES) go in packed, as a BLOB.
    def insert(self, obj: dict[str, Any], **columns: str | None) -> None:
        data = orjson.dumps(obj)
        values = (columns.get("customer"), columns.get("parent"), columns.get("kind"))
        if obj["object"] in packing.PACKED_TYPES:
            sql, args = _INSERT_PACKED, (obj["id"], obj["object"], obj.get("created", 0), *values, packing.pack(data))
        else:
            sql, args = _INSERT_TEXT, (obj["id"], obj["object"], obj.get("created", 0), *values, data)
        if self._prepared is not None:
            self._prepared.writes.append((sql, args))
            self._remember(obj["id"], data, values)  # events too: a prepared group sees its rows only here
            return
        self._conn.execute(sql, args)
        if self._depth and obj["object"] != "event":  # events are written, rarely read back in the same transaction
            self._remember(obj["id"], data, values)

    def update(self, obj: dict[str, Any], **columns: str | None) -> None:
        data = orjson.dumps(obj)
        entry = self._cache.get(obj["id"]) if self._depth else None
        known = entry[1] if entry is not None else None
        packed = obj["object"] in packing.PACKED_TYPES
        sets = ["data = ?" if packed else "data = CAST(? AS TEXT)"]
        values: list[Any] = [packing.pack(data) if packed else data]
        for i, name in enumerate(_COLUMNS):
            # an indexed column set to the value it holds still rewrites its index entries: set only changes
            if name in columns and (known is None or known[i] != columns[name]):
                sets.append(f"{name} = ?")
                values.append(columns[name])
        values.append(obj["id"])
        if self._prepared is not None:
            self._prepared.writes.append((f"UPDATE objects SET {', '.join(sets)} WHERE id = ?", values))
        else:
            self._conn.execute(f"UPDATE objects SET {', '.join(sets)} WHERE id = ?", values)
        if self._depth:
            if known is not None:
                known = tuple(columns[name] if name in columns else known[i] for i, name in enumerate(_COLUMNS))
            self._remember(obj["id"], data, known)

    def delete(self, id: str) -> None:
        self.conn.execute("DELETE FROM objects WHERE id = ?", (id,))
        self._cache.pop(id, None)

    def seq_of(self, id: str, type: str) -> int | None:
        row = self.conn.execute("SELECT seq FROM objects WHERE id = ? AND type = ?", (id, type)).fetchone()
        return row[0] if row else None

    def list(
        self,
        type: str,
        *,
        filters: dict[str, Any] | None = None,
        json_filters: dict[str, Any] | None = None,
        created: dict[str, int] | None = None,
        limit: int = 10,
        after_seq: int | None = None,
        before_seq: int | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest first, as Stripe lists; returns one page and whether more follow.

        A filter given several values (events of several types, subscriptions of several statuses) is read as one
        query per value, each walking its own stretch of an index in seq order, merged: a single `IN` query walks
        every row of the type in seq order instead (the index that has the order lacks the column), which for the
        day's events of four types on a renewal day meant reading every event of the day (docs/subscriptions.md)."""
        where = ["type = ?"]
        args: list[Any] = [type]
        several: tuple[str, tuple[Any, ...]] | None = None
        for name, value in (filters or {}).items():
            assert name in _COLUMNS
            if isinstance(value, (list, tuple)):
                if several is None and len(value) > 1:
                    several = (name, tuple(value))
                    continue
                where.append(f"{name} IN ({','.join('?' * len(value))})")
                args.extend(value)
            elif value.endswith("*"):  # a family, e.g. events of type payment_intent.*
                where.append(f"{name} LIKE ? ESCAPE '\\'")
                args.append(value[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
            else:
                where.append(f"{name} = ?")
                args.append(value)
        column = "unpacked(data)" if type in packing.PACKED_TYPES else "data"
        for path, value in (json_filters or {}).items():
            where.append(f"json_extract({column}, '$.{path}') = ?")
            args.append(value)
        for op, value in (created or {}).items():
            sql_op = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
            where.append(f"created {sql_op} ?")
            args.append(value)
        if before_seq is not None:
            # ending_before: the page just newer than the cursor, still shown newest first.
            where.append("seq > ?")
            args.append(before_seq)
            rows = self._select(where, args, several, "ASC", limit + 1)
            has_more = len(rows) > limit
            return [packing.loads(r[0]) for r in reversed(rows[:limit])], has_more
        if after_seq is not None:
            where.append("seq < ?")
            args.append(after_seq)
        rows = self._select(where, args, several, "DESC", limit + 1)
        return [packing.loads(r[0]) for r in rows[:limit]], len(rows) > limit

    def _select(self, where: Sequence[str], args: Sequence[Any], several: tuple[str, tuple[Any, ...]] | None, order: str,
                limit: int) -> Sequence[tuple[Any, ...]]:
        """`SELECT data` of the rows matching `where`, in seq `order`, at most `limit`; with `several` (a column and
        its values), one sub-query per value, each limited, merged in seq order."""
        if several is None:
            sql = f"SELECT data FROM objects WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?"
            return self.conn.execute(sql, (*args, limit)).fetchall()
        name, values = several
        one = f"SELECT * FROM (SELECT seq, data FROM objects WHERE {' AND '.join(where)} AND {name} = ? ORDER BY seq {order} LIMIT ?)"
        sql = f"SELECT data FROM ({' UNION ALL '.join([one] * len(values))}) ORDER BY seq {order} LIMIT ?"
        return self.conn.execute(sql, [x for value in values for x in (*args, value, limit)] + [limit]).fetchall()

    def iter_type(self, type: str) -> Iterator[dict[str, Any]]:
        """Every object of a type, oldest first (for ledger export)."""
        for (data,) in self.conn.execute("SELECT data FROM objects WHERE type = ? ORDER BY seq", (type,)):
            yield packing.loads(data)

    # -- idempotency -----------------------------------------------------------------------

    def idempotent_result(self, api_key: str, key: str) -> tuple[str, str, str, int, bytes] | None:
        prepared = self._prepared
        if prepared is not None:
            saved = prepared.keys.get((api_key, key))
            if saved is not None:  # recorded by a request before it in the prepared group
                return saved
            row = prepared.read(self._conn, _GET_KEY, (api_key, key))
        else:
            row = self._conn.execute(_GET_KEY, (api_key, key)).fetchone()
        if row is None:
            return None
        return (row[0], row[1], row[2], row[3], packing.unpack(row[4]))

    def save_idempotent_result(
        self, api_key: str, key: str, method: str, path: str, fingerprint: str, status: int, body: bytes, now: int
    ) -> None:
        args = (api_key, key, method, path, fingerprint, status, packing.pack(body), now)
        if self._prepared is not None:
            self._prepared.writes.append((_PUT_KEY, args))
            self._prepared.remember(self._prepared.keys, (api_key, key), (method, path, fingerprint, status, body))
        else:
            self._conn.execute(_PUT_KEY, args)

    # -- tables beyond the ledger's own -----------------------------------------------------

    def ensure_tables(self, ddl: str) -> None:
        """Run `ddl` (CREATE ... IF NOT EXISTS statements) once per Store: remembered, since running it again
        costs more than the lookup (docs/performance.md) on paths that ensure their table on every call."""
        if ddl in self._tables_ready:
            return
        for statement in ddl.split(";"):
            if statement.strip():
                self.conn.execute(statement)
        self._tables_ready.add(ddl)

    # -- settings --------------------------------------------------------------------------

    def setting(self, name: str) -> str | None:
        if self._depth and name in self._settings:
            return self._settings[name]
        if self._prepared is not None:
            row = self._prepared.read(self._conn, _GET_SETTING, (name,))
            value = row[0] if row else None
            self._prepared.remember(self._settings, name, value)
            return value
        row = self._conn.execute(_GET_SETTING, (name,)).fetchone()
        value = row[0] if row else None
        if self._depth:
            self._settings[name] = value
        return value

    def set_setting(self, name: str, value: str) -> None:
        if self._prepared is not None:
            self._prepared.writes.append((_PUT_SETTING, (name, value)))
            self._prepared.remember(self._settings, name, value)
            return
        self._settings.pop(name, None)
        self._conn.execute(_PUT_SETTING, (name, value))


def _page_size(path: str) -> int:
    conn = sqlite3.connect(path, timeout=30.0)
    try:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


class Checkpointer(threading.Thread):
    """Copies the WAL into the database file in the background, and keeps the WAL short.

    Requests' connections run with wal_autocheckpoint=0. Every `interval` this thread runs a
    PASSIVE checkpoint (writers go on meanwhile; sqlite3 releases the GIL for it). Under steady
    writes a passive pass never reaches the end of the WAL (it copies what was there when it
    started), so the WAL would grow without bound. Once it is longer than `restart_frames`, passes
    follow each other until fewer than `restart_gap` frames were appended during one; then one
    last pass under the writer lock copies that short rest, and the next writer starts the WAL from
    its beginning again. The writers wait only for that short rest (plus its fsyncs), not for the whole
    WAL: holding the lock for a whole WAL stalled them for seconds. If passes cannot catch up (the
    disk is slower than the writers) the lock is taken anyway at `max_frames`, which slows writers
    down to what the disk can take rather than let the WAL fill it.
    """

    def __init__(self, path: str, writer_lock: Callable[[], AbstractContextManager[None]], *, interval: float = 0.2,
                 restart_frames: int | None = None, restart_gap: int | None = None, max_frames: int | None = None) -> None:
        super().__init__(name=f"checkpointer {path}", daemon=True)
        self.path = path
        self.writer_lock = writer_lock
        self.interval = interval
        # Thresholds in WAL frames (pages); by default 64 MiB, 8 MiB and 1 GiB of pages of this file's size.
        page = _page_size(path)
        self.restart_frames = restart_frames or (64 << 20) // page
        self.restart_gap = restart_gap or (8 << 20) // page
        self.max_frames = max_frames or (1 << 30) // page
        self._stopping = threading.Event()
        self.passes = 0
        self.restarts = 0

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        # One checkpointer per database, whichever process holds this lock: two would double the
        # fsyncs and take turns stalling each other's writers.
        role = os.open(self.path + "-checkpointer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            while not self._stopping.wait(self.interval):
                try:
                    fcntl.flock(role, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # another process checkpoints this database
                self.checkpoint(conn)
        except sqlite3.Error:
            pass  # the database went away (deleted directory, closing process): nothing left to copy
        finally:
            conn.close()
            os.close(role)  # and with it the role, for another process to take

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        busy, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.passes += 1
        if busy or frames < self.restart_frames:
            return
        for _ in range(8):  # passes back to back until little is appended during one
            busy, now, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.passes += 1
            if busy or self._stopping.is_set():
                return
            if now - frames <= self.restart_gap or now >= self.max_frames:
                break
            frames = now
        else:
            return  # the writers outpace the passes: try again after the interval
        with self.writer_lock():
            conn.execute("PRAGMA wal_checkpoint(RESTART)")
        self.restarts += 1

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)
