"""A Locust worker process: joins a run's master and places orders for it.

    python -m harness.load.locust_worker --master HOST:PORT      (what `checkout-harness worker` runs)

The worker learns everything about the run from the master (channel.CONFIG), reports its
measurements once a second (channel.BATCH) and a last time when the test stops, and exits when
the master quits. When the run has journeys, the master also sends this worker its share of them
(journeys/locust_channel.py): they run in separate processes on this machine (never Playwright in this
gevent process) and their records go back to the master. Local workers (started by the run itself, `--local`) leave Ctrl-C to the
master and die with it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

import gevent
from locust.env import Environment  # first: Locust patches the standard library for gevent

from scenarios.load import parse_load

from ..journeys import locust_channel
from ..processes import die_with_parent
from . import channel
from .launch import parse_master
from .recorder import Recorder
from .users import ArrivalUser, RunContext, ShopperUser, configure

REPORT_EVERY_S = 1.0


def join(master_host: str, master_port: int) -> int:
    env = Environment(user_classes=[ShopperUser, ArrivalUser])
    runner = env.create_worker_runner(master_host, master_port)
    state: dict[str, RunContext] = {}

    def on_config(environment: Environment, msg: object) -> None:
        data = msg.data  # type: ignore[attr-defined]
        if "run" in state:
            return  # one run per worker process
        config = parse_load(data["load"], data["file"])
        recorder = Recorder(data["source"], float(data["t0"]))
        run = RunContext(config, data["target"], data["api_key"], int(data["seed"]), data["run_id"], float(data["t0"]),
                         int(data["index"]), int(data["count"]), recorder)
        configure(run)
        if config.user_classes is not None:  # the scenario's own Locust classes (user_classes.py)
            from .user_classes import UserClassError
            from .users import own_classes

            try:
                classes = own_classes(run, environment)
            except UserClassError as err:
                logging.getLogger("harness.load.locust_worker").error("%s", err)
                gevent.spawn(runner.quit)
                return
            if config.model == "closed":
                environment.user_classes = classes  # the master spawns them by name
        environment.events.request.add_listener(recorder.request)
        state["run"] = run
        gevent.spawn(report)

    def report() -> None:
        while True:
            gevent.sleep(REPORT_EVERY_S)
            run = state["run"]
            runner.send_message(channel.BATCH, run.recorder.take())

    def on_test_stop(environment: Environment, **_: object) -> None:
        run = state.get("run")
        if run is not None:
            runner.send_message(channel.BATCH, run.recorder.take(final=True))

    def on_sigterm() -> None:  # the run ended (a local worker's master died) or Ctrl-C on `checkout-harness worker`
        def leave() -> None:
            share = locust_channel.worker_share()
            if share is not None:
                share.end()  # the journeys' own processes are in their own sessions: stop them, or they outlive us
            runner.quit()
        gevent.spawn(leave)

    runner.register_message(channel.CONFIG, on_config)
    channel.install(runner, channel.WORKER_HANDLERS)
    env.events.test_stop.add_listener(on_test_stop)
    gevent.signal_handler(signal.SIGTERM, on_sigterm)
    runner.greenlet.join()
    share = locust_channel.worker_share()
    if share is not None:  # the master quit (it waits for every share first, unless interrupted)
        share.end()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.load.locust_worker", description="Join a checkout-harness load run.")
    parser.add_argument("--master", required=True, help="HOST:PORT of the run's master")
    parser.add_argument("--local", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        host, port = parse_master(args.master)
    except ValueError as err:
        parser.error(str(err))
    if args.local:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        die_with_parent()  # also set by the starter (launch.start_local_workers); here too, in case the master died before exec
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s worker %(levelname)s %(name)s: %(message)s")
    started = time.time()
    code = join(host, port)
    print(f"worker done after {time.time() - started:.1f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
