"""The mechanism breakdown (reports.explain) on synthetic journeys.jsonl records.

Properties: the parts add up to the total where they should (time by kind + system = completion
time; reasons = shoppers lost), every interval holds its estimate, paired people are paired,
older records without the new fields give "not recorded", never a confident zero.
"""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.build import build_reports
from reports.explain import explain_pair, pair_people

KINDS = ("typing", "thinking", "pointing", "reading", "error_noticing", "error_finding", "error_reading",
         "error_fixing", "hesitating")
REASONS = ("too_many_errors", "effort", "too_long", "unrecoverable_error")
NEW_FIELD_KEYS = ("intent_errors", "shown_while_typing", "never_seen", "needless_corrections", "wrong_fixes")


def journey(person: int, seed: int, variant: str, rng: random.Random, *, slow: float = 0.0,
            leave: float = 0.1, old: bool = False, extra_shown: int = 0) -> dict:
    """One synthetic record in the shape the journey loop writes (docs/run-directory.md)."""
    by_kind = {k: round(rng.uniform(0, 8000), 1) for k in KINDS if rng.random() < 0.8}
    if slow:
        by_kind["error_finding"] = round(by_kind.get("error_finding", 0.0) + slow, 1)
    human = round(sum(by_kind.values()) + rng.uniform(0, 500), 1)  # some time of no recorded kind
    ok = rng.random() >= leave
    fields = {}
    for name in ("email", "postal_code", "card_number"):
        f = {"keystrokes": rng.randint(5, 20), "errors_made": rng.randint(0, 2), "errors_shown": rng.randint(0, 2) + extra_shown,
             "errors_noticed": rng.randint(0, 1), "errors_unnoticed": rng.randint(0, 1), "typos_corrected": rng.randint(0, 1),
             "messages": [], "shown_at_ms": [], "time_to_fix_ms": []}
        if not old:
            f.update({k: rng.randint(0, 1) for k in NEW_FIELD_KEYS})
        fields[name] = f
    record = {
        "journey_id": f"j{person:05d}-{variant}", "seed": seed, "variant": variant, "persona": "phone-typical",
        "outcome": "success" if ok else "abandoned", "reason": None if ok else rng.choice(REASONS),
        "human_ms": human, "system_ms": round(rng.uniform(500, 3000), 1), "fields": fields,
    }
    if old:
        record["human_ms_by_kind"] = {k: v for k, v in by_kind.items() if not k.startswith("error_") and k != "hesitating"}
        record["human_ms"] = round(sum(record["human_ms_by_kind"].values()), 1)
    else:
        record["human_ms_by_kind"] = by_kind
        effort_by_kind = {"field": float(len(fields)), "error": 2.0 * rng.randint(0, 2), "minute": round(human / 60000, 2)}
        record["effort_by_kind"] = effort_by_kind
        record["effort"] = round(sum(effort_by_kind.values()), 2)
    return record


def paired_run(n: int, seed: int = 1, independent: bool = False, **b_kwargs) -> tuple[list[dict], list[dict]]:
    """n people through two variants; each person's draws are the same in both (so only what
    b_kwargs changes differs) unless ``independent``."""
    rng = random.Random(seed)
    a, b = [], []
    for i in range(n):
        s = rng.randrange(2**31)
        a.append(journey(i, s, "ref", random.Random(s)))
        b.append(journey(i, s, "ref-live", random.Random(s + 1 if independent else s), **b_kwargs))
    return a, b


def _contains(row: dict) -> None:
    if row.get("ci") is not None:
        low, high = row["ci"]
        assert low <= row["difference"] <= high, row


# --------------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=2, max_value=40), seed=st.integers(min_value=0, max_value=10_000),
       slow=st.floats(min_value=0, max_value=20_000), leave=st.floats(min_value=0, max_value=0.6),
       independent=st.booleans())
