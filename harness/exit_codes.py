"""The exit codes of every `checkout-harness` command, in one place, so a pipeline can trust them.

    0    passed: the run is complete and every gate and regression check passed
    1    a gate failed or the run regressed against its baseline (or the run hit its max_duration)
    2    bad input: a scenario file, a flag, a run directory, or a part the scenario asks for that
         the target cannot do (said before anything runs; nothing is written)
    3    the lab itself failed: a part crashed, no browser, the target unreachable, the ledger
         export failed, a fault could not be applied, out of disk space or file descriptors
    130  interrupted by SIGINT (Ctrl-C) while measuring; 143 by SIGTERM. The results so far and the
         reports (marked incomplete) are written first. A signal that arrives while the reports
         are being written is held until they are written; a second one cuts the reports short
         (run.json and stderr say so) and the exit code is that of the signal.

A run's `run.json` records what ended it (`failure`: kind, type, message) so that the same code
comes back from `checkout-harness report RUN_DIR` later.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import Any

PASSED = 0
GATE_FAILED = 1
BAD_INPUT = 2
LAB_FAILED = 3

# What can end a run early, as recorded in run.json's `failure.kind`.
KIND_LAB = "lab"  # the lab failed: exit 3
KIND_INTERRUPTED = "interrupted"  # a signal: exit 128 + its number
KIND_TIMEOUT = "timeout"  # max_duration reached: a failed run, exit 1

# The load process's own exit codes (`python -m harness.load.process_main`), read by the run
# through load.LoadRun.wait(); a journeys worker that was interrupted reports INTERRUPTED too.
LOAD_COMPLETE = 0
LOAD_CRASHED = 1  # failed; the results so far are kept
LOAD_BAD_SPEC = 2
LOAD_NO_WORKERS = 3  # the Locust workers did not connect
INTERRUPTED = 130  # by SIGINT: interrupted(signal.SIGINT)

HELP = """exit codes:
  0    passed (complete run, every gate and regression check passed)
  1    a gate failed, the run regressed, or it reached its max_duration
  2    bad input: scenario file and key, flag, run directory, or a part the target
       cannot do (said before anything runs)
  3    the lab failed: a part crashed, no browser, target unreachable, ledger export
       failed, a fault not applied, out of disk space or file descriptors
  130  interrupted by SIGINT, 143 by SIGTERM (results and reports are kept)"""


def interrupted(signum: int) -> int:
    """The shell's convention for a process ended by a signal."""
    return 128 + int(signum)


def signal_number(name: str | None) -> int | None:
    try:
        return int(signal.Signals[name]) if name else None
    except KeyError:
        return None


def for_summary(summary: Mapping[str, Any]) -> int:
    """The exit code a run's summary stands for (summary.json's `run.failure` and `passed`)."""
    failure = (summary.get("run") or {}).get("failure") or {}
    if failure.get("kind") == KIND_LAB:
        return LAB_FAILED
    if failure.get("kind") == KIND_INTERRUPTED:
        signum = signal_number(failure.get("signal"))
        return interrupted(signum) if signum else GATE_FAILED
    return PASSED if summary.get("passed") else GATE_FAILED
