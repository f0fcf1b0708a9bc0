"""The example shop (examples/shop) in its own process for tests, on a free loopback port."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from harness.servers import ManagedProcess, wait_http

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ShopProcess(ManagedProcess):
    """`python -m examples.shop` against `gateway_url`, its request log at `request_log`."""

    def __init__(self, gateway_url: str, request_log: Path, stripe_js: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.request_log = request_log
        argv = [sys.executable, "-m", "examples.shop", "--gateway", gateway_url, "--port", str(self.port),
                "--request-log", str(request_log)]
        if stripe_js:
            argv += ["--stripe-js", stripe_js]
        super().__init__(argv, env={"PYTHONPATH": str(ROOT)})
        try:
            wait_http(self.url + "/health", self)
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> ShopProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
