"""Store.list with a filter of several values (events of several types, subscriptions of several statuses) is read
as one query per value, merged: the pages must be the ones a plain filter over every row gives, newest first, in
both cursor directions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mock_gateway.store.db import Store

KINDS = ("a", "b", "c", "d")


@settings(max_examples=120, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 5)), min_size=0, max_size=40),
       wanted=st.lists(st.sampled_from(KINDS), min_size=2, max_size=4, unique=True),
       cursor=st.integers(0, 45), direction=st.sampled_from(("after", "before", None)), limit=st.integers(1, 7),
       since=st.one_of(st.none(), st.integers(0, 5)))
def test_a_filter_of_several_values_pages_as_a_plain_filter(rows, wanted, cursor, direction, limit, since):
    store = Store(":memory:")
    with store.transaction():
        for n, (kind, created) in enumerate(rows):
            store.insert({"id": f"evt_{n:03d}", "object": "event", "created": created, "n": n}, kind=kind)
    created = {"gte": since} if since is not None else None
    matching = [n for n, (kind, at) in enumerate(rows) if kind in wanted and (since is None or at >= since)]  # seq = n + 1
    if direction == "after":  # starting_after: older than the cursor, newest first
        older = [n for n in reversed(matching) if n + 1 < cursor]
        expected, more = older[:limit], len(older) > limit
        page = store.list("event", filters={"kind": wanted}, created=created, limit=limit, after_seq=cursor)
    elif direction == "before":  # ending_before: the page just newer than the cursor, newest first
        newer = [n for n in matching if n + 1 > cursor]
        expected, more = list(reversed(newer[:limit])), len(newer) > limit
        page = store.list("event", filters={"kind": wanted}, created=created, limit=limit, before_seq=cursor)
    else:
        expected, more = list(reversed(matching))[:limit], len(matching) > limit
        page = store.list("event", filters={"kind": wanted}, created=created, limit=limit)
    assert ([o["n"] for o in page[0]], page[1]) == (expected, more)
    store.close()
