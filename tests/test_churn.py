"""The cohort simulation: the [churn] table's loader, a small cohort under two policies against
real gateways (the same subscribers, different dunning), and a whole `checkout-harness run`."""

from __future__ import annotations

import dataclasses
import json
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.churn.cohort import run_cohort
from harness.churn.model import draw, expiry
from harness.churn.shards import add_summaries, split
from scenarios.churn import ChurnPlan, Policy, parse_churn
from scenarios.errors import ScenarioError
from scenarios.scenario import load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "checkout-harness")


def test_shipped_scenario_loads_with_three_policies():
    scenario = load_scenario("subscription-churn")
    plan = scenario.churn
    assert plan.subscribers == 10_000 and plan.months == 12 and plan.start == 1_767_225_600
    assert [g.metric for g in scenario.gates] == ["churn_reconciled", "involuntary_churn_rate"]
    assert [p.name for p in plan.policies] == ["no-retries", "retries", "retries+notices"]
    assert plan.policies[1].retry_days == (1.0, 3.0, 5.0) and plan.policies[2].notices
    assert dict(plan.decline_recovery) == {2: 0.4, 7: 0.3, None: 0.3}
    assert ChurnPlan.from_dict(json.loads(json.dumps(plan.as_dict()))) == plan
    assert plan.shards == 3 and plan.processes == 3


@pytest.mark.parametrize("table, key", [
    ({"subscribers": 0}, "churn.subscribers"),
    ({"months": "12"}, "churn.months"),
    ({"decline_rate": 1.5}, "churn.decline_rate"),
    ({"decline_recovery_days": {"2": 0.5}}, "churn.decline_recovery_days"),
    ({"decline_recovery_days": {"soon": 1.0}}, "churn.decline_recovery_days.soon"),
    ({"card_validity_months": {"min": 9, "max": 3}}, "churn.card_validity_months.min"),
    ({"start": "January"}, "churn.start"),
    ({"policies": [{"name": "a", "retry_days": [0]}]}, "churn.policies[0].retry_days"),
    ({"policies": [{"name": "a", "after_retries": "forgive"}]}, "churn.policies[0].after_retries"),
    ({"policies": [{"name": "a"}, {"name": "a"}]}, "churn.policies"),
    ({"retries": 3}, "churn.retries"),
    ({"shards": 0}, "churn.shards"),
    ({"shards": 17}, "churn.shards"),
])
def test_bad_churn_tables_name_the_key(table, key):
    with pytest.raises(ScenarioError) as err:
        parse_churn(table, "x.toml")
    assert err.value.key == key and err.value.file == "x.toml"


def test_a_churn_table_alone_is_a_scenario():
    assert parse_scenario({"churn": {"subscribers": 5}}, "x.toml").churn.subscribers == 5


def test_validate_cli_exit_codes(tmp_path):
    ok = subprocess.run([CLI, "validate", "subscription-churn"], capture_output=True, text=True)
    assert ok.returncode == 0 and "churn" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[churn]\nvoluntary_churn = -1\n', encoding="utf-8")
    out = subprocess.run([CLI, "validate", str(bad)], capture_output=True, text=True)
    assert out.returncode == 2 and "churn.voluntary_churn" in out.stderr


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 50), months=st.integers(1, 24))
def test_cohort_draws_are_reproducible_and_within_bounds(seed, n, months):
    plan = ChurnPlan(subscribers=n, months=months, card_validity_months=(2, 5))
    a, b = draw(plan, seed), draw(plan, seed)
    assert (a.declines == b.declines).all() and (a.expiry_offset == b.expiry_offset).all()
    assert a.declines.shape == (n, months) and 1 <= a.expiry_offset.min() and a.expiry_offset.max() <= 4
    assert expiry(2026, 12, 1) == (2027, 1) and expiry(2026, 1, 0) == (2026, 1)


