"""SIGINT and SIGTERM during a run: what each one does depends on where the run is.

- measuring: the first signal interrupts (raises Interrupted); the parts are stopped and what they
  measured is kept.
- stopping (parts, receivers, ledger, the gateway): every signal is held, so that no process is
  left behind and the ledger is read.
- reporting: the first signal that comes after the one that interrupted is held until the reports
  are written; a second one cuts the reports short (raises ReportsCutShort).

A CI job that times out sends SIGTERM and, after a grace period, SIGKILL: the reports are written
in that grace period whatever the moment of the SIGTERM.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any

MEASURING, STOPPING, REPORTING = "measuring", "stopping", "reporting"


class Interrupted(Exception):
    """SIGINT or SIGTERM while measuring: stop, keep the results, report as incomplete."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"interrupted ({self.name})")


class ReportsCutShort(Exception):
    """A second signal while the reports were being written."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"reports cut short by a second signal ({self.name})")


class RunSignals:
    """Installs its handler for SIGINT and SIGTERM; `restore()` puts the previous ones back."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, say: Callable[[str], None] | None = None) -> None:
        self.phase = MEASURING
        self.held: list[int] = []  # signals received after measuring ended (or after the interrupt)
        self.say = say or (lambda text: print(text, file=sys.stderr, flush=True))
        self._previous = {sig: signal.getsignal(sig) for sig in self.SIGNALS}
        for sig in self.SIGNALS:
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.phase == MEASURING:
            self.phase = STOPPING  # from here on the clean-up must not be cut short
            raise Interrupted(signum)
        self.held.append(signum)
        name = signal.Signals(signum).name
        if self.phase == REPORTING and len(self.held) >= 2:
            raise ReportsCutShort(signum)
        if self.phase == REPORTING:
            self.say(f"{name} received while the reports are written: held until they are (send it again to cut them short)")
        else:
            self.say(f"{name} received while the run stops its parts: held until they are stopped and the reports written")

    def stopping(self) -> None:
        self.phase = STOPPING

    def reporting(self) -> None:
        """Enter report building; two signals already held during the clean-up cut it short at once."""
        self.phase = REPORTING
        if len(self.held) >= 2:
            raise ReportsCutShort(self.held[-1])

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
