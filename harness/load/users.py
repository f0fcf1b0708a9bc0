"""The Locust users: shoppers for the closed model, an arrival generator for the open model.

Closed: each ShopperUser places an order, thinks, places another; the shape sets how many users
there are. Open: one ArrivalUser per Locust process starts each order when the schedule says it
is due, whether or not earlier orders have been answered, up to its share of `max_in_flight`
orders at once; an arrival with no free slot is counted as not started (never silently delayed).

Both place the same Order through the same Api. Imported only inside Locust processes (gevent).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import gevent
from gevent.pool import Pool
from locust import FastHttpUser, constant, task

from scenarios.load import LoadConfig, ThinkTime

from .api import Api
from .order import Order
from .recorder import Recorder
from .shapes import ArrivalSchedule, arrivals


@dataclass
class RunContext:
    """What this Locust process needs to know about the run (set before users are spawned)."""

    config: LoadConfig
    target: str
    api_key: str
    seed: int
    run_id: str
    t0: float
    index: int  # this process's place among the load processes: 0..count-1
    count: int
    recorder: Recorder
    schedule: ArrivalSchedule | None = None
    in_flight: int = 0
    arrivals_done: bool = False
    drained: bool = False
    arrival_user_active: bool = False
    user_numbers: Any = field(default_factory=itertools.count)
    open_arrivals: Any = None  # user_classes.OpenArrivals: the user's own classes in the open model

    @property
    def source(self) -> str:
        return self.recorder.source

    def state(self) -> dict[str, Any]:
        return {"in_flight": self.in_flight, "arrivals_done": self.arrivals_done, "drained": self.drained}


RUN: RunContext | None = None


def configure(run: RunContext) -> None:
    """Make this process's user classes point at the run's target with the run's client settings."""
    global RUN
    RUN = run
    client = run.config.client
    headers = {"Authorization": f"Bearer {run.api_key}", "User-Agent": "checkout-harness-load"}
    for cls in (ShopperUser, ArrivalUser):
        cls.host = run.target
        cls.network_timeout = client.timeout_s
        cls.connection_timeout = client.timeout_s
        cls.default_headers = headers
    if run.config.model == "open":
        ArrivalUser.concurrency = math.ceil(run.config.max_in_flight / run.count)
        run.schedule = ArrivalSchedule(run.config.shape, run.config.duration_s)
    run.recorder.state = run.state()


def count_task() -> None:
    """Closed model with the user's own classes: each task a user starts counts as an order started."""
    run = RUN
    if run is not None:
        run.recorder.arrival(time.time() - run.t0, started=True, offered=False)


def own_classes(run: RunContext, environment: Any) -> list[type]:
    """The user classes this process runs when the scenario names its own (see user_classes.py):
    the prepared classes (closed model), or the arrival user driving them (open model)."""
    from .user_classes import OpenArrivals, prepare, record_task_errors

    prepared = prepare(run.config, run.target, count_task)
    record_task_errors(environment)
    if run.config.model == "closed":
        return prepared
    run.open_arrivals = OpenArrivals(environment, prepared, run.seed * 31 + run.index)
    return [ArrivalUser]


def think(spec: ThinkTime, rng: random.Random) -> float:
    if spec.kind == "uniform":
        return rng.uniform(spec.a, spec.b)
    if spec.kind == "exponential":
        return rng.expovariate(1.0 / spec.a) if spec.a > 0 else 0.0
    return spec.a


def _journey(user: FastHttpUser, run: RunContext, rng: random.Random, order_id: str) -> str:
    api = Api(user.client, run.config.client, rng, gevent.sleep)
    return Order(api, run.recorder, run.config, rng, run.run_id, order_id).run()


class ShopperUser(FastHttpUser):
    """Closed model: one shopper placing orders one after another, thinking in between."""

    host = "http://127.0.0.1"

    def wait_time(self) -> float:
        assert RUN is not None
        return think(RUN.config.think_time, self.rng)

    def on_start(self) -> None:
        assert RUN is not None
        self.number = next(RUN.user_numbers)
        self.rng = random.Random(f"{RUN.seed}:{RUN.source}:user{self.number}")
        self.orders = 0

    @task
    def order(self) -> None:
        run = RUN
        assert run is not None
        self.orders += 1
        run.recorder.arrival(time.time() - run.t0, started=True, offered=False)
        _journey(self, run, self.rng, f"{run.source}u{self.number}o{self.orders}")


class ArrivalUser(FastHttpUser):
    """Open model: starts the orders of this process's share of the arrival schedule."""

    host = "http://127.0.0.1"
    wait_time = constant(3600)
    concurrency = 500

    def on_start(self) -> None:
        self.pool: Pool | None = None

    def on_stop(self) -> None:
        if self.pool is not None:
            self.pool.kill(block=False)
        if RUN is not None and RUN.open_arrivals is not None:
            RUN.open_arrivals.stop()

    @task
    def arrive(self) -> None:
        run = RUN
        assert run is not None and run.schedule is not None
        if run.arrival_user_active:  # Locust gave this process two arrival users: one is enough
            gevent.sleep(3600)
            return
        run.arrival_user_active = True
        capacity = self.concurrency
        self.pool = pool = Pool(capacity)
        rng = random.Random(f"{run.seed}:{run.source}:arrivals")
        recorder = run.recorder
        for number, due in arrivals(run.schedule, run.config.arrivals, run.index, run.count, rng):
            wait = run.t0 + due - time.time()
            if wait > 0:
                gevent.sleep(wait)
            if len(pool) >= capacity:
                recorder.arrival(due, started=False)
                continue
            recorder.arrival(due, started=True)
            recorder.start_lag(max(0.0, time.time() - run.t0 - due))  # how late the loop started it
            pool.spawn(self._order, run, number)
            run.in_flight = len(pool)
            recorder.state = run.state()
        run.arrivals_done = True
        recorder.state = run.state()
        pool.join(timeout=run.config.drain_s)
        run.in_flight = len(pool)
        run.drained = True
        recorder.state = run.state()
        gevent.sleep(3600)  # idle until the runner stops the test

    def _order(self, run: RunContext, number: int) -> None:
        rng = random.Random(run.seed * 1_000_003 + number)  # an integer seed: cheaper than a string, as reproducible
        try:
            if run.open_arrivals is not None:  # the user's own classes: one task per arrival
                run.open_arrivals.order(number)
            else:
                _journey(self, run, rng, f"a{number}")
        finally:
            run.in_flight = len(self.pool) - 1 if self.pool is not None else 0
