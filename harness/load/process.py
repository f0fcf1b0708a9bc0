"""The load process proper (Locust's library API), entered through process_main.py.

It runs Locust in this process alone (LocalRunner), or as the master of local worker processes
and of remote ones (MasterRunner). It merges every process's batches into the run's `load/`
directory each second, applies the fault timeline, and on SIGINT/SIGTERM stops the test, keeps
what was measured and marks the summary incomplete.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gevent
from gevent.event import Event
from locust.env import Environment  # first: Locust patches the standard library for gevent
from locust.shape import LoadTestShape

from scenarios.faults import FaultChange, parse_profile
from scenarios.load import LoadConfig

from ..journeys import locust_channel
from ..processes import ChildProcess
from ..runfiles import write_json
from . import channel
from .aggregate import Aggregator
from .hdr import warm
from .launch import EXIT_BAD_SPEC, EXIT_CRASH, EXIT_INTERRUPTED, EXIT_NO_WORKERS, EXIT_OK, connect_host, free_port, start_local_workers
from .locust_outputs import LocustOutputsRun, outputs_from
from .recorder import Recorder
from .user_classes import UserClassError, prepare
from .users import ArrivalUser, RunContext, ShopperUser, configure, count_task, own_classes

ENV_API_KEY = "CHECKOUT_HARNESS_API_KEY"
ENV_ADMIN_TOKEN = "CHECKOUT_HARNESS_ADMIN_TOKEN"
TICK_S = 0.5
SPAWN_RATE = 100.0  # follow the shape at once, tick by tick (Locust warns above 100)


class ClosedShape(LoadTestShape):
    """The closed model's user count over time, from the scenario's shape."""

    def __init__(self, config: LoadConfig) -> None:
        super().__init__()
        self.config = config

    def tick(self) -> tuple[int, float]:
        t = min(self.get_run_time(), self.config.duration_s)
        return max(0, round(self.config.shape.level(t))), SPAWN_RATE


class LoadProcess:
    """One run of load: start, tick (merge, write, decide to stop), stop, write the summary."""

    def __init__(self, spec: dict[str, Any], config: LoadConfig) -> None:
        self.spec = spec
        self.config = config
        self.out_dir = Path(spec["out_dir"])
        self.target = spec["target"]
        self.api_key = os.environ.get(ENV_API_KEY) or spec.get("api_key") or "sk_test_checkout_harness"
        self.seed = int(spec.get("seed", 0))
        self.run_id = spec.get("run_id") or uuid.uuid4().hex[:8]
        self.local_workers = int(spec.get("workers", 0))
        self.expected = self.local_workers + config.distributed.remote_workers
        self.distributed = self.expected > 0
        self.interrupted = Event()
        self.reason: str | None = None
        self.aggregator: Aggregator | None = None
        self.early: list[dict[str, Any]] = []  # batches that arrive before the aggregator exists
        self.procs: list[ChildProcess] = []
        self.faults_stop = threading.Event()
        self.t0 = 0.0
        self.client_ids: list[str] = []
        self.journeys: locust_channel.JourneysMaster | None = None  # the scenario's journeys, run by the workers
        self.journeys_code: int | None = None
        self.outputs = outputs_from(config.locust, spec.get("locust"))  # Locust's web UI, CSV and HTML, if asked for
        self.outputs_run: LocustOutputsRun | None = None
        warm()  # numpy and the histogram geometry, before the clock starts

    # -- set-up ---------------------------------------------------------------------------------

    def header(self) -> dict[str, Any]:
        c = self.config
        return {
            "model": c.model,
            "shape": dict(c.shape.configured),
            "duration_s": c.duration_s,
            "arrivals": c.arrivals if c.model == "open" else None,
            "max_in_flight": c.max_in_flight if c.model == "open" else None,
            "think_time": asdict(c.think_time) if c.model == "closed" else None,
            "mix": {**asdict(c.mix), "methods": dict(c.mix.methods)},
            "client": asdict(c.client),
            "target": self.target,
            "seed": self.seed,
            "run_id": self.run_id,
            "distributed": self.distributed,
            "load_processes": max(1, self.expected),
            "started_at": self.t0,
            "user_classes": list(c.user_classes.names) if c.user_classes else None,
            "locustfile": c.user_classes.locustfile if c.user_classes else None,
            "user_host": c.user_classes.host if c.user_classes else None,
            "web_ui": self.outputs.web_ui_url,
        }

    def _user_class(self) -> type:
        return ArrivalUser if self.config.model == "open" else ShopperUser

    def _environment(self) -> Environment:
        # Closed model: users finish the order they are placing. Open model: the arrival user has
        # already waited for its orders in flight (drain), so it is stopped at once.
        stop_timeout = self.config.drain_s if self.config.model == "closed" else 0.0
        # No environment host with the user's own classes: Locust would give it to every class, over
        # the host each one was prepared with (user_classes.prepare).
        host = None if self.config.user_classes is not None else self.config.distributed.target or self.target
        return Environment(user_classes=[self._user_class()], host=host, stop_timeout=stop_timeout)

    def _worker_config(self, index: int, count: int) -> dict[str, Any]:
        return {"load": self.spec["load"], "file": self.spec["file"], "target": self.config.distributed.target or self.target,
                "api_key": self.api_key, "seed": self.seed, "run_id": self.run_id, "t0": self.t0, "index": index,
                "count": count, "source": f"w{index}"}

    def _on_batch(self, environment: Environment, msg: Any) -> None:
        if self.aggregator is None:
            self.early.append(msg.data)
        else:
            self.aggregator.add(msg.data)

    def start_local(self) -> tuple[Any, Recorder]:
        env = self._environment()
        self.t0 = time.time()
        recorder = Recorder("w0", self.t0)
        run = RunContext(self.config, self.target, self.api_key, self.seed, self.run_id, self.t0, 0, 1, recorder)
        configure(run)
        if self.config.user_classes is not None:
            env.user_classes = own_classes(run, env)
        runner = env.create_local_runner()
        self.outputs_run = self.outputs.start(env, runner, self.out_dir)
        env.events.request.add_listener(recorder.request)
        self.aggregator = Aggregator(self.out_dir, self.header(), ["w0"], self.t0)
        self._start_users(env, runner, 1)
        return runner, recorder

    def start_master(self) -> Any:
        d = self.config.distributed
        env = self._environment()
        if self.config.user_classes is not None and self.config.model == "closed":
            env.user_classes = prepare(self.config, self.config.distributed.target or self.target, count_task)  # by name to workers
        port = self.spec.get("master_port") or d.bind_port or free_port(d.bind_host)
        runner = env.create_master_runner(master_bind_host=d.bind_host, master_bind_port=port)
        self.outputs_run = self.outputs.start(env, runner, self.out_dir)
        runner.register_message(channel.BATCH, self._on_batch)
        channel.install(runner, channel.MASTER_HANDLERS)
        connect = connect_host(d.bind_host)
        if not self.procs:
            self.procs = start_local_workers(self.local_workers, f"{connect}:{port}")
        if d.remote_workers:
            print(f"waiting for {d.remote_workers} remote worker(s): checkout-harness worker --master <this host>:{port}", flush=True)
        deadline = time.time() + d.wait_workers_s
        while len(runner.clients.ready) < self.expected:
            if time.time() > deadline or self.interrupted.is_set():
                runner.quit()
                return None
            gevent.sleep(0.1)
        self.t0 = time.time()
        clients = sorted(c.id for c in runner.clients.ready)[: self.expected]
        self.client_ids = clients
        for index, client_id in enumerate(clients):
            runner.send_message(channel.CONFIG, self._worker_config(index, len(clients)), client_id=client_id)
        if self.spec.get("journeys"):
            journeys = dict(self.spec["journeys"])
            journeys["settings"] = {**journeys["settings"], "target": d.target or journeys["settings"]["target"]}
            self.journeys = locust_channel.JourneysMaster(journeys, runner, clients, self.run_id)
            self.journeys.start()
        self.aggregator = Aggregator(self.out_dir, self.header(), [f"w{i}" for i in range(len(clients))], self.t0)
        for batch in self.early:
            self.aggregator.add(batch)
        self._start_users(env, runner, len(clients))
        return runner

    def _start_users(self, env: Environment, runner: Any, processes: int) -> None:
        if self.config.model == "open":
            runner.start(processes, spawn_rate=SPAWN_RATE)  # one arrival user per process, at once
        else:
            env.shape_class = ClosedShape(self.config)
            env.shape_class.runner = runner
            runner.start_shape()
        timeline = self.spec.get("faults") or []
        if timeline:
            from harness.faults_client import apply_timeline

            changes = [FaultChange(c["at_s"], parse_profile(c["table"], "(fault timeline)", name=c["name"]) if c["table"] else None)
                       for c in timeline]
            token = os.environ.get(ENV_ADMIN_TOKEN, "")
            gevent.spawn(apply_timeline, changes, self.spec.get("faults_url") or self.target, token, self.t0, self.faults_stop,
                         self.out_dir / "faults.jsonl")

    # -- running --------------------------------------------------------------------------------

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            gevent.signal_handler(sig, self._interrupt, sig)
        recorder = None
        runner = None
        try:
            if self.interrupted.is_set():
                return self._nothing_ran()
            if self.distributed:
                runner = self.start_master()
                if runner is None:
                    return self._nothing_ran()
            else:
                runner, recorder = self.start_local()
            self._loop(runner, recorder)
            code = self._finish(runner, recorder)
            self._finish_journeys(wait=True)
            return code
        except UserClassError as err:  # the scenario's locustfile or classes: bad input, nothing ran
            print(f"{self.config.file}: load.user_classes: {err}", file=sys.stderr, flush=True)
            self.reason = str(err)
            self.out_dir.mkdir(parents=True, exist_ok=True)
            write_json(self.out_dir / "summary.json", {**self.header(), "incomplete": True, "incomplete_reason": self.reason,
                                                              "requests": 0, "failures": 0, "endpoints": {}})
            return EXIT_BAD_SPEC
        except Exception:
            traceback.print_exc()
            self.reason = self.reason or "the load process failed: " + traceback.format_exc(limit=1).strip().splitlines()[-1]
            if self.aggregator is not None:
                self.aggregator.flush(everything=True)
                self.aggregator.write_summary(True, time.time() - self.t0, self.reason)
            return EXIT_CRASH
        finally:
            self.faults_stop.set()
            if self.outputs_run is not None:
                self.outputs_run.close()
            self._finish_journeys(wait=False)
            self._end_processes(runner)

    def _finish_journeys(self, wait: bool) -> None:
        """After the load: wait until the workers have sent every journey back (unless interrupted),
        then write journeys.jsonl. Interrupted or failed: stop them, keep what finished."""
        if self.journeys is None or self.journeys_code is not None:
            return
        try:
            if wait and not self.interrupted.is_set():
                print("load done; waiting for the workers' journeys", file=sys.stderr, flush=True)
                self.journeys.wait(self.interrupted)
            if not self.journeys.book.finished:
                self.journeys.stop()
        finally:
            self.journeys_code = self.journeys.finish()

    def interrupt_now(self, sig: int) -> None:
        """A stop that arrived before the run began: start nothing, write an incomplete summary."""
        self._interrupt(sig)

    def _interrupt(self, sig: int) -> None:
        if not self.interrupted.is_set():
            self.reason = f"interrupted ({signal.Signals(sig).name})"
        self.interrupted.set()

    def _loop(self, runner: Any, recorder: Recorder | None) -> None:
        agg = self.aggregator
        assert agg is not None
        end = self.t0 + self.config.duration_s
        while not self.interrupted.is_set():
            self.interrupted.wait(TICK_S - (time.time() - self.t0) % TICK_S)
            if recorder is not None:
                agg.add(recorder.take())
            agg.note_users(int(runner.user_count) if self.config.model == "closed" else sum(
                int(s.get("in_flight", 0)) for s in agg.states.values()))
            agg.flush()
            agg.write_progress("running")
            agg.write_summary(True, time.time() - self.t0, "still running", every_s=5.0)
            now = time.time()
            if now < end:
                continue
            if self.config.model == "closed":
                return
            drained = all(agg.states.get(s, {}).get("drained") for s in agg.sources)
            if drained or now >= end + self.config.drain_s + 1.0:
                return

    def _finish(self, runner: Any, recorder: Recorder | None) -> int:
        agg = self.aggregator
        assert agg is not None
        agg.write_progress("stopping")
        runner.stop()
        if self.outputs_run is not None:
            self.outputs_run.finish()  # Locust's CSV and HTML report, while its stats are still there
        if recorder is not None:
            agg.add(recorder.take(final=True))
        else:
            deadline = time.time() + self.config.drain_s + 10.0
            while set(agg.live_sources()) and time.time() < deadline:
                gevent.sleep(0.1)
            missing = sorted(set(agg.sources) - agg.finals)
            if missing and not self.reason:
                self.reason = f"no final report from worker(s) {', '.join(missing)}"
        agg.flush(everything=True)
        incomplete = self.interrupted.is_set() or self.reason is not None
        agg.write_summary(incomplete, time.time() - self.t0, self.reason)
        agg.write_progress("interrupted" if self.interrupted.is_set() else "done")
        agg.close()
        if self.interrupted.is_set():
            return EXIT_INTERRUPTED
        return EXIT_OK if not incomplete else EXIT_CRASH

    def _nothing_ran(self) -> int:
        """Stopped before the test began, or workers missing: an incomplete summary says why."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        message = (f"only {len(self.procs)} local worker process(es) started and fewer than {self.expected} worker(s) "
                   f"connected within {self.config.distributed.wait_workers_s:g} s")
        if self.interrupted.is_set():
            message = self.reason or "interrupted while waiting for workers"
        print(message, file=sys.stderr)
        write_json(self.out_dir / "summary.json", {**self.header(), "incomplete": True, "incomplete_reason": message,
                                                          "requests": 0, "failures": 0, "endpoints": {}})
        return EXIT_INTERRUPTED if self.interrupted.is_set() else EXIT_NO_WORKERS

    def _end_processes(self, runner: Any) -> None:
        if runner is not None:
            try:
                if self.client_ids:  # Locust's master forgets workers once they report stopped: tell them all
                    from locust.rpc import Message

                    for client_id in self.client_ids:
                        runner.server.send_to_client(Message("quit", None, client_id))
                runner.quit()
            except Exception:  # already gone
                pass
        deadline = time.time() + 5.0
        for proc in self.procs:
            while proc.poll() is None and time.time() < deadline:
                gevent.sleep(0.05)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
