"""The load subprocess: `python -m harness.load.runner SPEC.json`, started by `start_load`.

Reads the spec (the `[load]` table, target, seed, worker count), starts the local worker
processes at once (so that they import Locust while this process does), then hands over to
process.LoadProcess, which runs Locust.

Exit codes: 0 complete, 1 failed (results so far kept), 2 bad spec, 3 workers did not connect,
130 interrupted (results so far kept).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path

from scenarios.errors import ScenarioError
from scenarios.load import parse_load

from .launch import EXIT_BAD_SPEC, connect_host, free_port, start_local_workers


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m harness.load.runner SPEC.json", file=sys.stderr)
        return EXIT_BAD_SPEC
    try:
        spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        config = parse_load(spec["load"], spec["file"])
    except ScenarioError as err:
        print(err, file=sys.stderr)
        return EXIT_BAD_SPEC
    except (OSError, ValueError, KeyError) as err:
        print(f"{args[0]}: not a load spec ({err})", file=sys.stderr)
        return EXIT_BAD_SPEC
    early: list[int] = []  # a stop asked for while Locust is still being imported
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: early.append(signum))
    workers = []
    if int(spec.get("workers", 0)) > 0:
        d = config.distributed
        spec["master_port"] = d.bind_port or free_port(d.bind_host)
        workers = start_local_workers(int(spec["workers"]), f"{connect_host(d.bind_host)}:{spec['master_port']}")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s master %(levelname)s %(name)s: %(message)s")
    from .process import LoadProcess  # imports Locust, which patches the standard library for gevent

    process = LoadProcess(spec, config)
    process.procs = workers
    if early:
        process.interrupt_now(early[0])
    return process.run()


if __name__ == "__main__":
    sys.exit(main())