def test_parts_add_up_to_the_total_and_intervals_hold_their_estimates(n, seed, slow, leave, independent):
    a, b = paired_run(n, seed, independent, slow=slow, leave=leave)
    e = explain_pair("ref", "ref-live", a, b, n_resamples=200, seed=seed)
    assert e["paired"] and e["people"] == n
    time = e["time"]
    if time["total"]["difference"] is not None:
        parts = math.fsum(r["difference"] for r in time["components"])
        assert parts == pytest.approx(time["total"]["difference"], abs=1e-6)
        groups = math.fsum(g["difference"] for g in time["groups"])
        assert groups == pytest.approx(time["total"]["difference"], abs=1e-6)
        for r in time["components"] + time["groups"] + [time["total"]]:
            _contains(r)
    leaving = e["leaving"]
    lost = math.fsum(r["difference"] for r in leaving["reasons"])
    assert lost == pytest.approx(leaving["left"]["difference"], abs=1e-9)
    converted_a = sum(j["outcome"] == "success" for j in a) / n
    converted_b = sum(j["outcome"] == "success" for j in b) / n
    assert -leaving["left"]["difference"] == pytest.approx(converted_b - converted_a, abs=1e-9)
    conversion = e["conversion"]
    assert conversion["difference"] == pytest.approx(converted_b - converted_a, abs=1e-9)
    assert conversion["baseline"] == pytest.approx(converted_a) and conversion["candidate"] == pytest.approx(converted_b)
    _contains(conversion)
    effort = leaving["effort"]
    assert effort["recorded"] and {r["key"] for r in effort["components"]} >= {"field", "error", "minute"}
    assert math.fsum(r["difference"] for r in effort["components"]) == pytest.approx(effort["difference"], abs=1e-9)
    for r in leaving["reasons"] + [leaving["left"], effort] + effort["components"] + e["errors"]["measures"]:
        _contains(r)


def test_a_slower_mechanism_is_found_and_ranked_first():
    a, b = paired_run(120, 7, slow=6000.0)
    e = explain_pair("ref", "ref-live", a, b, seed=3)
    first = e["time"]["components"][0]
    assert first["key"] == "error_finding" and first["difference"] == pytest.approx(6.0, abs=1e-6)
    # paired people: the same shopper's other time cancels exactly, so the interval is narrow
    assert first["ci"][0] == pytest.approx(6.0, abs=1e-6) and first["conclusive"]
    assert e["time"]["total"]["conclusive"]
    sentence = e["sentences"][0]
    assert sentence.startswith("ref-live is ") and "slower" in sentence and "6.0 s more finding the field an error names" in sentence
    errors_group = next(g for g in e["time"]["groups"] if g["key"] == "errors")
    assert errors_group["difference"] == pytest.approx(6.0, abs=1e-6)


def test_more_errors_shown_reads_in_the_sentence():
    a, b = paired_run(60, 2, extra_shown=1)
    e = explain_pair("ref", "ref-live", a, b, n_resamples=500)
    shown = next(r for r in e["errors"]["measures"] if r["key"] == "errors_shown")
    assert shown["difference"] == pytest.approx(3.0)  # one more on each of three fields
    assert any(s.startswith("Per shopper, ref-live shows 3.00 more errors") for s in e["sentences"])


def test_paired_when_people_match_unpaired_otherwise():
    a, b = paired_run(30, 4)
    assert pair_people(a, b) is not None
    # ids without the person part (as older synthetic files): compared as independent samples
    for j in a + b:
        j["journey_id"] = f"{j['variant']}-{j['journey_id']}"
    assert pair_people(a, b) is None
    e = explain_pair("ref", "ref-live", a, b, n_resamples=300)
    assert e["paired"] is False and e["people"] is None
    assert e["time"]["total"]["n"] == [sum(j["outcome"] == "success" for j in a), sum(j["outcome"] == "success" for j in b)]
    lost = math.fsum(r["difference"] for r in e["leaving"]["reasons"])
    assert lost == pytest.approx(e["leaving"]["left"]["difference"], abs=1e-9)


def test_pairing_drops_technical_failures_with_their_partner():
    a, b = paired_run(20, 5)
    b[3]["outcome"] = "failed"
    e = explain_pair("ref", "ref-live", a, b, n_resamples=200)
    assert e["paired"] and e["people"] == 19


