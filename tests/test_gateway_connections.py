"""Slow and incomplete requests are cut off, and a worker's connections are bounded, while normal requests go on.

A gateway worker with short deadlines (1 s for headers, 1 s for a body) and room for 40 connections gets
150 half-sent requests: connections that send nothing, half a request line, headers without their end,
and headers with a body shorter than its Content-Length. While they hang, normal requests on new
connections must succeed; shortly after the deadlines every half-sent connection must be closed by the
server (a 408 or a plain close), the worker's file descriptors back near where they started, and the
log must say that it shed connections.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import httpx
import pytest

from harness.servers import GatewayProcess

pytestmark = pytest.mark.timeout(120)

AUTH = ("sk_test_connections", "")
HALF_SENT = [
    b"",
    b"POST /v1/customers HT",
    b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk_test_x\r\n",
    b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk_test_x\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a%40b",
]


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True once the server has closed the connection (whatever it wrote first), False if still open."""
    sock.settimeout(within)
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True
    except TimeoutError:
        return False
    except OSError:  # reset: closed too
        return True


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts file descriptors in /proc")
def test_half_sent_requests_are_closed_and_normal_requests_still_succeed(tmp_path: Path) -> None:
    args = ["--header-timeout", "1", "--body-timeout", "1", "--max-connections", "40"]
    with GatewayProcess(tmp_path / "gateway.sqlite3", workers=1, extra_args=args) as gateway:
        host, port = gateway.url.removeprefix("http://").split(":")
        pid = gateway.proc.pid
        with httpx.Client(base_url=gateway.url, auth=AUTH, timeout=10, trust_env=False) as client:
            assert client.get("/v1/customers").status_code == 200
            before = _fds(pid)
            hanging = []
            for i in range(150):
                sock = socket.create_connection((host, int(port)))
                sock.sendall(HALF_SENT[i % len(HALF_SENT)])
                hanging.append(sock)
            started = time.monotonic()
            answered = []
            for _ in range(10):  # normal requests on fresh connections while the half-sent ones hang
                with httpx.Client(base_url=gateway.url, auth=AUTH, timeout=5, trust_env=False) as fresh:
                    answered.append(fresh.post("/v1/customers", data={"email": "c@example.jp"}).status_code)
            assert answered == [200] * 10, answered
            still_open = [s for s in hanging if not _closed_by_server(s, max(0.05, 4.0 - (time.monotonic() - started)))]
            assert not still_open, f"{len(still_open)} of {len(hanging)} half-sent connections still open after 4 s"
            for sock in hanging:
                sock.close()
            time.sleep(0.3)
            assert _fds(pid) <= before + 5, (before, _fds(pid))
            assert client.get("/v1/customers").status_code == 200
        output = "".join(gateway.lines)
    assert "shedding connections" in output and "--max-connections" in output, output[-2000:]


def test_a_slow_body_gets_a_408(tmp_path: Path) -> None:
    with GatewayProcess(tmp_path / "gateway.sqlite3", workers=1, extra_args=["--body-timeout", "0.5"]) as gateway:
        host, port = gateway.url.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)))
        sock.sendall(HALF_SENT[3])
        sock.settimeout(5)
        answer = b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except OSError:
            pass
        sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
