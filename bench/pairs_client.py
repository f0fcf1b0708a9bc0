"""The fallback load generator when `wrk` is not installed: create+confirm pairs over raw HTTP/1.1.

One asyncio task per keep-alive connection (uvloop when available), hand-written requests and a
minimal response reader, so that the client spends as little CPU as it can on the shared cores.
It prints the same "RESULT {json}" line as bench/wrk_pairs.lua does.

    python bench/pairs_client.py http://127.0.0.1:PORT --connections 32 --pairs-per-connection 500
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from urllib.parse import urlsplit

_ID = re.compile(rb'"id":"(pi_[A-Za-z0-9]+)"')
_CREATE_BODY = b"amount=1980&currency=jpy&payment_method=pm_card_visa"


def _request(host: str, path: str, key: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk_test_bench\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nIdempotency-Key: {key}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def _connection(index: int, host: str, port: int, pairs: int, tag: str, out: dict) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    hostport = f"{host}:{port}"
    done = failures = 0
    try:
        while done + failures < pairs:
            key = f"{tag}-{index}-{done}-{failures}"
            started = time.perf_counter()
            status, body = await _exchange(reader, writer, _request(hostport, "/v1/payment_intents", key + "-create", _CREATE_BODY))
            out["request_us"].append((time.perf_counter() - started) * 1e6)
            match = _ID.search(body) if status == 200 else None
            if not match:
                failures += 1
                out["first_failure"] = out["first_failure"] or f"{status} {body[:200]!r}"
                continue
            second = time.perf_counter()
            path = f"/v1/payment_intents/{match.group(1).decode()}/confirm"
            status, body = await _exchange(reader, writer, _request(hostport, path, key + "-confirm", b""))
            now = time.perf_counter()
            out["request_us"].append((now - second) * 1e6)
            if status == 200 and b'"status":"succeeded"' in body:
                done += 1
                out["pair_us"].append((now - started) * 1e6)
            else:
                failures += 1
                out["first_failure"] = out["first_failure"] or f"{status} {body[:200]!r}"
    finally:
        writer.close()
        out["pairs"] += done
        out["failures"] += failures


def _pct(values: list[float], p: float) -> int:
    if not values:
        return 0
    values = sorted(values)
    return int(values[max(0, min(len(values) - 1, int(len(values) * p / 100 + 0.5) - 1))])


async def run(url: str, connections: int, pairs_per_connection: int, tag: str) -> dict:
    parts = urlsplit(url)
    out: dict = {"pairs": 0, "failures": 0, "request_us": [], "pair_us": [], "first_failure": ""}
    started = time.perf_counter()
    await asyncio.gather(*(
        _connection(i, parts.hostname or "127.0.0.1", parts.port or 80, pairs_per_connection, tag, out)
        for i in range(connections)
    ))
    span = time.perf_counter() - started
    req, pair = out["request_us"], out["pair_us"]
    return {
        "pairs": out["pairs"], "failures": out["failures"], "requests": len(req), "span_us": int(span * 1e6),
        "request_p50_us": _pct(req, 50), "request_p99_us": _pct(req, 99), "request_max_us": int(max(req, default=0)),
        "pair_p50_us": _pct(pair, 50), "pair_p99_us": _pct(pair, 99), "socket_errors": 0, "timeouts": 0,
        "first_failure": out["first_failure"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pairs-per-connection", type=int, default=100)
    parser.add_argument("--tag", default="bench")
    args = parser.parse_args()
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(run(args.url, args.connections, args.pairs_per_connection, args.tag))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
