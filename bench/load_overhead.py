"""What the harness's load machinery costs, against plain Locust, on the same minimal endpoint.

    .venv/bin/python bench/load_overhead.py [--seconds 8] [--users 20] [--rate 100] [--rounds 2]

A minimal Stripe-shaped API (asyncio + httptools, precomputed answers: far cheaper per request
than either client) serves POST /v1/payment_intents and POST /v1/payment_intents/{id}/confirm.
Against it, in the same run, alternately:

- harness: `start_load` with the closed model (N users, no think time) placing card orders
  (create + confirm): the harness's Api (form encoding, Idempotency-Key, retry logic, JSON),
  Order, per-second HDR recording, batches and the aggregator writing the load/ files;
- plain: Locust's FastHttpUser, N users, doing the same two POSTs and parsing the JSON id (for
  the latency comparison: the same POSTs started at evenly spaced times by a bare loop).

Throughput (closed, saturated): requests/s of each, and the ratio (target >= 0.8).
Latency (open, not saturated): the harness's open model at --rate orders/s against plain Locust
requests started at the same evenly spaced times; the p50 the harness adds (target < 1 ms), and
the time the harness's own code spends on each request's path (no network).

Figures are printed, never asserted. Each load generator is one process (one core); the server
is another.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CREATE = "/v1/payment_intents"
CONFIRM = "/v1/payment_intents/{id}/confirm"


# --------------------------------------------------------------------------------------------
# Role 1: the minimal API (its own process)


def serve() -> None:
    import asyncio

    import httptools

    created = b'{"id":"pi_bench","object":"payment_intent","amount":1000,"currency":"jpy","status":"requires_payment_method"}'
    confirmed = b'{"id":"pi_bench","object":"payment_intent","amount":1000,"currency":"jpy","status":"succeeded"}'

    def answer(body: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    answers = {False: answer(created), True: answer(confirmed)}

    class Http(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.parser = httptools.HttpRequestParser(self)
            self.url = b""

        def on_url(self, url: bytes) -> None:
            self.url = url

        def on_message_complete(self) -> None:
            self.transport.write(answers[self.url.endswith(b"/confirm")])  # type: ignore[attr-defined]

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                self.transport.close()

    async def main() -> None:
        import socket

        server = await asyncio.get_running_loop().create_server(Http, "127.0.0.1", 0)
        sock = server.sockets[0]
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
        await server.serve_forever()

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())


# --------------------------------------------------------------------------------------------
# Role 2: plain Locust (its own process)


def plain(url: str, users: int, seconds: float, rate: float, out: Path) -> None:
    """Plain FastHttpUser orders: N users back to back (rate 0), or, for the latency comparison,
    orders started at evenly spaced times at `rate` per second by the simplest open-model loop
    (one greenlet per order), the same arrival pattern as the harness's uniform arrivals."""
    import gevent
    import orjson
    from locust import FastHttpUser, constant, task
    from locust.env import Environment

    times: dict[str, list[float]] = {CREATE: [], CONFIRM: []}
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    class Plain(FastHttpUser):
        host = url
        wait_time = constant(0)
        concurrency = 100

        def one_order(self) -> None:
            r = self.client.post(CREATE, data="amount=1000&currency=jpy&payment_method_types%5B0%5D=card", headers=form)
            pid = orjson.loads(r.content)["id"]
            self.client.post(f"/v1/payment_intents/{pid}/confirm", name=CONFIRM, data="payment_method=pm_card_visa", headers=form)

        @task
        def order(self) -> None:
            if rate <= 0:
                self.one_order()
                return
            start = time.time()
            for i in range(int(seconds * rate)):
                delay = start + (i + 0.5) / rate - time.time()
                if delay > 0:
                    gevent.sleep(delay)
                gevent.spawn(self.one_order)
            gevent.sleep(3600)

    env = Environment(user_classes=[Plain], host=url)
    env.events.request.add_listener(lambda name, response_time, **_: times[name].append(response_time))
    runner = env.create_local_runner()
    started, cpu0 = time.time(), time.process_time()
    runner.start(users if rate <= 0 else 1, spawn_rate=100)
    gevent.sleep(seconds)
    runner.stop()
    elapsed, cpu = time.time() - started, time.process_time() - cpu0
    requests = sum(len(v) for v in times.values())
    p50 = {k: statistics.median(v) for k, v in times.items() if v}
    out.write_text(json.dumps({"requests": requests, "elapsed_s": elapsed, "rps": requests / seconds, "p50_ms": p50,
                               "failures": env.stats.total.num_failures, "cpu_us_per_request": cpu / max(1, requests) * 1e6}))


