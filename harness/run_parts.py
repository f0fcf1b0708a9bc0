"""The parts of a run (load, journeys, churn), each started the same way: `start(run) -> Part`.

A part is something the run starts, polls for progress, waits for and stops; the run (harness/
run.py) knows parts only through this shape. Each starter reads what it needs from the run
(scenario, target, run directory, seed, keys) and returns None when the scenario has no such part.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from scenarios.scenario import Scenario


class Part(Protocol):
    """Something the run starts and waits for: the load, the journeys, the churn simulation."""

    def poll(self) -> dict[str, Any]: ...
    def wait(self, timeout: float | None = None) -> int | None: ...
    def stop(self) -> object: ...  # what it returns (an exit code, None) is not used


class PartHost(Protocol):
    """What a part is started from (harness.run.Run): the scenario, where and with what it runs."""

    scenario: Scenario
    run_dir: Path
    target: str
    seed: int
    admin_token: str
    workers: int
    parts: dict[str, Part]


def journeys_on_workers(run: PartHost) -> bool:
    """With Locust workers (local or remote), they run the journeys too: one worker per machine scales both."""
    scenario = run.scenario
    return (scenario.load is not None and scenario.journeys is not None
            and run.workers + scenario.load.distributed.remote_workers > 0)


def start_load(run: PartHost) -> Part | None:
    scenario = run.scenario
    if scenario.load is None:
        return None
    from .load import start_load as start

    journeys = None
    if journeys_on_workers(run):
        from .journeys.locust_shares import journeys_spec

        journeys = journeys_spec(scenario.journeys, run.target, run.run_dir, seed=run.seed, api_key=scenario.api_key)
    faults = scenario.faults
    return start(scenario.load, run.target, run.run_dir / "load", workers=run.workers, seed=run.seed,
                 api_key=scenario.api_key, faults=faults, admin_token=run.admin_token if faults is not None else None,
                 journeys=journeys)


def start_journeys(run: PartHost) -> Part | None:
    scenario = run.scenario
    if scenario.journeys is None:
        return None
    if journeys_on_workers(run):  # the load's workers run them: follow the load process
        from .journeys.locust_shares import WorkerJourneys

        plan = scenario.journeys
        return WorkerJourneys(run.parts["load"], run.run_dir, plan.count * len(plan.variants))  # as plan.assign makes them
    from .journeys import start_journeys as start

    return start(scenario.journeys, run.target, run.run_dir, seed=run.seed, api_key=scenario.api_key)


def start_churn(run: PartHost) -> Part | None:
    scenario = run.scenario
    plan = scenario.churn
    if plan is None:
        return None
    # its own gateways (one per policy) unless the scenario names a target
    from .churn import start_churn as start

    return start(plan, run.run_dir / "churn", seed=run.seed, target=scenario.target,
                 api_key=scenario.api_key if scenario.target else None)


# The parts in the order they start (journeys on workers follow the load, so the load comes first).
STARTERS: tuple[tuple[str, Callable[[PartHost], Part | None]], ...] = (
    ("load", start_load), ("journeys", start_journeys), ("churn", start_churn))

# Where each part writes its output (for saying what it ran out of when it dies), under the run dir.
LOGS = {"load": Path("load") / "locust.log", "journeys": Path("logs") / "journeys-0.log",
        "churn": Path("churn") / "churn.log"}
