"""Time: test clocks, and a small scheduler of things due at time T.

A customer created with `test_clock=clock_...` lives on that clock's frozen time, and so do its
payments (konbini voucher expiry, QR code expiry, uncaptured authorisations); everything else
lives on real time. A module exports its handlers as a table, `TASKS = {"konbini.expire": expire}`;
core/tasks.py joins the tables and the Gateway installs them; then work is scheduled for an object:

    clock.schedule(ctx, "konbini.expire", pi["id"], at=expires_at, clock=clock.clock_id_for(ctx, customer))

Due work runs in one of two ways, in due order, each in its own savepoint:
- on a test clock, inside the `advance` request, with `ctx.now` set to the task's due time;
- on real time, from the server's periodic sweep (`run_due`, started in the app's lifespan,
  every `--sweep-interval` seconds). Expiry without a clock is therefore late by at most one
  sweep interval; nothing is checked on access.
One (task, ref) pair is scheduled at most once: scheduling it again moves it.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ..store.db import Store
from . import tables
from .context import Ctx, public
from .errors import StripeError, invalid_request
from .ids import new_id

log = logging.getLogger("mock_gateway.clock")

_DDL = """
CREATE TABLE IF NOT EXISTS scheduled_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    due INTEGER NOT NULL,
    clock TEXT,
    task TEXT NOT NULL,
    ref TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    UNIQUE (task, ref)
);
CREATE INDEX IF NOT EXISTS scheduled_tasks_due ON scheduled_tasks (clock, due, id);
"""

Handler = Callable[[Ctx, str, dict[str, Any]], None]
TASKS: dict[str, Handler] = {}
MAX_TASKS_PER_ADVANCE = 100_000
DELETES_AFTER = 30 * 86400
_BATCH = 1000  # due tasks an advance reads at a time
_STEP_BATCH = 100  # ... when it runs in short steps (a server's advance): what a step of a few tens of ms may run


class _Batch:
    """The tasks an advance has read ahead: due up to `horizon` on `clock`. Scheduling a task on that
    clock due by the horizon makes the read-ahead `stale` (it may belong before tasks still in it)."""

    __slots__ = ("clock", "horizon", "stale")

    def __init__(self, clock: str) -> None:
        self.clock, self.horizon, self.stale = clock, -1, False


_BATCHES: weakref.WeakKeyDictionary[Store, _Batch] = weakref.WeakKeyDictionary()


def install(tasks: Mapping[str, Handler]) -> None:
    """Make these handlers run when tasks of their names fall due (core/tasks.py has the list)."""
    TASKS.update(tasks)


def schedule(ctx: Ctx, name: str, ref: str, at: int, clock: str | None = None, data: dict[str, Any] | None = None) -> None:
    """Run task `name` for object `ref` at `at` (on `clock`'s time, or real time when None)."""
    if name not in TASKS:
        raise KeyError(f"no handler registered for scheduled task {name!r}")
    batch = _BATCHES.get(ctx.store)
    if batch is not None and clock == batch.clock and at <= batch.horizon:
        batch.stale = True
    tables.ensure(ctx.store, _DDL)
    ctx.store.conn.execute(
        "INSERT INTO scheduled_tasks (due, clock, task, ref, data) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (task, ref) DO UPDATE SET due = excluded.due, clock = excluded.clock, data = excluded.data",
        (int(at), clock, name, ref, orjson.dumps(data or {}).decode()),
    )


def is_scheduled(ctx: Ctx, name: str, ref: str) -> bool:
    tables.ensure(ctx.store, _DDL)
    return ctx.store.conn.execute("SELECT 1 FROM scheduled_tasks WHERE task = ? AND ref = ?", (name, ref)).fetchone() is not None


def unschedule(ctx: Ctx, name: str, ref: str) -> None:
    tables.ensure(ctx.store, _DDL)
    ctx.store.conn.execute("DELETE FROM scheduled_tasks WHERE task = ? AND ref = ?", (name, ref))


def unschedule_clock(ctx: Ctx, clock_id: str) -> None:
    """Drop everything scheduled on a test clock (deleted)."""
    tables.ensure(ctx.store, _DDL)
    ctx.store.conn.execute("DELETE FROM scheduled_tasks WHERE clock = ?", (clock_id,))


def scheduled(store: Store, ref: str) -> list[dict[str, Any]]:
    """What is due for one object (for tests and the harness's inspection)."""
    tables.ensure(store, _DDL)
    rows = store.conn.execute("SELECT task, due, clock FROM scheduled_tasks WHERE ref = ? ORDER BY due", (ref,)).fetchall()
    return [{"task": t, "due": d, "clock": c} for t, d, c in rows]


# -- which clock an object lives on -----------------------------------------------------------


def clock_id_for(ctx: Ctx, customer_id: str | None) -> str | None:
    if not customer_id:
        return None
    customer = ctx.store.get(customer_id)
    return customer.get("test_clock") if customer else None


def now_for(ctx: Ctx, customer_id: str | None) -> int:
    """The current time for a customer's objects: its test clock's frozen time, or ctx.now."""
    return clock_and_now(ctx, customer_id)[1]


def clock_and_now(ctx: Ctx, customer_id: str | None) -> tuple[str | None, int]:
    """The customer's test clock (None: real time) and its current time, the customer read once."""
    clock_id = clock_id_for(ctx, customer_id)
    if clock_id:
        clk = ctx.store.get(clock_id)
        if clk is not None:
            return clock_id, int(clk["frozen_time"])
    return clock_id, ctx.now


# -- running due work ---------------------------------------------------------------------


def _run_one(ctx: Ctx, name: str, ref: str, data: str) -> None:
    """One task, undone alone if it fails (logged; the other tasks still run)."""
    handler = TASKS.get(name)
    if handler is None:
        log.error("scheduled task %s for %s has no handler; dropped", name, ref)
        return
    store = ctx.store
    point = store.undo_point("scheduled_task")
    try:
        handler(ctx, ref, orjson.loads(data))
    except StripeError as err:
        store.undo("scheduled_task", point)
        log.warning("scheduled task %s for %s refused: %s", name, ref, err.message)
        return
    except Exception:
        store.undo("scheduled_task", point)
        log.exception("scheduled task %s for %s failed", name, ref)
        return
    store.keep("scheduled_task", point)


def run_due(store: Store, now: float, limit: int = 200) -> int:
    """The real-time sweep: run tasks on no clock that are due by `now`; returns how many ran.

    Each task is claimed (deleted) and run in one transaction, so processes sharing the
    database never run a task twice.
    """
    tables.ensure(store, _DDL)
    if store.conn.execute("SELECT 1 FROM scheduled_tasks WHERE clock IS NULL AND due <= ? LIMIT 1", (int(now),)).fetchone() is None:
        return 0
    ran = 0
    while ran < limit:
        with store.transaction():
            row = store.conn.execute(
                "SELECT id, task, ref, data FROM scheduled_tasks WHERE clock IS NULL AND due <= ? ORDER BY due, id LIMIT 1",
                (int(now),),
            ).fetchone()
            if row is None:
                break
            store.conn.execute("DELETE FROM scheduled_tasks WHERE id = ?", (row[0],))
            _run_one(Ctx(store, now=int(now)), row[1], row[2], row[3])
        ran += 1
    return ran


# -- test clocks ----------------------------------------------------------------------------


def create(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    clk = {
        "id": new_id("clock"),
        "object": "test_helpers.test_clock",
        "created": ctx.now,
        "deletes_after": ctx.now + DELETES_AFTER,
        "frozen_time": p["frozen_time"],
        "livemode": False,
        "name": p.get("name"),
        "status": "ready",
        "status_details": {},
    }
    ctx.store.insert(clk)
    ctx.emit("test_helpers.test_clock.created", clk)
    return clk


def _run_batch(ctx: Ctx, clk: dict[str, Any], rows: list[tuple[Any, ...]], batch: _Batch,
               enough: Callable[[], bool] | None = None) -> int:
    """Run the tasks read ahead, in order, until the read-ahead goes stale or `enough()` says the step is over;
    returns how many ran (the rest stay scheduled, read again next time)."""
    store, conn = ctx.store, ctx.store.conn
    batch.stale = False
    ran = 0
    for task_id, name, ref, data, due in rows:
        if conn.execute("DELETE FROM scheduled_tasks WHERE id = ? AND due = ?", (task_id, due)).rowcount != 1:
            continue  # unscheduled, or moved to a later time, by a task that ran before it
        if due > clk["frozen_time"]:  # the clock's stored time follows the tasks (handlers read it)
            clk["frozen_time"] = due
            store.update(clk)
        _run_one(Ctx(store, ctx.base_url, due, ctx.request_id, ctx.idempotency_key), name, ref, data)
        ran += 1
        if batch.stale:  # a task scheduled something due within the read-ahead: read the order again
            break
        if enough is not None and enough():
            break
    return ran


class Advance:
    """An advance under way: the clock, where it goes, how many tasks have run."""

    __slots__ = ("clock_id", "target", "ran")

    def __init__(self, clock_id: str, target: int) -> None:
        self.clock_id, self.target, self.ran = clock_id, target, 0


LEASE_S = 30  # an advance that has not stepped for this long was cut short (its process died): another may take over


def begin_advance(ctx: Ctx, clk: dict[str, Any], frozen_time: int) -> Advance:
    """Mark the clock `advancing` towards `frozen_time` (Stripe's advance is asynchronous: it answers with
    this status and runs the work after); refused while another advance of it is under way."""
    if frozen_time <= clk["frozen_time"]:
        raise invalid_request(
            f"The frozen_time must be after the test clock's current frozen_time ({clk['frozen_time']}); found {frozen_time}.",
            param="frozen_time",
        )
    if clk["status"] == "advancing" and clk.get("_lease_until", 0) > time.time():
        raise invalid_request(
            f"The test clock {clk['id']} is advancing (to {clk['status_details']['advancing']['target_frozen_time']}); "
            "wait until its status is ready.", param="frozen_time", code="test_clock_not_ready")
    tables.ensure(ctx.store, _DDL)
    clk["status"] = "advancing"
    clk["status_details"] = {"advancing": {"target_frozen_time": frozen_time}}
    clk["_lease_until"] = int(time.time()) + LEASE_S
    ctx.store.update(clk)
    ctx.emit("test_helpers.test_clock.advancing", public(clk))
    return Advance(clk["id"], frozen_time)


class StepBudget:
    """When a step of an advance has done enough: `cpu_s` of this thread's CPU time, or `wall_s` of wall time,
    whichever comes first. CPU time, so that on a loaded machine (the step preempted) a step still gets its
    work done rather than commit after a few tasks (a transaction costs ~3 ms of its own: commit, caches
    warmed again); the wall-time cap bounds what other writers wait when the machine is that loaded."""

    __slots__ = ("cpu_end", "wall_end")

    def __init__(self, cpu_s: float, wall_s: float) -> None:
        self.cpu_end = time.thread_time() + cpu_s
        self.wall_end = time.perf_counter() + wall_s

    def __call__(self) -> bool:
        return time.thread_time() >= self.cpu_end or time.perf_counter() >= self.wall_end


def advance_step(ctx: Ctx, state: Advance, enough: Callable[[], bool] | None = None) -> bool:
    """Run due tasks of the advance, a read-ahead batch at a time, until none is due (True: done) or until
    `enough()` (a StepBudget) says the step is over (False: call again, in another transaction).
    Without `enough`, what is done is committed after each batch when the transaction allows it."""
    store, conn = ctx.store, ctx.store.conn
    clk = store.get(state.clock_id)
    if clk is None or clk.get("object") != "test_helpers.test_clock":
        return True  # deleted meanwhile: nothing left to run
    tables.ensure(store, _DDL)
    frozen_time = state.target
    batch = _Batch(clk["id"])
    _BATCHES[store] = batch
    try:
        while state.ran < MAX_TASKS_PER_ADVANCE:
            # The next tasks in due order, read a batch at a time; each is claimed (deleted) just before it
            # runs, and only if an earlier task did not unschedule or move it meanwhile.
            rows = conn.execute(
                "SELECT id, task, ref, data, due FROM scheduled_tasks WHERE clock = ? AND due <= ? ORDER BY due, id LIMIT ?",
                (clk["id"], frozen_time, min(_BATCH if enough is None else _STEP_BATCH, MAX_TASKS_PER_ADVANCE - state.ran)),
            ).fetchall()
            if not rows:
                return True
            batch.horizon = rows[-1][4]
            frozen_before = clk["frozen_time"]

            def run(rows: list[tuple[Any, ...]] = rows) -> int:
                return _run_batch(ctx, clk, rows, batch, enough)

            def rewind(frozen_before: int = frozen_before) -> None:
                clk["frozen_time"] = frozen_before

            # Its tasks without a savepoint each; if one fails after writing, the batch runs again with one each.
            ran = store.batch(run, before_rerun=rewind)
            state.ran += ran
            if enough is not None:
                if enough():
                    clk["_lease_until"] = int(time.time()) + LEASE_S
                    store.update(clk)
                    return False
            else:
                store.commit_so_far()  # when the advance is alone in its request's transaction
        return True
    finally:
        _BATCHES.pop(store, None)


def finish_advance(ctx: Ctx, state: Advance) -> dict[str, Any]:
    """The clock at its target time, `ready` again."""
    clk = ctx.get(state.clock_id, "test_helpers.test_clock", "test clock")
    clk["frozen_time"] = state.target
    clk["status"] = "ready"
    clk["status_details"] = {}
    clk.pop("_lease_until", None)
    ctx.store.update(clk)
    ctx.emit("test_helpers.test_clock.ready", public(clk))
    return clk


def advance(ctx: Ctx, clk: dict[str, Any], frozen_time: int) -> dict[str, Any]:
    """Move the clock forward, running everything due on it up to `frozen_time` in due order, in one call
    (in-process callers; a server runs begin_advance, advance_step and finish_advance in turns, see
    api/gateway.py, so that other writes go on between the steps)."""
    state = begin_advance(ctx, clk, frozen_time)
    advance_step(ctx, state)
    return finish_advance(ctx, state)
