"""The [load] table and the open model's arrival schedule (no processes started here)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.load.shapes import ArrivalSchedule, arrivals
from scenarios.errors import ScenarioError
from scenarios.load import parse_load

OPEN_SHAPES = {
    "ramp": {"start_rate": 1, "end_rate": 20, "over": "30s"},
    "step": {"start_rate": 5, "step_rate": 5, "every": "10s", "steps": 3},
    "spike": {"base_rate": 2, "peak_rate": 50, "at": "20s", "hold": "5s", "rise": "1s", "fall": "2s"},
    "flash-sale": {"base_rate": 2, "peak_rate": 40, "at": "20s", "decay": "15s"},
    "soak": {"rate": 10, "warmup": "5s"},
}
CLOSED_SHAPES = {
    "ramp": {"end_users": 20},
    "step": {"start_users": 2, "step_users": 2, "every": "10s"},
    "spike": {"base_users": 5, "peak_users": 50, "at": "20s", "hold": "5s"},
    "flash-sale": {"base_users": 2, "peak_users": 40, "at": "20s", "rise": "2s", "decay": "10s"},
    "soak": {"users": 10},
}


@pytest.mark.parametrize("model, kind", [("open", k) for k in OPEN_SHAPES] + [("closed", k) for k in CLOSED_SHAPES])
def test_every_shape_parses_in_both_models(model, kind):
    params = (OPEN_SHAPES if model == "open" else CLOSED_SHAPES)[kind]
    config = parse_load({"model": model, "shape": kind, "duration": "60s", kind: params}, "s.toml")
    assert config.model == model and config.shape.kind == kind and config.shape.unit == ("rate" if model == "open" else "users")
    levels = [config.shape.level(t / 10) for t in range(600)]
    assert min(levels) >= 0 and max(levels) > 0
    assert config.shape.configured["kind"] == kind


def test_shape_levels_follow_their_definitions():
    flash = parse_load({"shape": "flash-sale", "duration": "60s", "flash-sale": OPEN_SHAPES["flash-sale"]}, "s").shape
    assert flash.level(19.99) == 2 and flash.level(20) == 40
    assert flash.level(35) == pytest.approx(2 + 38 / math.e)
    spike = parse_load({"shape": "spike", "duration": "60s", "spike": OPEN_SHAPES["spike"]}, "s").shape
    assert spike.level(19) == 2 and spike.level(20.5) == pytest.approx(26) and spike.level(23) == 50
    assert spike.level(27) == pytest.approx(26) and spike.level(30) == 2
    step = parse_load({"shape": "step", "duration": "60s", "step": OPEN_SHAPES["step"]}, "s").shape
    assert [step.level(t) for t in (0, 10, 25, 39, 55)] == [5, 10, 15, 20, 20]
    ramp = parse_load({"shape": "ramp", "duration": "60s", "ramp": OPEN_SHAPES["ramp"]}, "s").shape
    assert ramp.level(15) == pytest.approx(10.5) and ramp.level(45) == 20


def test_defaults_and_mix():
    config = parse_load({"shape": "soak", "duration": "10s", "soak": {"rate": 5},
                         "mix": {"card_success": 0.7, "konbini": 0.3, "refund_share": 0.2, "checkout_session": 0.1},
                         "client": {"timeout": "3s", "max_retries": 1}}, "s")
    assert config.model == "open" and config.arrivals == "uniform" and config.max_in_flight == 500
    assert dict(config.mix.methods) == {"card_success": 0.7, "konbini": 0.3}
    assert config.mix.refund_share == 0.2 and config.mix.checkout_session == 0.1
    assert config.client.timeout_s == 3 and config.client.max_retries == 1
    assert parse_load(config.table, "s") == config  # the table travels to the load process and is read again


@pytest.mark.parametrize(
    "table, key",
    [
        ({"shape": "soak", "soak": {"rate": 1}}, "load.duration"),
        ({"shape": "wave", "duration": "10s"}, "load.shape"),
        ({"shape": "soak", "duration": "10s"}, "load.soak"),
        ({"shape": "soak", "duration": "10s", "soak": {"users": 5}}, "load.soak.users"),
        ({"model": "closed", "shape": "ramp", "duration": "10s", "ramp": {"end_rate": 3}}, "load.ramp.end_rate"),
        ({"model": "closed", "shape": "ramp", "duration": "10s", "ramp": {"end_users": 2.5}}, "load.ramp.end_users"),
        ({"shape": "spike", "duration": "10s", "spike": {"base_rate": 1, "peak_rate": 5, "at": "2s"}}, "load.spike.hold"),
        ({"shape": "flash-sale", "duration": "10s", "flash-sale": {"base_rate": 1, "peak_rate": 5, "at": "2s", "decay": "0s"}},
         "load.flash-sale.decay"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 0}}, "load.soak"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1, "colour": 1}}, "load.soak.colour"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "ramp": {"end_rate": 1}}, "load.ramp"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "think_time": "1s"}, "load.think_time"),
        ({"model": "closed", "shape": "soak", "duration": "10s", "soak": {"users": 1}, "arrivals": "poisson"}, "load.arrivals"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "mix": {"card_success": 0.5, "card_decline": 0.2}}, "load.mix"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "mix": {"refund_share": 2}}, "load.mix.refund_share"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "currency": "YEN"}, "load.currency"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "amount": [500]}, "load.amount"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "client": {"timeout": "0s"}}, "load.client.timeout"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "distributed": {"bind": "nowhere"}}, "load.distributed.bind"),
        ({"shape": "soak", "duration": "10s", "soak": {"rate": 1}, "distributed": {"remote_workers": 2}}, "load.distributed.bind"),
    ],
)
def test_bad_load_tables_name_the_key(table, key):
    with pytest.raises(ScenarioError) as err:
        parse_load(table, "scenario.toml")
    assert err.value.file == "scenario.toml" and err.value.key == key


# --------------------------------------------------------------------------------------------
# The arrival schedule


durations = st.floats(1.0, 120.0)
rates = st.floats(0.0, 200.0)
open_shapes = st.one_of(
    st.builds(lambda a, b: ("ramp", {"start_rate": a, "end_rate": b + 0.1}), rates, rates),
    st.builds(lambda a, s, e: ("step", {"start_rate": a, "step_rate": s + 0.1, "every": e}), rates, rates, st.floats(0.5, 30)),
    st.builds(lambda b, p, at, h: ("spike", {"base_rate": b, "peak_rate": p + 0.1, "at": at, "hold": h}), rates, rates,
              st.floats(0, 0.9), st.floats(0.1, 30)),
    st.builds(lambda b, p, at, d: ("flash-sale", {"base_rate": b, "peak_rate": p + 0.1, "at": at, "decay": d}), rates, rates,
              st.floats(0, 0.9), st.floats(0.1, 30)),
    st.builds(lambda r: ("soak", {"rate": r + 0.1}), rates),
)


def _config(shape, duration):
    kind, params = shape
    if "at" in params:
        params = {**params, "at": params["at"] * duration}
    return parse_load({"shape": kind, "duration": duration, kind: params}, "s")


@given(open_shapes, durations)
@settings(max_examples=25, deadline=None)
def test_uniform_arrivals_match_the_integral_and_split_across_workers(shape, duration):
    config = _config(shape, duration)
    schedule = ArrivalSchedule(config.shape, duration)
    fine = sum(config.shape.level((k + 0.5) * duration / 20000) for k in range(20000)) * duration / 20000
    assert schedule.total == pytest.approx(fine, rel=0.02, abs=1.0)
    one = list(arrivals(schedule, "uniform", 0, 1, random.Random(0)))
    assert len(one) == math.floor(schedule.total + 0.5)
    dues = [due for _, due in one]
    assert dues == sorted(dues) and all(0 <= d <= duration for d in dues)
    for t in (duration / 3, duration / 2):  # arrivals due by t are A(t), give or take one
        assert abs(sum(d <= t for d in dues) - schedule.expected(t)) <= 1.0
    parts = [a for k in range(3) for a in arrivals(schedule, "uniform", k, 3, random.Random(0))]
    assert sorted(parts) == one


def test_poisson_arrivals_average_the_rate():
    config = parse_load({"shape": "soak", "duration": "100s", "soak": {"rate": 20}, "arrivals": "poisson"}, "s")
    schedule = ArrivalSchedule(config.shape, 100.0)
    counts = [sum(1 for _ in arrivals(schedule, "poisson", k, 2, random.Random(k))) for k in range(2)]
    assert abs(sum(counts) - 2000) < 5 * math.sqrt(2000)
    assert all(abs(c - 1000) < 5 * math.sqrt(1000) for c in counts)
