"""Journeys per minute at pace "instant" on this machine, against plain scripted purchases.

Both run against the same gateway, with the same browser, the same variant and concurrency, in
the same run: the modelled shopper (harness.journeys) and a plain Playwright script that fills
each field by label with `fill()` and pays, with the same browser context handling (contexts kept
between purchases, cleaned, cache off: harness/journeys/contexts.py). Prints journeys/min for each and the model's added
time per purchase. The scripted purchases run in one process with the same number of contexts
in total, so compare at --processes 1 for like with like (on 2 cores one browser with 6 contexts
was the fastest setting measured).

Usage: python bench/journeys.py [--count 48] [--concurrency 6] [--processes 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import async_playwright  # noqa: E402

from harness.browser import launch_options  # noqa: E402
from harness.journeys.contexts import ContextPool, Shape  # noqa: E402
from harness.journeys.part import JourneyRun  # noqa: E402
from harness.journeys.plan import assign  # noqa: E402
from harness.servers import GatewayProcess  # noqa: E402
from harness.stripe_api import StripeApi  # noqa: E402

FORM = {  # label -> value: a shopper with nothing going wrong, as a plain test script fills it
    "Email address": "bench@example.com", "Full name": "Alex Bench", "Postal code": "94103",
    "City": "San Francisco", "Address line 1": "1 Market St", "Card number": "4242 4242 4242 4242",
    "Expiry date": "12 / 34", "Security code": "123", "Name on card": "ALEX BENCH",
}


async def scripted(target: str, variant: str, count: int, concurrency: int) -> float:
    started = time.perf_counter()  # from nothing, as the journeys are timed: browser start included
    api = StripeApi(target)
    sem = asyncio.Semaphore(concurrency)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        pool = ContextPool(browser, keep=concurrency)  # the same context handling as the journeys
        shape = Shape(1280, 800, False, "en-US")

        async def one(i: int) -> None:
            async with sem:
                session = api.post("/v1/checkout/sessions", {
                    "mode": "payment", "currency": "usd", "variant": variant, "locale": "en",
                    "line_items": [{"price_data": {"currency": "usd", "unit_amount": 4980, "product_data": {"name": "bench"}}, "quantity": 1}],
                    "success_url": f"{target}/c/confirmation/{{CHECKOUT_SESSION_ID}}", "cancel_url": f"{target}/c"}).body
                tab = await pool.take(shape)
                page = tab.page
                await page.goto(session["url"])
                for label, value in FORM.items():
                    await page.get_by_label(label, exact=True).fill(value)
                await page.get_by_label("State or prefecture", exact=True).select_option("CA")
                await page.get_by_role("button", name="Pay now").click()
                await page.wait_for_url(f"{target}/c/confirmation/**")
                await pool.give_back(tab, healthy=True)

        await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = time.perf_counter() - started
        await pool.close()
        await browser.close()
    api.close()
    return elapsed


def modelled(target: str, variant: str, count: int, concurrency: int, processes: int) -> tuple[float, list[dict]]:
    people = assign([variant], [("desktop-typical", 1.0)], count, seed=42)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = JourneyRun(people, target, Path(tmp), processes=processes, concurrency=concurrency, pace="instant",
                         timeout_s=180, api_key="sk_test_bench", currency="usd", amount=4980)
        code = run.wait()
        elapsed = time.perf_counter() - started
        records = [json.loads(line) for line in (Path(tmp) / "journeys.jsonl").read_text().splitlines()]
    if code != 0:
        print(f"warning: journeys exited {code}", file=sys.stderr)
    return elapsed, records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--concurrency", type=int, default=6, help="browser contexts at once per process")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--variant", default="inline-best")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, GatewayProcess(Path(tmp) / "gw.sqlite3") as gateway:
        load_before = os.getloadavg()[0]
        model_s, records = modelled(gateway.url, args.variant, args.count, args.concurrency, args.processes)
        script_s = asyncio.run(scripted(gateway.url, args.variant, args.count, args.concurrency * args.processes))
    outcomes = {o: sum(1 for r in records if r["outcome"] == o) for o in ("success", "abandoned", "error", "failed")}
    keys = sum(sum(f["keystrokes"] for f in r["fields"].values()) for r in records) / max(1, len(records))
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.2f} before the run")
    print(f"modelled journeys : {args.count} in {model_s:6.1f} s = {60 * args.count / model_s:6.1f} journeys/min "
          f"({args.processes} processes x {args.concurrency} contexts; outcomes {outcomes}; {keys:.0f} keys per journey)")
    print(f"scripted purchases: {args.count} in {script_s:6.1f} s = {60 * args.count / script_s:6.1f} purchases/min "
          f"(fill() by label, same concurrency in one process)")
    print(f"model time over scripted: {100 * (model_s / script_s - 1):+.0f}% per purchase (target: under +25%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
