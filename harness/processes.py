"""The one keeper of child processes: every process the harness starts goes through ChildProcess.

A child starts in its own process group (so that stopping it stops everything it started: a
browser, a gateway's workers), can be made to die with its parent (Linux PR_SET_PDEATHSIG: a run
killed with -9 leaves nothing behind), and stops with a grace period: a polite signal to the group,
then SIGKILL to whatever is left in it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import IO, Any

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def die_with_parent() -> None:
    """In a child process: get SIGTERM when the process that started it dies (Linux only); exit at
    once if it has died already (between the fork and this call)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    _prctl()(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _prctl() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent_hook() -> Callable[[], None] | None:
    """For Popen's preexec_fn: libc is looked up here, in the parent, not between fork and exec."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = _prctl()
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def signal_group(pid: int, sig: int) -> None:
    """`sig` to the process group led by `pid`, if it still exists."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class ChildProcess:
    """A child process the harness started and must stop.

    own_group: its own session and process group (stop() reaches everything it started); False
    for processes that stay in the caller's group, so that a terminal's Ctrl-C reaches them too.
    die_with_parent: SIGTERM to it when this process dies. hold_stop_signals: it starts with
    SIGINT and SIGTERM blocked (a stop sent before it has installed its handlers waits for them
    instead of killing it); it unblocks them itself.
    """

    def __init__(self, argv: list[str], *, stdout: int | IO[Any] | None = None, stderr: int | IO[Any] | None = None,
                 env: dict[str, str] | None = None, text: bool = False, own_group: bool = True,
                 die_with_parent: bool = False, hold_stop_signals: bool = False) -> None:
        self.argv = argv
        self.own_group = own_group
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS) if hold_stop_signals else None
        try:
            self.popen: subprocess.Popen[Any] = subprocess.Popen(
                argv, stdout=stdout, stderr=stderr, text=text, start_new_session=own_group,
                env={**os.environ, **env} if env else None,
                # one prctl call between fork and exec, looked up before: no lock a thread could hold
                preexec_fn=_die_with_parent_hook() if die_with_parent else None)  # noqa: PLW1509 (one prctl call, no locks)
        finally:
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)  # the child keeps the blocked mask across exec

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    def poll(self) -> int | None:
        return self.popen.poll()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, or None if it is still running after `timeout` seconds."""
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def send(self, sig: int) -> None:
        """`sig` to the process itself (not its group)."""
        if self.popen.poll() is None:
            try:
                os.kill(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def send_group(self, sig: int) -> None:
        """`sig` to its process group (to the process alone if it shares the caller's group)."""
        if self.own_group:
            signal_group(self.popen.pid, sig)
        else:
            self.send(sig)

    def stop(self, grace: float = 10.0, first: int = signal.SIGTERM) -> int | None:
        """`first` to the group, `grace` seconds to end, then SIGKILL to whatever is left in it."""
        stop_together([self], grace, first)
        return self.popen.poll()

    def kill(self) -> None:
        """kill -9, as a crash would: the process first, then anything left in its group."""
        self.popen.kill()
        self.popen.wait(10)
        if self.own_group:
            signal_group(self.popen.pid, signal.SIGKILL)


def stop_together(children: Iterable[ChildProcess], grace: float = 10.0, first: int = signal.SIGTERM) -> None:
    """Stop several at once: `first` to all, one grace period for all, then SIGKILL to each group
    (children their leader left behind, such as a worker's browser)."""
    children = list(children)
    for child in children:
        if child.popen.poll() is None:
            child.send_group(first)
    deadline = time.monotonic() + grace
    for child in children:
        child.wait(max(0.1, deadline - time.monotonic()))
        if child.own_group:
            signal_group(child.popen.pid, signal.SIGKILL)
        elif child.popen.poll() is None:
            child.popen.kill()
        if child.popen.poll() is None:
            child.wait(5)
