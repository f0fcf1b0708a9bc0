"""The load subprocess: `python -m harness.load.process_main SPEC.json`, started by `start_load`.

Reads the spec (the `[load]` table, target, seed, worker count), starts the local worker
processes at once (so that they import Locust while this process does), then hands over to
process.LoadProcess, which runs Locust.

Exit codes: 0 complete, 1 failed (results so far kept), 2 bad spec, 3 workers did not connect,
130 interrupted (results so far kept).
"""

from __future__ import annotations

import signal

# A stop asked for while this process is still importing (Locust takes seconds on a busy machine)
# is remembered from the first moment and carried out once the load process exists.
early: list[int] = []
for _sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_sig, lambda signum, _frame: early.append(signum))
# start_load starts this process with both held (blocked), so that one sent while Python was still
# starting is not lost: it is delivered here, to the handler above.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from scenarios.errors import ScenarioError  # noqa: E402
from scenarios.load import parse_load  # noqa: E402

from .launch import EXIT_BAD_SPEC, connect_host, free_port, start_local_workers  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m harness.load.process_main SPEC.json", file=sys.stderr)
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
