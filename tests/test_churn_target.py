"""Churn against a target: the cohort billed through Stripe's public API and test clocks only, on a
gateway the harness did not start, gives what the harness's own gateways give; the preflight asks
a target for those lists and nothing of the harness's own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.churn.cohort import run_cohort
from harness.preflight import TargetCannot, check_target
from harness.servers import GatewayProcess
from scenarios.churn import ChurnPlan, Policy
from scenarios.scenario import parse_scenario
from tests.stripe_stub import StripeStub

PLAN = ChurnPlan(subscribers=24, months=3, decline_rate=0.3, voluntary_churn=0.05, card_validity_months=(1, 3),
                 decline_recovery=((2, 0.5), (None, 0.5)), update_after_failed_mail=0.7, update_after_expiry_mail=0.5,
                 update_delay_days=(0, 1), batch=10, shards=1, processes=2,
                 policies=(Policy("no-retries", (), "cancel", False), Policy("retries+notices", (1, 3), "unpaid", True)))
KEY = "sk_test_churn_target"


def _churn_scenario(target: str, tmp_path: Path):
    return parse_scenario({"target": target, "api_key": KEY, "churn": {"subscribers": 5, "months": 1}}, str(tmp_path / "s.toml"))


def test_churn_preflight_asks_only_for_public_lists_and_test_clocks(tmp_path: Path):
    with GatewayProcess(tmp_path / "g.sqlite3") as gateway:
        assert check_target(_churn_scenario(gateway.url, tmp_path)) is None
    with StripeStub() as stub:  # payment intents and events only: no test clocks, no Billing
        with pytest.raises(TargetCannot) as err:
            check_target(_churn_scenario(stub.url, tmp_path))
        assert "GET /v1/test_helpers/test_clocks must be a Stripe list" in str(err.value)
        assert "GET /v1/subscriptions must be a Stripe list" in str(err.value)
        assert not [r for r in stub.requests if "/billing" in r]
        assert not [r for r in stub.requests if not r.startswith("GET")]


def test_churn_on_a_target_gives_what_the_harness_gateways_give(tmp_path: Path):
    """Each policy on its own clock of one running gateway (the target path) against each policy on a gateway
    of its own started from one sign-up (the embedded path): the same subscribers, months and final ledger."""
    embedded = run_cohort(PLAN, tmp_path / "embedded", seed=7)
    with GatewayProcess(tmp_path / "target.sqlite3") as gateway:
        targeted = run_cohort(dataclasses.replace(PLAN, shards=3), tmp_path / "target", seed=7, target=gateway.url, api_key=KEY)
    assert targeted["shards"] == 1  # on a target: one clock per policy, never split
    for mine, theirs in zip(embedded["policies"], targeted["policies"]):
        assert "error" not in mine and "error" not in theirs, (mine, theirs)
        assert theirs["dunning_settings"] == "as the policy says"
        assert theirs["months"] == mine["months"]
        assert theirs["driver"] == mine["driver"]
        for key in ("subscriptions", "canceled_by_reason", "mrr", "invoices", "recovered", "notice_events"):
            assert theirs["final"][key] == mine["final"][key], key
        assert theirs["final"]["reconciliation"]["ok"] and theirs["final"]["reconciliation"]["invoices"] > PLAN.subscribers
    by = {p["policy"]: p for p in targeted["policies"]}
    assert sum(m["recovered_invoices"] for m in by["retries+notices"]["months"]) > 0
    assert by["no-retries"]["final"]["subscriptions"] != by["retries+notices"]["final"]["subscriptions"]  # each clock its own policy


def test_a_target_without_the_settings_helper_bills_under_its_own_settings_and_says_so(tmp_path: Path):
    from harness.churn.driver import DriverError, PolicyRun
    from harness.churn.model import draw
    from harness.stripe_api import ApiResult

    class Target:  # answers the settings helper as Stripe would (no such route), or refuses the settings
        def __init__(self, status: int) -> None:
            self.status = status

        def post(self, path: str, params: dict) -> ApiResult:
            return ApiResult(self.status, {"error": {"message": "Unrecognized request URL", "param": "retry_schedule"}})

    plan = dataclasses.replace(PLAN, subscribers=1)
    for status, dunning in ((404, "the target's own (POST /v1/test_helpers/billing_settings answered 404)"), (400, None)):
        run = PolicyRun(plan, plan.policies[1], draw(plan, 1), Target(status), tmp_path)  # type: ignore[arg-type]
        run.clock = "clock_x"
        if dunning is None:
            with pytest.raises(DriverError, match="billing settings: 400"):
                run.configure()
        else:
            run.configure()
            assert run.dunning == dunning
