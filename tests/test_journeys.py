"""Journeys: the plan, the person's reading of labels, and real journeys through the hosted page."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.journeys.plan import assign, share
from harness.journeys.understanding import data_key, normalise


@given(st.lists(st.sampled_from(["baseline", "inline-best", "steps"]), min_size=1, max_size=3, unique=True),
       st.integers(1, 40), st.integers(0, 2**31))
def test_assignment_is_balanced_paired_and_deterministic(variants, count, seed):
    plan = assign(variants, [("desktop-typical", 1.0), ("phone-typical", 3.0)], count, seed)
    assert plan == assign(variants, [("desktop-typical", 1.0), ("phone-typical", 3.0)], count, seed)
    assert Counter(a.variant for a in plan) == {v: count for v in variants}
    # person i is the same person on every variant: variants differ only by their pages
    by_person = Counter((a.journey_id.split("-")[0], a.persona, a.seed) for a in plan)
    assert set(by_person.values()) == {len(variants)}
    parts = share(plan, 3)
    assert sorted(a.journey_id for p in parts for a in p) == sorted(a.journey_id for a in plan)


@pytest.mark.parametrize("label, key", [
    ("Email address", "email"), ("メールアドレス", "email"), ("Last name", "family_name"), ("セイ", "family_name_kana"),
    ("姓", "family_name"), ("名", "given_name"), ("Full name", "full_name"), ("氏名", "full_name"),
    ("Postal code", "postal_code"), ("郵便番号", "postal_code"), ("State or prefecture", "region"),
    ("City", "city"), ("Address line 2", "address_line2"), ("Card number", "card_number"), ("カード番号", "card_number"),
    ("Expiry date", "card_exp"), ("Security code", "card_cvc"), ("Name on card", "card_name"),
    ("Password", "password"), ("Phone number", "phone"), ("Country", "country"), ("国", "country"),
    ("Country code", None), ("Favourite colour", None),
])
def test_labels_are_understood(label, key):
    assert data_key(label) == key


@given(st.text(alphabet="0123456789", min_size=1, max_size=19))
def test_normalise_ignores_grouping_and_width(digits):
    grouped = " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))
    full_width = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert normalise(grouped) == normalise(digits) == normalise(full_width)


def test_normalise_keeps_a_doubled_separator_a_person_would_see():
    assert normalise("04 / 33") == normalise("04/33") != normalise("04//33")
    assert normalise("150-0001") == normalise("1500001")


REASONS = {"too_many_errors", "unrecoverable_error", "effort", "too_long", "forced_account", "preferred_method_missing",
           "nothing_accepted", "slow_response", "declined", "stuck"}
HUMAN_KINDS = {"orienting", "thinking", "pointing", "homing", "typing", "reading", "error_noticing", "error_finding",
               "error_reading", "error_fixing", "hesitating"}


@pytest.mark.browser
def test_journeys_on_baseline_and_inline_best_give_complete_records_and_repeat_exactly(gateway, tmp_path: Path):
    from harness.journeys.part import JourneyRun
    from harness.journeys.plan import Assignment

    people = [Assignment(f"j{i}-{v}", v, p, 1000 + i) for i, p in enumerate(["desktop-typical", "phone-typical"])
              for v in ("baseline", "inline-best")]
    records = []
    for attempt in range(2):
        run_dir = tmp_path / f"run{attempt}"
        run = JourneyRun(people, gateway.url, run_dir, processes=1, concurrency=2, pace="instant", timeout_s=120,
                         api_key="sk_test_journeys", currency="usd", amount=4980)
        assert run.wait(300) == 0
        records.append({r["journey_id"]: r for r in map(json.loads, (run_dir / "journeys.jsonl").read_text().splitlines())})
    first, second = records
    assert set(first) == {a.journey_id for a in people}
    for jid, r in first.items():
        assert r["outcome"] in ("success", "abandoned", "error"), r.get("error")
        assert r["human_ms"] > 10_000 and r["system_ms"] > 0
        assert r["fields"] and all(f["keystrokes"] >= 0 for f in r["fields"].values())
        assert r["traits"]["device"] in ("desktop", "phone")
        if r["outcome"] == "success":
            assert r["payment_intent"].startswith("pi_") and r["checkout_session"].startswith("cs_")
        else:
            assert r["reason"] in REASONS and r["ended_step"]
        # effort met: at least one field equivalent per field typed, and one for the first step
        typed = sum(1 for f in r["fields"].values() if f["keystrokes"])
        assert r["effort"] >= typed + 1 and r["effort_by_kind"]["field"] >= typed
        assert set(r["human_ms_by_kind"]) <= HUMAN_KINDS
        for f in r["fields"].values():
            assert {"intent_errors", "shown_while_typing", "never_seen", "needless_corrections", "wrong_fixes"} <= set(f)
            assert f["never_seen"] <= f["errors_shown"] + f["shown_while_typing"]
        # same seed, same scenario: the same person and the same human-time results
        again = second[jid]
        assert (again["outcome"], again["human_ms"], again["fields"]) == (r["outcome"], r["human_ms"], r["fields"])
    # errors the page never showed were never fixed
    for r in first.values():
        for f in r["fields"].values():
            assert f["errors_noticed"] + f["errors_unnoticed"] <= f["errors_shown"]
            assert len(f["time_to_fix_ms"]) <= f["errors_noticed"]


@pytest.mark.browser
def test_a_failed_journey_keeps_its_trace_and_the_next_one_starts_clean(gateway, tmp_path: Path):
    """A journey that fails (here: the checkout session cannot be created) is recorded as failed with
    its Playwright trace kept; the next journey in the same browser gets a fresh context and succeeds."""
    import zipfile

    from harness.journeys.part import JourneyRun
    from harness.journeys.plan import Assignment

    people = [Assignment("j0-broken", "no-such-variant", "desktop-typical", 7),
              Assignment("j1-inline-best", "inline-best", "desktop-typical", 8)]
    run = JourneyRun(people, gateway.url, tmp_path, processes=1, concurrency=1, pace="instant", timeout_s=120,
                     api_key="sk_test_journeys", currency="usd", amount=4980)
    assert run.wait(300) == 0
    records = {r["journey_id"]: r for r in map(json.loads, (tmp_path / "journeys.jsonl").read_text().splitlines())}
    broken = records["j0-broken"]
    assert broken["outcome"] == "failed" and "no-such-variant" in broken["error"]
    assert broken["trace"] == "traces/j0-broken.zip"
    with zipfile.ZipFile(tmp_path / broken["trace"]) as trace:
        assert any(name.endswith(".trace") for name in trace.namelist())
    assert records["j1-inline-best"]["outcome"] in ("success", "abandoned")
    assert records["j1-inline-best"]["trace"] is None
