"""`checkout-harness worker --master HOST:PORT`: lend this machine's cores to a run elsewhere.

The run's master (a `checkout-harness run` whose scenario has `[load.distributed] remote_workers`
and a `bind` address other machines can reach) prints the address to join. Each worker process
is one Locust worker; `--processes N` starts N of them (one per core is a good start). When the
run has journeys, each worker process also runs a share of them in browser processes of its own
(harness/load/README.md, "Journeys on the workers").
"""

from __future__ import annotations

import argparse
import sys

from ..cli_command import Command
from ..exit_codes import BAD_INPUT as EXIT_BAD_INPUT
from ..exit_codes import INTERRUPTED
from ..processes import ChildProcess, stop_together


def _worker_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--master", required=True, metavar="HOST:PORT", help="the run's master, as it printed (e.g. 10.0.0.5:5557)")
    p.add_argument("--processes", type=int, default=1, help="worker processes to start on this machine (default 1)")


def _worker(args: argparse.Namespace) -> int:
    from .launch import parse_master

    try:
        parse_master(args.master)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not 1 <= args.processes <= 256:
        print(f"error: --processes must be between 1 and 256, found {args.processes}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # Each worker is a fresh interpreter: Locust patches the standard library for gevent at import.
    # In this terminal's process group (Ctrl-C reaches them too); they die with this process.
    argv = [sys.executable, "-m", "harness.load.locust_worker", "--master", args.master]
    procs = [ChildProcess(argv, own_group=False, die_with_parent=True) for _ in range(args.processes)]
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:
        stop_together(procs, grace=10)
        return INTERRUPTED
    return max(c or 0 for c in codes)


# The subcommands this module adds, in the order `--help` lists them (joined in harness/cli.py).
COMMANDS = [
    Command("worker", "join a run on another machine as Locust worker process(es), for its load and its journeys: --master HOST:PORT", _worker_args, _worker),
]
