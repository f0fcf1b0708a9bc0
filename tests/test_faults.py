"""Fault profiles: reading them, deciding per request, and what a client sees from a real gateway."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.servers import GatewayProcess
from scenarios.errors import ScenarioError
from scenarios.faults import ERROR_KINDS, list_profiles, load_profile, parse_faults, parse_profile

TOKEN = "test-admin-token"
SK = {"Authorization": "Bearer sk_test_faults"}
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


# --------------------------------------------------------------------------------------------
# Reading profiles


@pytest.mark.parametrize("name", list_profiles())
def test_shipped_profiles_load_and_round_trip(name):
    profile = load_profile(name)
    assert profile.name == name and profile.rules and profile.description
    assert parse_profile(profile.table, "(again)", name=name) == profile


durations = st.one_of(st.integers(1, 5000).map(lambda ms: f"{ms}ms"), st.floats(0.001, 5).map(lambda s: round(s, 3)))
latencies = st.one_of(
    durations,
    st.builds(lambda v: {"dist": "fixed", "value": v}, durations),
    st.builds(lambda m, s: {"dist": "normal", "mean": m, "sd": s}, durations, durations),
    st.builds(lambda a, k: {"dist": "lognormal", "p50": f"{a}ms", "p99": f"{a * k}ms"}, st.integers(1, 500), st.integers(1, 20)),
    st.builds(lambda a, b: {"dist": "uniform", "min": f"{a}ms", "max": f"{a + b}ms"}, st.integers(0, 500), st.integers(0, 500)),
)
rules = st.fixed_dictionaries(
    {},
    optional={
        "endpoints": st.lists(st.sampled_from(["*", "POST /v1/payment_intents", "GET /v1/*", "* /v1/refunds*"]), min_size=1, max_size=3),
        "share": st.floats(0, 1),
        "latency": latencies,
        "error": st.sampled_from([k for k in ERROR_KINDS]),
    },
).filter(lambda r: "latency" in r or "error" in r)


@given(st.lists(rules, min_size=1, max_size=5), st.integers(0, 2**31))
@settings(max_examples=60, deadline=None)
def test_any_valid_profile_parses_and_round_trips(raw_rules, seed):
    table = {"description": "generated", "seed": seed, "rules": raw_rules}
    profile = parse_profile(table, "(generated)", name="g")
    assert len(profile.rules) == len(raw_rules)
    assert parse_profile(profile.table, "(again)", name="g") == profile
    rng = random.Random(seed)
    for rule in profile.rules:
        if rule.latency is not None:
            assert all(rule.latency.sample(rng) >= 0 for _ in range(20))


@pytest.mark.parametrize(
    "table, key",
    [
        ({"rules": [{"share": 0.5}]}, "rules[0]"),
        ({"rules": [{"error": "http_418"}]}, "rules[0].error"),
        ({"rules": [{"error": "http_503", "share": 1.5}]}, "rules[0].share"),
        ({"rules": [{"latency": {"dist": "lognormal", "p50": "1s", "p99": "10ms"}}]}, "rules[0].latency.p99"),
        ({"rules": [{"latency": {"dist": "gamma"}}]}, "rules[0].latency.dist"),
        ({"rules": [{"latency": {"dist": "fixed"}}]}, "rules[0].latency.value"),
        ({"rules": [{"latency": "soon"}]}, "rules[0].latency"),
        ({"rules": [{"error": "http_429", "when": "after"}]}, "rules[0].when"),
        ({"rules": [{"error": "http_500", "retry_after": "1s"}]}, "rules[0].retry_after"),
        ({"rules": [{"error": "timeout", "start": "10s", "end": "5s"}]}, "rules[0].end"),
        ({"rules": [{"error": "timeout", "endpoints": ["/v1/refunds"]}]}, "rules[0].endpoints[0]"),
        ({"rules": [{"error": "timeout", "typo": 1}]}, "rules[0].typo"),
        ({"rules": [], "colour": "red"}, "colour"),
    ],
)
def test_bad_profiles_name_the_key(table, key):
    with pytest.raises(ScenarioError) as err:
        parse_profile(table, "bad.toml")
    assert err.value.file == "bad.toml" and err.value.key == key


def test_unknown_profile_lists_the_shipped_ones():
    with pytest.raises(ScenarioError) as err:
        load_profile("no-such-profile")
    assert "slow-confirm" in err.value.expected


def test_plan_with_start_profile_and_timeline(tmp_path):
    custom = tmp_path / "mine.toml"
    custom.write_text('[[rules]]\nerror = "http_503"\n', encoding="utf-8")
    scenario = tmp_path / "s.toml"
    plan = parse_faults(
        {"profile": "mine.toml", "timeline": [
            {"at": "5s", "profile": "slow-confirm"},
            {"at": "10s", "rules": [{"error": "http_429", "share": 0.5}]},
            {"at": "15s", "clear": True},
        ]},
        str(scenario),
    )
    assert plan.start_profile == str(custom.resolve()) and plan.start is not None
    assert [c.at_s for c in plan.timeline] == [5.0, 10.0, 15.0]
    assert plan.timeline[0].profile.name == "slow-confirm"
    assert plan.timeline[1].profile.rules[0].share == 0.5
    assert plan.timeline[2].profile is None


@pytest.mark.parametrize(
    "table, key",
    [
        ({"timeline": [{"profile": "flaky"}]}, "faults.timeline[0].at"),
        ({"timeline": [{"at": "5s"}]}, "faults.timeline[0]"),
        ({"timeline": [{"at": "5s", "clear": True, "profile": "flaky"}]}, "faults.timeline[0]"),
        ({"timeline": [{"at": "9s", "clear": True}, {"at": "5s", "clear": True}]}, "faults.timeline[1].at"),
        ({"timeline": [{"at": "5s", "rules": [{"error": "nope"}]}]}, "faults.timeline[0].rules[0].error"),
        ({"profil": "flaky"}, "faults.profil"),
        ({"profile": "flakey"}, "faults.profile"),
        ({"timeline": [{"at": "5s", "profile": "slow-confrim"}]}, "faults.timeline[0].profile"),
    ],
)
def test_bad_plans_name_the_key(table, key):
    with pytest.raises(ScenarioError) as err:
        parse_faults(table, "scenario.toml")
    assert err.value.key == key
    assert err.value.file == "scenario.toml"


# --------------------------------------------------------------------------------------------
# Deciding per request (no server)


def test_latency_distributions_have_the_configured_percentiles():
    rng = random.Random(1)
    lognormal = parse_profile({"rules": [{"latency": {"dist": "lognormal", "p50": "100ms", "p99": "1s"}}]}, "x").rules[0].latency
    draws = sorted(lognormal.sample(rng) for _ in range(20000))
    assert draws[10000] == pytest.approx(0.100, rel=0.05)
    assert draws[19800] == pytest.approx(1.0, rel=0.15)
    tail = parse_profile({"rules": [{"latency": {"dist": "fixed", "value": "10ms", "tail_share": 0.1, "tail": "2s"}}]}, "x").rules[0].latency
    share = sum(tail.sample(rng) == 2.0 for _ in range(20000)) / 20000
    assert share == pytest.approx(0.1, abs=0.01)


def test_injector_is_seeded_applies_shares_windows_and_endpoints():
    from mock_gateway.faults import FaultInjector

    profile = parse_profile({"seed": 9, "rules": [
        {"endpoints": ["POST /v1/payment_intents/{id}/confirm"], "latency": "300ms"},
        {"share": 0.25, "error": "http_500"},
        {"start": "10s", "end": "20s", "error": "http_503"},
    ]}, "x")
    a, b = FaultInjector(profile, applied_at=0.0), FaultInjector(profile, applied_at=0.0)
    decisions = [a.decide("POST", "/v1/payment_intents", 1.0) for _ in range(4000)]
    assert decisions == [b.decide("POST", "/v1/payment_intents", 1.0) for _ in range(4000)]
    failed = sum(err is not None for _, err in decisions) / len(decisions)
    assert abs(failed - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 4000)
    assert all(delay == 0 for delay, _ in decisions)
    assert a.decide("POST", "/v1/payment_intents/{id}/confirm", 1.0)[0] == pytest.approx(0.3)
    in_outage = [a.decide("GET", "/v1/customers", 15.0)[1] for _ in range(50)]
    assert all(e is not None for e in in_outage) and {e.kind for e in in_outage} <= {"http_503", "http_500"}
    assert any(e.kind == "http_503" for e in in_outage)
    assert all(e is None or e.kind == "http_500" for e in (a.decide("GET", "/v1/customers", 25.0)[1] for _ in range(50)))


# --------------------------------------------------------------------------------------------
# The admin endpoint (in process)


def _app():
    from starlette.testclient import TestClient

    from mock_gateway.app import create_app
    from mock_gateway.store.db import Store

    app = create_app(Store(":memory:"))
    app.state.fault_control.admin_token = TOKEN
    return app, TestClient


def test_admin_endpoint_refuses_without_token_and_off_loopback():
    app, TestClient = _app()
    local = TestClient(app, client=("127.0.0.1", 50000))
    assert local.get("/_harness/faults").status_code == 401
    assert local.put("/_harness/faults", json={"profile": "flaky"}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    remote = TestClient(app, client=("192.0.2.7", 50000))
    refused = remote.put("/_harness/faults", json={"profile": "flaky"}, headers=ADMIN)
    assert refused.status_code == 403 and "loopback" in refused.json()["error"]["message"]
    assert app.state.gateway.faults is None


def test_admin_endpoint_sets_reports_and_clears():
    app, TestClient = _app()
    client = TestClient(app, client=("127.0.0.1", 50000))
    state = client.put("/_harness/faults", json={"profile": "slow-confirm"}, headers=ADMIN).json()
    assert state["name"] == "slow-confirm" and state["version"] == 1
    assert app.state.gateway.faults is not None
    assert client.get("/_harness/faults", headers=ADMIN).json()["name"] == "slow-confirm"
    bad = client.put("/_harness/faults", json={"profile": {"rules": [{"share": 2, "error": "http_500"}]}}, headers=ADMIN)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "profile.rules[0].share"
    assert client.put("/_harness/faults", json={"profile": "/etc/passwd"}, headers=ADMIN).status_code == 400
    assert client.put("/_harness/faults", content=b"{not json", headers=ADMIN).status_code == 400
    cleared = client.delete("/_harness/faults", headers=ADMIN).json()
    assert cleared["profile"] is None and app.state.gateway.faults is None


# --------------------------------------------------------------------------------------------
# A real gateway: what a client sees


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    db = tmp_path_factory.mktemp("faults") / "gw.sqlite3"
    with GatewayProcess(db, extra_args=["--admin-token", TOKEN]) as gw:
        yield gw


def _set(gw, rules, name="test"):
    r = httpx.put(f"{gw.url}/_harness/faults", json={"profile": {"rules": rules}, "name": name}, headers=ADMIN)
    assert r.status_code == 200, r.text


def _clear(gw):
    assert httpx.delete(f"{gw.url}/_harness/faults", headers=ADMIN).status_code == 200


@pytest.mark.parametrize(
    "rule, status, header",
    [
        ({"error": "http_503", "retry_after": "2s"}, 503, ("retry-after", "2")),
        ({"error": "http_429"}, 429, None),
        ({"error": "http_500"}, 500, None),
    ],
)
def test_http_errors_have_stripe_envelopes(faulty, rule, status, header):
    _set(faulty, [rule])
    try:
        r = httpx.post(f"{faulty.url}/v1/customers", data={"email": "e@x.jp"}, headers={**SK, "Idempotency-Key": f"k{status}"})
    finally:
        _clear(faulty)
    assert r.status_code == status and r.json()["error"]["message"]
    assert r.headers["harness-injected-fault"] == rule["error"]
    if header:
        assert r.headers[header[0]] == header[1]
    if status == 429:
        assert r.json()["error"]["code"] == "rate_limit"


def test_reset_timeout_and_slow_body(faulty):
    with httpx.Client(base_url=faulty.url, headers=SK) as client:
        _set(faulty, [{"error": "connection_reset"}])
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.get("/v1/customers")
        _set(faulty, [{"error": "timeout", "hang": "2s"}])
        with pytest.raises(httpx.ReadTimeout):
            client.get("/v1/customers", timeout=0.3)
        _set(faulty, [{"error": "slow_body", "body_time": "600ms"}])
        started = time.perf_counter()
        r = client.get("/v1/customers")
        assert r.status_code == 200 and r.json()["object"] == "list"
        assert time.perf_counter() - started >= 0.5  # 600 ms spread over up to 20 pieces: ~550 ms for a short body
        _clear(faulty)


def test_latency_is_injected_on_the_chosen_endpoint_and_reported(faulty):
    _set(faulty, [{"endpoints": ["POST /v1/payment_intents/{id}/confirm"], "latency": "250ms"}])
    try:
        with httpx.Client(base_url=faulty.url, headers=SK) as client:
            t = time.perf_counter()
            pi = client.post("/v1/payment_intents", data={"amount": 1000, "currency": "jpy"})
            create_s = time.perf_counter() - t
            t = time.perf_counter()
            done = client.post(f"/v1/payment_intents/{pi.json()['id']}/confirm", data={"payment_method": "pm_card_visa"})
            confirm_s = time.perf_counter() - t
    finally:
        _clear(faulty)
    assert "harness-injected-delay-ms" not in pi.headers and create_s < 0.2
    assert done.json()["status"] == "succeeded"
    assert float(done.headers["harness-injected-delay-ms"]) == pytest.approx(250.0) and confirm_s >= 0.25


def test_error_after_commit_leaves_the_write_in_the_ledger(faulty):
    _set(faulty, [{"endpoints": ["POST /v1/customers"], "error": "http_500", "when": "after"}])
    try:
        r = httpx.post(f"{faulty.url}/v1/customers", data={"email": "lost-answer@example.jp"}, headers={**SK, "Idempotency-Key": "after-1"})
    finally:
        _clear(faulty)
    assert r.status_code == 500
    found = httpx.get(f"{faulty.url}/v1/customers", params={"email": "lost-answer@example.jp"}, headers=SK).json()["data"]
    assert len(found) == 1
    replay = httpx.post(f"{faulty.url}/v1/customers", data={"email": "lost-answer@example.jp"}, headers={**SK, "Idempotency-Key": "after-1"})
    assert replay.status_code == 200 and replay.json()["id"] == found[0]["id"]


def test_outage_window_is_relative_to_when_the_profile_was_applied(faulty):
    _set(faulty, [{"start": "0s", "end": "600ms", "error": "http_503"}])
    try:
        assert httpx.get(f"{faulty.url}/v1/customers", headers=SK).status_code == 503
        time.sleep(0.7)
        assert httpx.get(f"{faulty.url}/v1/customers", headers=SK).status_code == 200
    finally:
        _clear(faulty)


def test_runtime_changes_reach_every_server_process(tmp_path):
    with GatewayProcess(tmp_path / "gw.sqlite3", workers=2, extra_args=["--admin-token", TOKEN]) as gw:
        _set(gw, [{"error": "http_503"}])
        time.sleep(0.5)  # the other process polls the state file every 0.1 s
        statuses = set()
        for _ in range(30):  # new connections are spread over both processes
            with httpx.Client(headers=SK) as client:
                statuses.add(client.get(f"{gw.url}/v1/customers").status_code)
        assert statuses == {503}
        _clear(gw)
        time.sleep(0.5)
        assert {httpx.get(f"{gw.url}/v1/customers", headers=SK).status_code for _ in range(10)} == {200}


def test_gateway_starts_with_a_profile_and_refuses_an_unknown_one(tmp_path):
    with GatewayProcess(":memory:", extra_args=["--faults", "fixed-200ms"]) as gw:
        assert any("admin token:" in line for line in gw.lines)
        r = httpx.get(f"{gw.url}/v1/customers", headers=SK)
        assert float(r.headers["harness-injected-delay-ms"]) == pytest.approx(200.0)
    bad = subprocess.run([sys.executable, "-m", "mock_gateway", "--port", "0", "--db", ":memory:", "--faults", "no-such"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--faults no-such" in bad.stderr and "slow-confirm" in bad.stderr
