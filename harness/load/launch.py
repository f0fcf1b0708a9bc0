"""Starting the processes of a load run (no Locust here: process_main.py uses this before importing it)."""

from __future__ import annotations

import os
import socket
import sys

from ..exit_codes import INTERRUPTED as EXIT_INTERRUPTED
from ..exit_codes import LOAD_BAD_SPEC as EXIT_BAD_SPEC
from ..exit_codes import LOAD_COMPLETE as EXIT_OK
from ..exit_codes import LOAD_CRASHED as EXIT_CRASH
from ..exit_codes import LOAD_NO_WORKERS as EXIT_NO_WORKERS
from ..processes import ChildProcess

__all__ = ["EXIT_BAD_SPEC", "EXIT_CRASH", "EXIT_INTERRUPTED", "EXIT_NO_WORKERS", "EXIT_OK", "connect_host", "free_port",
           "parse_master", "start_local_workers"]



def free_port(host: str) -> int:
    """A port free right now on `host` (for the master's worker channel)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind(("" if host in ("*", "0.0.0.0") else host, 0))
        return s.getsockname()[1]


def connect_host(bind_host: str) -> str:
    """Where local workers reach a master bound to `bind_host`."""
    return "127.0.0.1" if bind_host in ("0.0.0.0", "*", "") else bind_host


def start_local_workers(count: int, master: str) -> list[ChildProcess]:
    """`count` worker processes on this machine, joining the master at `master` (HOST:PORT). They
    stay in the load process's group (stopping the load stops them) and die with it."""
    argv = [sys.executable, "-m", "harness.load.locust_worker", "--master", master, "--local"]
    return [ChildProcess(argv, own_group=False, die_with_parent=True) for _ in range(count)]


def parse_master(text: str) -> tuple[str, int]:
    """HOST:PORT of a run's master, or ValueError with what was expected."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"--master must be HOST:PORT (the run's master, e.g. 10.0.0.5:5557); found {text!r}")
    return host.strip("[]"), int(port)


# Locust's own outputs, asked for on the command line (`checkout-harness run --web-ui ...`): the
# load process, started later with this environment, reads them (locust_outputs.py).
ENV_WEB_UI = "CHECKOUT_HARNESS_WEB_UI"
ENV_LOCUST_CSV = "CHECKOUT_HARNESS_LOCUST_CSV"
ENV_LOCUST_HTML = "CHECKOUT_HARNESS_LOCUST_HTML"


def ask_locust_outputs(web_ui: str | None, csv: bool, html: bool) -> None:
    """Set the environment the load process will read; ValueError for a bad --web-ui address."""
    if web_ui is not None:
        host, sep, port = web_ui.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise ValueError(f"--web-ui must be HOST:PORT where Locust's web UI listens (e.g. 127.0.0.1:8089); found {web_ui!r}")
        os.environ[ENV_WEB_UI] = web_ui
    if csv:
        os.environ[ENV_LOCUST_CSV] = "1"
    if html:
        os.environ[ENV_LOCUST_HTML] = "1"
