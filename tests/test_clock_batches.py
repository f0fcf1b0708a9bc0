"""The test clock's advance reads due tasks ahead in batches and runs a batch without a savepoint per
task: the order in which tasks run and what a failing task leaves behind must be what running them
one by one, each in its own savepoint, gives (the reference below is the scheduler as it was)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_gateway.core import clock
from mock_gateway.core.context import Ctx
from mock_gateway.store.db import Store

T0 = 1_767_225_600
runs: list[tuple[str, int]] = []


def _prog(ctx: Ctx, ref: str, data: dict) -> None:
    """Record the run, write an object, then do what the task's program says (schedule, move, cancel, fail)."""
    runs.append((ref, ctx.now))
    ctx.store.insert({"id": f"obj_{ref}_{ctx.now}", "object": "thing", "created": ctx.now})
    for op, target, delay in data.get("ops", []):
        if op == "schedule":
            clock.schedule(ctx, "test.batch.prog", target, ctx.now + delay, data["clock"], {"clock": data["clock"]})
        elif op == "cancel":
            clock.unschedule(ctx, "test.batch.prog", target)
    if data.get("fail"):
        raise RuntimeError("handler bug")


clock.install({"test.batch.prog": _prog})


def _reference_advance(ctx: Ctx, clk: dict, frozen_time: int, limit: int = 100_000) -> None:
    """The scheduler before read-ahead: one query per task, each task in its own savepoint."""
    conn = ctx.store.conn
    for _ in range(limit):
        row = conn.execute("SELECT id, task, ref, data, due FROM scheduled_tasks WHERE clock = ? AND due <= ? "
                           "ORDER BY due, id LIMIT 1", (clk["id"], frozen_time)).fetchone()
        if row is None:
            break
        conn.execute("DELETE FROM scheduled_tasks WHERE id = ?", (row[0],))
        clk["frozen_time"] = max(clk["frozen_time"], row[4])
        ctx.store.update(clk)
        conn.execute("SAVEPOINT t")
        try:
            clock.TASKS[row[1]](Ctx(ctx.store, ctx.base_url, row[4]), row[2], __import__("orjson").loads(row[3]))
        except Exception:
            ctx.store.rollback_to("t")
        conn.execute("RELEASE t")
    clk["frozen_time"] = frozen_time
    ctx.store.update(clk)


def _run(program: list[tuple[str, int, dict]], advance, target: int, stepwise: bool = False) -> tuple[list, list, list]:
    runs.clear()
    store = Store(":memory:")
    with store.transaction(stepwise=stepwise):  # stepwise: the advance commits after each batch, as in a server
        ctx = Ctx(store, now=T0)
        clk = clock.create(ctx, {"frozen_time": T0})
        for ref, due, data in program:
            clock.schedule(ctx, "test.batch.prog", ref, T0 + due, clk["id"], {**data, "clock": clk["id"]})
        advance(ctx, store.get(clk["id"]), T0 + target)
    things = [r[0] for r in store.conn.execute("SELECT id FROM objects WHERE type = 'thing' ORDER BY seq")]  # what stayed, in run order
    left = store.conn.execute("SELECT ref, due FROM scheduled_tasks ORDER BY due, id").fetchall()
    return list(runs), things, left


def test_a_task_that_fails_after_writing_is_undone_alone(monkeypatch):
    monkeypatch.setattr(clock, "_BATCH", 4)
    program = [("a", 10, {}), ("b", 10, {"fail": True}), ("c", 10, {}), ("d", 20, {"ops": [("schedule", "e", 0)]}),
               ("f", 30, {"fail": True}), ("g", 40, {})]
    done, things, left = _run(program, clock.advance, 100)
    # a batch in which a task failed after writing ran again, each task in a savepoint of its own
    assert [ref for ref, _ in done] == ["a", "b", "a", "b", "c", "d", "e", "f", "e", "f", "g"]
    assert things == [f"obj_{ref}_{T0 + due}" for ref, due in (("a", 10), ("c", 10), ("d", 20), ("e", 20), ("g", 40))]
    assert left == []
    assert _run(program, _reference_advance, 100)[1:] == (things, left)


def test_moving_or_cancelling_a_task_read_ahead_keeps_the_order(monkeypatch):
    monkeypatch.setattr(clock, "_BATCH", 10)
    program = [("a", 10, {"ops": [("schedule", "c", 10)]}), ("b", 30, {"ops": [("cancel", "x", 0), ("schedule", "e", 100)]}),
               ("c", 40, {}), ("x", 50, {}), ("e", 55, {}), ("d", 60, {"ops": [("schedule", "b", 100)]})]
    done, _, left = _run(program, clock.advance, 100)
    assert done == [("a", T0 + 10), ("c", T0 + 20), ("b", T0 + 30), ("d", T0 + 60)]
    assert left == [("e", T0 + 130), ("b", T0 + 160)]


_ops = st.lists(st.tuples(st.sampled_from(["schedule", "cancel"]), st.sampled_from(list("abcdefgh")),
                          st.integers(min_value=0, max_value=30)), max_size=3)
_programs = st.lists(st.tuples(st.sampled_from(list("abcdefgh")), st.integers(min_value=0, max_value=60),
                               st.fixed_dictionaries({"ops": _ops, "fail": st.booleans()})), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(program=_programs, target=st.integers(min_value=1, max_value=90), batch=st.integers(min_value=1, max_value=5),
       stepwise=st.booleans())
def test_batched_advance_matches_one_task_at_a_time(program, target, batch, stepwise):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clock, "_BATCH", batch)
        mp.setattr(clock, "MAX_TASKS_PER_ADVANCE", 200)  # programs may schedule each other forever
        got = _run(program, clock.advance, target, stepwise)
    expected = _run(program, _reference_advance_limited, target)
    # Tasks of a batch that is run again run twice; what stays (the objects the runs wrote, in the order
    # written, and what is left scheduled) is the same.
    assert got[1:] == expected[1:]


def _reference_advance_limited(ctx: Ctx, clk: dict, frozen_time: int) -> None:
    _reference_advance(ctx, clk, frozen_time, limit=200)


def test_a_stepwise_transaction_commits_as_it_goes_and_a_failure_undoes_only_the_rest(tmp_path):
    store = Store(tmp_path / "ledger.sqlite3", background_checkpoints=False)
    other = __import__("sqlite3").connect(store.path)
    seen = lambda: [r[0] for r in other.execute("SELECT id FROM objects WHERE type = 'thing' ORDER BY seq")]  # noqa: E731
    with store.transaction():  # not stepwise: commit_so_far does nothing
        store.insert({"id": "thing_a", "object": "thing", "created": 0})
        store.commit_so_far()
        assert seen() == []
    with pytest.raises(RuntimeError):
        with store.transaction(stepwise=True):
            store.insert({"id": "thing_b", "object": "thing", "created": 0})
            store.commit_so_far()
            assert seen() == ["thing_a", "thing_b"]  # durable before the transaction ends
            store.insert({"id": "thing_c", "object": "thing", "created": 0})
            raise RuntimeError("a bug after the first step")
    assert seen() == ["thing_a", "thing_b"] and store.get("thing_c") is None
    with store.transaction():  # the next transaction is not stepwise unless asked
        store.insert({"id": "thing_d", "object": "thing", "created": 0})
        store.commit_so_far()
        assert "thing_d" not in seen()
    other.close()
    store.close()