def test_older_records_are_not_recorded_rather_than_zero():
    rng = random.Random(9)
    a = [journey(i, i, "ref", rng, old=True) for i in range(30)]
    b = [journey(i, i, "ref-live", rng, old=True) for i in range(30)]
    e = explain_pair("ref", "ref-live", a, b, n_resamples=200)
    measures = {r["key"]: r for r in e["errors"]["measures"]}
    for key in NEW_FIELD_KEYS:
        assert measures[key]["recorded"] is False and measures[key]["difference"] is None and measures[key]["ci"] is None
    assert measures["errors_shown"]["recorded"] is True and measures["errors_shown"]["ci"] is not None
    assert e["leaving"]["effort"]["recorded"] is False
    kinds = {r["key"] for r in e["time"]["components"]}
    assert not any(k.startswith("error_") for k in kinds) and "hesitating" not in kinds
    # without any split by kind, time is not broken down (and not claimed to be zero)
    for j in a + b:
        del j["human_ms_by_kind"]
    e = explain_pair("ref", "ref-live", a, b, n_resamples=200)
    assert e["time"]["recorded"] is False and e["time"]["total"]["difference"] is None
    assert not any("slower" in s or "faster" in s for s in e["sentences"])


def test_mixed_old_and_new_journeys_count_only_where_recorded():
    a, b = paired_run(20, 6)
    for j in a[:10]:
        for f in j["fields"].values():
            for k in NEW_FIELD_KEYS:
                f.pop(k)
    e = explain_pair("ref", "ref-live", a, b, n_resamples=200)
    never = next(r for r in e["errors"]["measures"] if r["key"] == "never_seen")
    assert never["recorded"] and never["n"] == 10  # the ten people recorded in both variants


def test_nobody_left():
    a, b = paired_run(10, 8, leave=0.0)
    for j in a:
        j["outcome"], j["reason"] = "success", None
    e = explain_pair("ref", "ref-live", a, b, n_resamples=200)
    assert e["leaving"]["reasons"] == [] or all(r["baseline"] == 0 for r in e["leaving"]["reasons"])


# --------------------------------------------------------------------------- in the reports
def test_reports_show_the_breakdown_per_pair(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    a, b = paired_run(40, 11, slow=5000.0)
    (run / "run.json").write_text(json.dumps({"name": "ds", "seed": 1, "complete": True,
                                               "plan": {"journeys": {"variants": ["ref", "ref-live"]}, "gates": []}}))
    (run / "journeys.jsonl").write_text("".join(json.dumps(j) + "\n" for j in a + b))
    summary = build_reports(run)
    c = summary["journeys"]["comparisons"][0]
    assert c["explanation"]["candidate"] == "ref-live" and c["explanation"]["paired"]
    on_disk = json.loads((run / "summary.json").read_text())
    assert on_disk["journeys"]["comparisons"][0]["explanation"]["time"]["components"][0]["key"] == "error_finding"
    html = (run / "report.html").read_text()
    md = (run / "summary.md").read_text()
    for text in (html, md):
        assert "Why ref-live differs from ref" in text and "finding the field an error names" in text
        assert "Each design against ref, at a glance" in text and "ref-live vs ref" in text
        assert c["explanation"]["sentences"][0].split(":")[0] in text.replace("&#39;", "'")
    assert html.index("finding the field an error names") < html.index("typing</td>")


def test_a_few_more_leaving_in_one_design_is_not_called_conclusive():
    def run(extra: int) -> dict:
        a, b = paired_run(150, 12, leave=0.0)
        for j in a + b:
            j["outcome"], j["reason"] = "success", None
        for j in b[:extra]:
            j["outcome"], j["reason"] = "abandoned", "effort"
        return explain_pair("ref", "ref-live", a, b, n_resamples=500)["leaving"]

    few = run(4)  # McNemar's exact p = 0.125: a bootstrap of per-person differences says "conclusive"
    assert few["left"]["difference"] == pytest.approx(4 / 150) and not few["left"]["conclusive"]
    assert not few["reasons"][0]["conclusive"]
    many = run(20)
    assert many["left"]["conclusive"] and many["reasons"][0]["conclusive"]