def test_small_cohort_under_two_policies(tmp_path):
    plan = ChurnPlan(subscribers=80, months=3, decline_rate=0.3, voluntary_churn=0.05, card_validity_months=(1, 3),
                     decline_recovery=((2, 0.7), (None, 0.3)), update_after_failed_mail=1.0, update_after_expiry_mail=0.0,
                     update_delay_days=(0, 0), batch=50,
                     policies=(Policy("no-retries", (), "cancel", False), Policy("retries+notices", (1, 3), "cancel", True)))
    result = run_cohort(plan, tmp_path, seed=5)
    by = {p["policy"]: p for p in result["policies"]}
    assert all("error" not in p for p in by.values()), by
    plain, dunning = by["no-retries"], by["retries+notices"]
    for p in (plain, dunning):
        assert len(p["months"]) == 3 and p["final"]["reconciliation"]["ok"], p["final"]["reconciliation"]
        assert p["months"][0]["revenue"] == 80 * 1980  # every sign-up paid
        lines = (tmp_path / p["policy"] / "months.jsonl").read_text().splitlines()
        assert [json.loads(line)["month"] for line in lines] == [1, 2, 3]
    assert sum(m["recovered_invoices"] for m in plain["months"]) == 0  # nothing retried, nothing recovered
    assert sum(m["recovered_invoices"] for m in dunning["months"]) > 0
    assert dunning["driver"]["card_updates"] > 0 and "card_updates" not in plain["driver"]
    lost = lambda p: sum(m["involuntary_churn"] for m in p["months"])  # noqa: E731
    assert lost(dunning) < lost(plain)
    # voluntary churn is the same draws under both policies, less those who left involuntarily first
    assert sum(m["voluntary_churn"] for m in plain["months"]) <= sum(m["voluntary_churn"] for m in dunning["months"]) + lost(plain)
    results = json.loads((tmp_path / "results.json").read_text())
    assert not list(tmp_path.glob("**/gateway.sqlite3*"))  # ledgers removed unless kept
    assert results["shards"] == 3 and [len(p["parts"]) for p in results["policies"]] == [3, 3]
    assert results["subscriber_months_per_s"] > 0


def test_a_cohort_split_in_parts_is_the_cohort_billed_whole(tmp_path):
    """Each subscriber's behaviour is drawn by its index, so three gateways billing a third each must report
    what one gateway billing everyone reports: every monthly count and amount, and the final ledger."""
    plan = ChurnPlan(subscribers=45, months=3, decline_rate=0.3, voluntary_churn=0.05, card_validity_months=(1, 3),
                     decline_recovery=((2, 0.5), (None, 0.5)), update_after_failed_mail=0.6, update_after_expiry_mail=0.5,
                     update_delay_days=(0, 2), batch=20, processes=2,
                     policies=(Policy("retries", (1, 3), "cancel", False), Policy("notices", (2,), "unpaid", True)))
    whole = run_cohort(dataclasses.replace(plan, shards=1), tmp_path / "whole", seed=11)
    parts = run_cohort(dataclasses.replace(plan, shards=3), tmp_path / "parts", seed=11)
    for one, sharded in zip(whole["policies"], parts["policies"]):
        assert "error" not in one and "error" not in sharded, (one, sharded)
        assert sharded["months"] == one["months"]
        assert sharded["driver"] == one["driver"] and sharded["dunning_settings"] == one["dunning_settings"] == "as the policy says"
        for key in ("subscriptions", "canceled_by_reason", "mrr", "invoices", "recovered", "notice_events"):
            assert sharded["final"][key] == one["final"][key], key
        rec_one, rec_sharded = one["final"]["reconciliation"], sharded["final"]["reconciliation"]
        assert rec_sharded["ok"] and rec_one["ok"]
        assert {k: rec_sharded[k] for k in ("invoices", "paid", "charged_total")} == {k: rec_one[k] for k in ("invoices", "paid", "charged_total")}
        assert [p["subscribers"] for p in sharded["parts"]] == [15, 15, 15]
        lines = (tmp_path / "parts" / one["policy"] / "months.jsonl").read_text().splitlines()
        assert [json.loads(line) for line in lines] == one["months"]


@given(st.integers(1, 5000), st.integers(1, 16))
def test_parts_cover_the_cohort_once(subscribers, shards):
    parts = split(subscribers, shards)
    assert [i for part in parts for i in part] == list(range(subscribers))
    assert all(len(part) for part in parts) and max(map(len, parts)) - min(map(len, parts)) <= 1


_counts = st.dictionaries(st.sampled_from(["active", "canceled", "unpaid"]), st.integers(0, 10**6), max_size=3)


@given(st.lists(st.fixed_dictionaries({"subscriptions": _counts, "mrr": st.dictionaries(st.sampled_from(["active", "past_due"]), st.floats(0, 1e7), max_size=2),
                                        "reconciliation": st.fixed_dictionaries({"ok": st.booleans(), "invoices": st.integers(0, 10**6),
                                                                                 "problems": st.lists(st.integers(), max_size=300)}),
                                        "test_clock": st.sampled_from(["clock_a", "clock_b"])}), min_size=1, max_size=4))
