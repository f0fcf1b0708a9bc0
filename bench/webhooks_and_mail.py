"""Webhook and receipt latency: how late the merchant hears of a payment, by webhook and by mail.

Starts a mail sink and a webhook receiver as their own processes (`checkout-harness mail-sink`,
`checkout-harness webhook-receiver`, so that they do not share this script's interpreter), and
the gateway (--smtp, its own SQLite file, free loopback ports); registers an endpoint for every
event, then pays N card PaymentIntents with receipt_email (create+confirm in one call) from C
client threads, at a paced total rate (--rate, payments/s) or as fast as they go (--rate 0). It
waits until every event was delivered and every receipt arrived, and prints:

- webhook latency: event emitted in the gateway -> POST received by the endpoint (p50/p95/max),
  for all events and for payment_intent.succeeded alone, and failed signatures, duplicates,
  deliveries by state;
- receipt latency: payment succeeded -> receipt in the sink (p50/p95/max);
- the payments' own request latency and rate, and the machine's load, for scale.

    python bench/webhooks_and_mail.py                          # 300 payments at 20/s, 2 clients
    python bench/webhooks_and_mail.py --rate 0 --count 600     # a burst: how far the outboxes fall behind
    python bench/webhooks_and_mail.py --workers 2 --json runs/webhooks.json

Figures are printed, never asserted: this is not a test. The machine's cores are shared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from harness.mail_sink import read_index  # noqa: E402
from harness.percentiles import summary_ms  # noqa: E402
from harness.runfiles import read_jsonl  # noqa: E402
from harness.servers import GatewayProcess  # noqa: E402
from harness.stripe_api import make_client  # noqa: E402

KEY = "sk_test_bench"
CLI = str(Path(sys.executable).parent / "checkout-harness")


def start(argv: list[str]) -> tuple[subprocess.Popen, str]:
    """A sink subcommand, and the address from its first line ('... listening on ADDRESS ...')."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"{' '.join(argv)} did not start: {line}")
    return proc, line.split("listening on ", 1)[1].split()[0]


def pay(url: str, count: int, interval: float, latencies: list[float], lock: threading.Lock) -> None:
    with make_client(url, headers={"Authorization": f"Bearer {KEY}"}) as client:
        next_at = time.perf_counter()
        for _ in range(count):
            if interval:
                time.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            started = time.perf_counter()
            response = client.post("/v1/payment_intents", data={
                "amount": "1980", "currency": "jpy", "payment_method": "pm_card_visa", "confirm": "true",
                "receipt_email": "bench@example.jp", "metadata[channel]": "web"})
            response.raise_for_status()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)


def wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="payments (default %(default)s)")
    parser.add_argument("--rate", type=float, default=20.0, help="payments per second in all, 0 for no pacing (default %(default)s)")
    parser.add_argument("--clients", type=int, default=2, help="client threads (default %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="gateway processes (default %(default)s)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.count < 1 or args.clients < 1 or args.workers < 1 or args.rate < 0:
        parser.error("--count, --clients and --workers must be at least 1, --rate at least 0")

    work = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    sink, smtp = start([CLI, "mail-sink", "--dir", str(work / "mail"), "--port", "0"])
    receiver, hook_url = start([CLI, "webhook-receiver", "--out", str(work / "webhooks.jsonl")])
    try:
        with GatewayProcess(work / "gateway.sqlite3", workers=args.workers,
                            extra_args=["--smtp", smtp.removeprefix("smtp://"), "--webhook-retry-schedule", "1,2,4"]) as gateway:
            endpoint = httpx.post(gateway.url + "/v1/webhook_endpoints", auth=(KEY, ""), trust_env=False,
                                  data={"url": hook_url, "enabled_events[]": "*"}).json()
            receiver.terminate()  # restart it with the endpoint's secret, on the same port
            receiver.wait(10)
            port = hook_url.rsplit(":", 1)[1].split("/")[0]
            receiver, _ = start([CLI, "webhook-receiver", "--out", str(work / "webhooks.jsonl"), "--port", port,
                                 "--secret", endpoint["secret"]])
            admin = {"Authorization": f"Bearer {gateway.admin_token}"}
            latencies: list[float] = []
            lock = threading.Lock()
            per_client = [args.count // args.clients + (i < args.count % args.clients) for i in range(args.clients)]
            interval = args.clients / args.rate if args.rate else 0.0
            threads = [threading.Thread(target=pay, args=(gateway.url, n, interval, latencies, lock)) for n in per_client]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            paid_in = time.perf_counter() - started
            expected = len(httpx.get(gateway.url + "/_harness/ledger", params={"type": "event"}, trust_env=False, headers=admin).text.splitlines())
            wait_until(lambda: len([r for r in read_jsonl(work / "webhooks.jsonl") if r["status"] == 200]) >= expected, 300)
            wait_until(lambda: len(read_index(work / "mail")) >= args.count, 300)
            outbox = httpx.get(gateway.url + "/_harness/outbox", trust_env=False, headers=admin).json()
    finally:
        for proc in (sink, receiver):
            proc.terminate()
            proc.wait(10)
    hooks = list(read_jsonl(work / "webhooks.jsonl"))
    accepted = [r for r in hooks if r["status"] == 200]
    receipts = [m for m in read_index(work / "mail") if m["kind"] == "receipt"]
    figures = {
        "payments": args.count, "target_rate_per_s": args.rate or None, "clients": args.clients, "gateway_workers": args.workers,
        "payments_per_s": round(args.count / paid_in, 1),
        "payment_request_ms": summary_ms(latencies),
        "webhooks": {
            "expected_events": expected, "received": len(hooks), "accepted": len(accepted),
            "failed_signature": sum(not r["verified"] for r in hooks),
            "duplicates": len(accepted) - len({r["event_id"] for r in accepted}),
            "latency_ms": summary_ms(r["latency_ms"] for r in accepted),
            "payment_intent_succeeded_latency_ms": summary_ms(r["latency_ms"] for r in accepted if r["type"] == "payment_intent.succeeded"),
        },
        "receipts": {"arrived": len(receipts), "latency_ms": summary_ms(m["latency_ms"] for m in receipts)},
        "outbox": outbox,
        "cpu_count": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