# --------------------------------------------------------------------------------------------
# Role 3: the bench (orchestrates, never imports Locust)


def run_plain(url: str, users: int, seconds: float, rate: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plain.json"
        subprocess.run([sys.executable, __file__, "--plain", url, "--users", str(users), "--seconds", str(seconds),
                        "--plain-rate", str(rate), "--out", str(out)], check=True, timeout=seconds + 120)
        return json.loads(out.read_text())


def run_harness(url: str, table: dict, seconds: float) -> dict:
    from harness.load import start_load
    from scenarios.load import parse_load

    with tempfile.TemporaryDirectory() as tmp:
        run = start_load(parse_load(table, "(bench)"), url, Path(tmp) / "load", seed=1)
        code = run.wait(seconds + 120)
        run.stop()
        summary = json.loads((Path(tmp) / "load" / "summary.json").read_text())
        if code != 0:
            raise SystemExit(f"harness load exited with {code}: {(Path(tmp) / 'load' / 'locust.log').read_text()[-2000:]}")
    requests = summary["requests"]
    cpu = sum(w.get("cpu_s") or 0.0 for w in summary["workers"].values())
    return {"requests": requests, "rps": requests / summary["duration_s"], "failures": summary["failures"],
            "cpu_us_per_request": cpu / max(1, requests) * 1e6,
            "p50_ms": {k.split(" ", 1)[1]: v["p50_ms"] for k, v in summary["endpoints"].items()},
            "start_lag_ms": summary.get("start_lag_ms")}


def bench(args: argparse.Namespace) -> None:
    from harness.servers import ManagedProcess

    cards = {"card_success": 1.0, "refund_share": 0, "retrieve_share": 0, "list_share": 0}
    server = ManagedProcess([sys.executable, __file__, "--serve"])
    try:
        url = server.wait_url()
        print(f"minimal API at {url}; {os.cpu_count()} CPUs; {args.rounds} round(s) of {args.seconds:g} s each\n")
        closed = {"model": "closed", "shape": "soak", "duration": args.seconds, "soak": {"users": args.users},
                  "think_time": 0, "mix": cards, "drain": 2}
        rows = []
        for i in range(args.rounds):
            p = run_plain(url, args.users, args.seconds, 0.0)
            h = run_harness(url, closed, args.seconds)
            rows.append((p, h))
            print(f"round {i + 1}: plain {p['rps']:7.0f} req/s {p['cpu_us_per_request']:5.0f} us CPU/req | harness {h['rps']:7.0f} "
                  f"req/s {h['cpu_us_per_request']:5.0f} us CPU/req | ratio {h['rps'] / p['rps']:.2f} (failures {p['failures']}/{h['failures']})")
        plain_rps = statistics.median(p["rps"] for p, _ in rows)
        harness_rps = statistics.median(h["rps"] for _, h in rows)
        plain_cpu = statistics.median(p["cpu_us_per_request"] for p, _ in rows)
        harness_cpu = statistics.median(h["cpu_us_per_request"] for _, h in rows)
        print(f"\nthroughput, closed model, {args.users} users, no think time: plain {plain_rps:.0f} req/s, "
              f"harness {harness_rps:.0f} req/s, ratio {harness_rps / plain_rps:.2f} (target >= 0.8)")
        print(f"CPU per request of the load process: plain {plain_cpu:.0f} us, harness {harness_cpu:.0f} us: "
              f"a CPU-bound generator sustains {plain_cpu / harness_cpu:.2f} of plain Locust's rate\n")

        open_ = {"model": "open", "shape": "soak", "duration": args.seconds, "soak": {"rate": args.rate}, "mix": cards, "drain": 2}
        lat = []
        for i in range(args.rounds):
            p = run_plain(url, 1, args.seconds, float(args.rate))
            h = run_harness(url, open_, args.seconds)
            lat.append((p, h))
            print(f"round {i + 1}: plain {p['rps']:6.0f} req/s p50 create {p['p50_ms'][CREATE]:.3f} confirm {p['p50_ms'][CONFIRM]:.3f} ms"
                  f" | harness {h['rps']:6.0f} req/s p50 create {h['p50_ms'][CREATE]:.3f} confirm {h['p50_ms'][CONFIRM]:.3f} ms"
                  f" (start lag p50 {h['start_lag_ms']['p50_ms']} p99 {h['start_lag_ms']['p99_ms']} ms)")
        for endpoint in (CREATE, CONFIRM):
            pm = statistics.median(p["p50_ms"][endpoint] for p, _ in lat)
            hm = statistics.median(h["p50_ms"][endpoint] for _, h in lat)
            print(f"latency at {args.rate} orders/s ({2 * args.rate} req/s), p50 {endpoint}: plain {pm:.3f} ms, harness {hm:.3f} ms, "
                  f"added {hm - pm:+.3f} ms (target < 1 ms)")
        code = harness_code_time(args.orders)
        print(f"\nthe harness's own code on each request's path (Api, Order, acks, HDR recording; a stub instead of the "
              f"network, {args.orders} orders): {code:.1f} us per request")
    finally:
        server.stop()


def harness_code_time(orders: int) -> float:
    """Microseconds of harness code per request: what it adds to each request's latency when the
    generator is not saturated (the HTTP exchange itself is Locust's, in both cases)."""
    import random
    from types import SimpleNamespace

    from geventhttpclient.header import Headers

    from harness.load.api import Api
    from harness.load.order import Order
    from harness.load.recorder import Recorder
    from scenarios.load import parse_load

    config = parse_load({"shape": "soak", "duration": 1, "soak": {"rate": 1},
                         "mix": {"card_success": 1.0, "refund_share": 0, "retrieve_share": 0, "list_share": 0}}, "(bench)")
    headers = Headers()
    headers.add("Content-Type", "application/json")
    bodies = {False: b'{"id":"pi_bench","object":"payment_intent","amount":1000,"currency":"jpy","status":"requires_payment_method"}',
              True: b'{"id":"pi_bench","object":"payment_intent","amount":1000,"currency":"jpy","status":"succeeded"}'}
    recorder = Recorder("w0", time.time())

    class Stub:  # answers at once, and reports the request as Locust's session would
        def request(self, method, path, name=None, data=None, headers_=None, allow_redirects=True, **_):
            response = SimpleNamespace(status_code=200, content=bodies[path.endswith("/confirm")], headers=headers)
            recorder.request(method, name, 1.0, response, None)
            return response

    api = Api(Stub(), config.client, random.Random(1), time.sleep)
    started = time.perf_counter()
    for i in range(orders):
        Order(api, recorder, config, random.Random(i), "bench", f"a{i}").run()
        if i % 1000 == 999:
            recorder.take()
    return (time.perf_counter() - started) / (2 * orders) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rate", type=int, default=100, help="orders/s for the latency comparison (2 requests each)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--orders", type=int, default=20000, help="orders for the harness-code timing (no network)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--plain", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--plain-rate", dest="plain_rate", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
    elif args.plain:
        plain(args.plain, args.users, args.seconds, args.plain_rate, args.out)
    else:
        bench(args)


if __name__ == "__main__":
    main()
