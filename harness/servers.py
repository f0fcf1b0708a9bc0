"""Start and stop the servers a run needs, each in its own process group so none is left behind.

The harness never imports the gateway: it runs `python -m mock_gateway` like any other program
and talks to it over HTTP.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import IO

import httpx

from .processes import ChildProcess

_URL = re.compile(r"listening on (http://\S+)")


class ServerError(RuntimeError):
    pass


class ManagedProcess:
    """A server in its own process group (processes.ChildProcess) whose output is read line by line
    (logged, and searched for the address it listens on); `stop()` ends it and everything it started."""

    # Every one started and not yet stopped, from the moment it exists (before it is ready): a
    # process stopping on a signal can end them all even if one was still starting (`stop_all`).
    running: weakref.WeakSet[ManagedProcess] = weakref.WeakSet()
    closed = False  # set by stop_all: no new one starts after it (a thread about to start one would outlive it)
    _spawning = threading.RLock()  # reentrant: a signal handler calling stop_all may interrupt a start

    def __init__(self, argv: list[str], log_path: Path | None = None, env: dict[str, str] | None = None, *,
                 hold_stop_signals: bool = False) -> None:
        """hold_stop_signals: the child starts with SIGINT and SIGTERM blocked (a stop sent before it
        has installed its handlers waits for them instead of killing it); it unblocks them itself."""
        self.argv = argv
        self.log_path = log_path
        with ManagedProcess._spawning:
            if ManagedProcess.closed:
                raise ServerError(f"not started, this process is stopping its servers: {' '.join(argv)}")
            self.child = ChildProcess(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                      hold_stop_signals=hold_stop_signals)
            self.proc = self.child.popen
            ManagedProcess.running.add(self)
        self.lines: list[str] = []
        self.log_error: OSError | None = None  # writing the log failed (a full disk)
        self._first_url: str | None = None
        self._url_ready = threading.Event()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    @classmethod
    def stop_all(cls) -> None:
        """Stop every one still running, and start none from now on (for a process stopping on a signal)."""
        with cls._spawning:
            cls.closed = True
            running = list(cls.running)
        for process in running:
            process.stop()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        log = open(self.log_path, "a", encoding="utf-8") if self.log_path else None
        for line in self.proc.stdout:
            self.lines.append(line)
            if log:
                try:
                    log.write(line)
                    log.flush()
                except OSError as err:  # a full disk: the output is still kept in self.lines
                    self.log_error = err
                    _close_quietly(log)
                    log = None
            if self._first_url is None and (m := _URL.search(line)):
                self._first_url = m.group(1)
                self._url_ready.set()
        _close_quietly(log)
        self._url_ready.set()

    def wait_url(self, timeout: float = 30.0) -> str:
        self._url_ready.wait(timeout)
        if self._first_url is None:
            self.stop()
            output = "".join(self.lines[-20:])
            raise ServerError(f"{' '.join(self.argv)} did not start:\n{output}")
        return self._first_url

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the whole process group, then SIGKILL if it does not end."""
        self.child.stop(grace=timeout)
        self._reader.join(timeout=2)
        ManagedProcess.running.discard(self)

    def kill(self) -> None:
        """kill -9, as a crash would: the leader first, then anything left in its process group.

        The gateway's worker processes die with their supervisor on their own (PR_SET_PDEATHSIG);
        the SIGKILL to the group makes sure of it for any other server, so that a killed server
        never leaves a process answering on its port or writing to its files.
        """
        self.child.kill()
        self._reader.join(timeout=2)


def _close_quietly(f: IO[str] | None) -> None:
    if f is not None:
        try:
            f.close()
        except OSError:
            pass
    return None


class GatewayProcess(ManagedProcess):
    """The mock gateway in its own process, on a free loopback port unless told otherwise."""

    def __init__(
        self,
        db: str | Path = ":memory:",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        workers: int = 1,
        extra_args: list[str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        extra_args = list(extra_args or [])
        if "--admin-token" not in extra_args:  # the gateway's /_harness/ endpoints answer only with it
            extra_args += ["--admin-token", secrets.token_hex(16)]
        self.admin_token = extra_args[extra_args.index("--admin-token") + 1]
        argv = [sys.executable, "-m", "mock_gateway", "--host", host, "--port", str(port), "--db", str(db),
                "--workers", str(workers), *extra_args]
        super().__init__(argv, log_path)
        try:
            self.url = self.wait_url()
            wait_http(self.url + "/v1/customers?limit=1", self, expect_status=(200, 401))
        except BaseException:
            self.stop()  # never ready: nobody else holds it to stop it
            raise

    def __enter__(self) -> GatewayProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_http(url: str, proc: ManagedProcess | None = None, timeout: float = 30.0, expect_status: tuple[int, ...] = (200,)) -> None:
    """Poll until the server answers, or fail with its output."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise ServerError(f"server exited early:\n{''.join(proc.lines[-20:])}")
        try:
            if httpx.get(url, headers={"Authorization": "Bearer sk_test_ready"}, timeout=2).status_code in expect_status:
                return
        except httpx.HTTPError as err:
            last = err
        time.sleep(0.05)
    raise ServerError(f"{url} did not answer within {timeout:.0f} s ({last})")