def test_summaries_add_up(parts):
    total = add_summaries(parts)
    for status in {s for p in parts for s in p["subscriptions"]}:
        assert total["subscriptions"][status] == sum(p["subscriptions"].get(status, 0) for p in parts)
    for status in {s for p in parts for s in p["mrr"]}:
        assert total["mrr"][status] == pytest.approx(sum(p["mrr"].get(status, 0.0) for p in parts), abs=0.01)
    assert total["reconciliation"]["ok"] == all(p["reconciliation"]["ok"] for p in parts)
    assert total["reconciliation"]["invoices"] == sum(p["reconciliation"]["invoices"] for p in parts)
    assert total["reconciliation"]["problems"] == [x for p in parts for x in p["reconciliation"]["problems"]][:200]
    assert total["test_clock"] == (parts[0]["test_clock"] if len({p["test_clock"] for p in parts}) == 1 else None)


def test_checkout_harness_run_writes_the_churn_report(tmp_path):
    scenario = tmp_path / "tiny-churn.toml"
    scenario.write_text("""name = "tiny-churn"
seed = 3
max_duration = "3m"
gates = ["churn_reconciled == true", 'involuntary_churn_rate["retries"] <= 1', 'involuntary_churn_rate["*"] < 0']
[churn]
subscribers = 30
months = 2
decline_rate = 0.3
[[churn.policies]]
name = "no-retries"
[[churn.policies]]
name = "retries"
retry_days = [1, 2]
""", encoding="utf-8")
    out = tmp_path / "run"
    proc = subprocess.run([CLI, "run", str(scenario), "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the last gate cannot pass
    summary = json.loads((out / "summary.json").read_text())
    assert [g["passed"] for g in summary["gates"]] == [True, True, False]
    assert summary["gates"][2]["value"] == max(p["involuntary_churn_rate"] for p in summary["churn"]["policies"].values())
    churn = summary["churn"]
    assert set(churn["policies"]) == {"no-retries", "retries"} and churn["ok"]
    assert churn["policies"]["retries"]["retry_days"] == [1, 2]
    html = (out / "report.html").read_text()
    assert "churn per dunning policy" in html and html.count("<svg") >= 4
    assert "### Subscriptions" in (out / "summary.md").read_text()


def test_stopping_the_part_leaves_no_gateway_behind(tmp_path):
    import os
    import time

    from harness.churn import start_churn

    plan = ChurnPlan(subscribers=3000, months=6, batch=500, policies=(Policy("a"), Policy("b", (1,))))
    part = start_churn(plan, tmp_path / "churn", seed=1)
    deadline = time.monotonic() + 60
    while not list((tmp_path / "churn").glob("**/gateway.log")) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    children = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert children, "the churn process and its gateways should be running"
    assert part.wait(0) is None and part.poll()
    part.stop()
    assert part.wait(5) is not None

    def left() -> list[str]:
        return [pid for pid in subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
                if int(pid) != os.getpid()]

    deadline = time.monotonic() + 15
    while left() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left() == []


def test_stop_all_ends_every_server_and_refuses_new_ones(monkeypatch):
    """A policy's thread about to start its gateway when the churn process is told to stop must not start one
    that outlives it (seen: a gateway left running after the benchmark was interrupted)."""
    import weakref

    from harness.servers import ManagedProcess, ServerError

    # this test's servers only (the session's own stay up), and starting them again afterwards
    monkeypatch.setattr(ManagedProcess, "running", weakref.WeakSet())
    monkeypatch.setattr(ManagedProcess, "closed", False)
    sleeper = ManagedProcess([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ManagedProcess.stop_all()
        assert not sleeper.alive() and sleeper not in ManagedProcess.running
        with pytest.raises(ServerError, match="stopping"):
            ManagedProcess([sys.executable, "-c", "pass"])
    finally:
        sleeper.stop()


def test_the_driver_reads_each_event_once_newest_first(tmp_path):
    """The driver's event reads (several types in one list) start after the newest event read before
    (ending_before) and walk pages towards the newest; what they return is what walking the whole list
    of each type (starting_after) returns, less what earlier reads returned, newest first."""
    from harness.churn.driver import PolicyRun
    from harness.servers import GatewayProcess
    from harness.stripe_api import StripeApi

    with GatewayProcess(":memory:") as gateway:
        api = StripeApi(gateway.url, "sk_test_events")
        run = PolicyRun(ChurnPlan(subscribers=1, months=1), Policy("p"), draw(ChurnPlan(subscribers=1, months=1), 1), api, tmp_path)
        ids = lambda events: [e["id"] for e in events]  # noqa: E731
        seen: list[str] = []
        for n in (150, 0, 230, 1):
            for i in range(n):
                assert api.post("/v1/customers", {"email": f"c{len(seen)}-{i}@example.jp"}).ok
                if i % 3 == 0:  # another type in between
                    assert api.post("/v1/products", {"name": f"p{len(seen)}-{i}"}).ok
            everything = ids(api.list_all("/v1/events", {"types": ["customer.created", "product.created"]}))
            assert set(everything) == set(ids(api.list_all("/v1/events", {"type": "customer.created"}))) | set(
                ids(api.list_all("/v1/events", {"type": "product.created"})))
            assert ids(run._events(("customer.created", "product.created"), 0, 2**40)) == everything[:len(everything) - len(seen)]
            seen = everything
        assert len(seen) == 381 + 128
        api.close()


def test_the_pooled_client_answers_as_the_httpx_client():
    """The churn's client (kept-alive http.client connections) sends the same forms, query strings, keys and errors as StripeApi
    (httpx), also from many threads at once over its kept-alive connections."""
    from concurrent.futures import ThreadPoolExecutor

    from harness.servers import GatewayProcess
    from harness.stripe_api import PooledStripeApi, StripeApi

    with GatewayProcess(":memory:") as gateway:
        plain, pooled = StripeApi(gateway.url, "sk_test_pool"), PooledStripeApi(gateway.url + "/", "sk_test_pool", connections=4)
        try:
            made = pooled.post("/v1/customers", {"email": "p@example.jp", "metadata": {"k": "v w&x"}}, idempotency_key="pool-1")
            assert made.ok and made.body["metadata"] == {"k": "v w&x"}
            assert pooled.post("/v1/customers", {"email": "p@example.jp", "metadata": {"k": "v w&x"}}, idempotency_key="pool-1").body == made.body
            assert plain.get(f"/v1/customers/{made.body['id']}").body == pooled.get(f"/v1/customers/{made.body['id']}").body
            with ThreadPoolExecutor(max_workers=16) as threads:
                ids = list(threads.map(lambda i: pooled.post("/v1/customers", {"email": f"t{i}@example.jp"}).body["id"], range(40)))
            assert len(set(ids)) == 40
            query = {"email": "t7@example.jp", "limit": 3}
            assert [c["id"] for c in pooled.get("/v1/customers", query).body["data"]] == [ids[7]]
            assert [c["id"] for c in pooled.list_all("/v1/customers")] == [c["id"] for c in plain.list_all("/v1/customers")]
            missing = pooled.get("/v1/customers/cus_missing")
            assert (missing.status, missing.body) == (plain.get("/v1/customers/cus_missing").status, plain.get("/v1/customers/cus_missing").body)
            bad = pooled.post("/v1/customers", {"email": "x" * 600})
            assert bad.status == 400 and bad.error["param"] == "email"
        finally:
            plain.close()
            pooled.close()


def _server_that_resets(reset: Callable[[int], bool], body_for: Callable[[bytes], bytes]) -> tuple[socket.socket, list[bytes]]:
    """An HTTP server on loopback, one connection at a time: it closes the connection with RST when `reset(requests seen
    so far)` says so, else answers 200 with `body_for(request)`. Returns its listener (to close) and the requests seen."""
    seen: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(65536)
            seen.append(request)
            if reset(len(seen)):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
            else:
                body = body_for(request)
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener, seen


def test_the_pooled_client_sends_again_what_a_reset_connection_lost():
    """A request whose connection the server resets (as a kept-alive one closed while reused) is sent again on
    a new connection with the same Idempotency-Key; a server that always resets is an error, not a loop."""
    from harness.stripe_api import PooledStripeApi

    resets = {"left": 1}

    def reset(_: int) -> bool:
        if resets["left"] == 0:
            return False
        resets["left"] -= 1
        return True

    listener, seen = _server_that_resets(reset, lambda _request: b'{"id": "x"}')
    api = PooledStripeApi(f"http://127.0.0.1:{listener.getsockname()[1]}", "sk_test_reset", timeout=10)
    try:
        result = api.post("/v1/customers", {"email": "r@example.jp"}, idempotency_key="reset-1")
        assert result.ok and result.body == {"id": "x"}
        assert len(seen) == 2 and all(b"Idempotency-Key: reset-1" in r for r in seen)
        resets["left"] = -1  # from now on every connection is reset
        with pytest.raises(Exception, match="(?i)reset|aborted|retries"):
            api.post("/v1/customers", {"email": "r@example.jp"})
        assert len(seen) == 2 + 3  # the request and two more tries
    finally:
        api.close()
        listener.close()


def test_the_pooled_client_sends_many_posts_at_once_and_answers_each_in_order(tmp_path):
    """post_many (the churn's sign-up waves): every request sent before any answer is read, the answers in the
    requests' order, each object made once; one whose connection was reset is sent again with its own
    Idempotency-Key and still answered in its place."""
    import re

    from harness.servers import GatewayProcess
    from harness.stripe_api import PooledStripeApi

    with GatewayProcess(":memory:") as gateway:
        api = PooledStripeApi(gateway.url, "sk_test_many", connections=8)
        try:
            made = api.post_many([("/v1/customers", {"email": f"m{i}@example.jp"}) for i in range(40)])
            assert [r.body["email"] for r in made] == [f"m{i}@example.jp" for i in range(40)]
            assert sorted(c["id"] for c in api.list_all("/v1/customers")) == sorted(r.body["id"] for r in made)
            bad = api.post_many([("/v1/customers", {"email": "ok@example.jp"}), ("/v1/customers", {"email": "x" * 600})])
            assert bad[0].ok and bad[1].status == 400 and bad[1].error["param"] == "email"
            assert api.post_many([]) == []
        finally:
            api.close()

    # resets the first connection, answers the others with the path asked
    listener, seen = _server_that_resets(lambda count: count == 1, lambda request: b'{"id": "%s"}' % request.split(b" ")[1])
    api = PooledStripeApi(f"http://127.0.0.1:{listener.getsockname()[1]}", "sk_test_reset", timeout=10)
    try:
        answers = api.post_many([(f"/v1/customers/{name}", {}) for name in ("a", "b", "c")])
        assert [r.body["id"] for r in answers] == ["/v1/customers/a", "/v1/customers/b", "/v1/customers/c"]
        first = [r for r in seen if r.startswith(b"POST /v1/customers/a ")]
        keys = {re.search(rb"Idempotency-Key: (\S+)", r).group(1) for r in first}  # type: ignore[union-attr]
        assert len(first) == 2 and len(keys) == 1 and len(seen) == 4
    finally:
        api.close()
        listener.close()


def test_a_policy_without_notices_bills_the_same_when_the_clock_skips_the_days_nobody_acts(tmp_path, monkeypatch):
    """Without notices no event leads a subscriber to act, so the driver advances straight to the next day on which
    someone does (PolicyRun._next_day): every monthly row, the driver's counts and the final ledger are what
    advancing one day at a time gives, with fewer advances."""
    from harness.churn import driver

    plan = ChurnPlan(subscribers=40, months=3, decline_rate=0.3, voluntary_churn=0.08, card_validity_months=(1, 3),
                     decline_recovery=((2, 0.5), (7, 0.3), (None, 0.2)), batch=40, shards=1, processes=2,
                     policies=(Policy("retries", (1, 3), "cancel", False), Policy("unpaid", (2,), "unpaid", False)))
    advances: list[int] = []
    advance = driver.PolicyRun._advance
    monkeypatch.setattr(driver.PolicyRun, "_advance", lambda self, t: (advances.append(t), advance(self, t))[1])
    skipping = run_cohort(plan, tmp_path / "skipping", seed=3)
    skipped = len(advances)
    advances.clear()
    monkeypatch.setattr(driver.PolicyRun, "_next_day", lambda self, day, end: min(day + driver.DAY, end))
    daily = run_cohort(plan, tmp_path / "daily", seed=3)
    assert skipped < len(advances) // 2
    for one, other in zip(daily["policies"], skipping["policies"]):
        assert "error" not in one and "error" not in other, (one, other)
        assert other["months"] == one["months"] and other["driver"] == one["driver"]
        assert {k: v for k, v in other["final"].items() if k not in ("reconciliation", "test_clock")} == \
            {k: v for k, v in one["final"].items() if k not in ("reconciliation", "test_clock")}
        rec_one, rec_other = one["final"]["reconciliation"], other["final"]["reconciliation"]
        assert rec_one["ok"] and rec_other["ok"] and rec_one["invoices"] == rec_other["invoices"] and rec_one["paid"] == rec_other["paid"]
    assert sum(m["involuntary_churn"] + m["voluntary_churn"] for p in daily["policies"] for m in p["months"]) > 0
