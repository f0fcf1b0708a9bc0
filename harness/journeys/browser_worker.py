"""One journeys worker process: a browser, several contexts at once, one record line per journey.

`python -m harness.journeys.browser_worker SPEC.json` (started by the runner; SIGTERM ends it cleanly).
"""

from __future__ import annotations

import asyncio
import functools
import json
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import async_playwright

from harness.browser import launch_options
from harness.shopper.model import Shopper
from harness.shopper.person import sample_person
from harness.stripe_js import route_stripe_js_async
from scenarios.personas import Persona, load_persona

from .contexts import ContextPool, Shape
from .journey import drive
from .plan import Assignment
from .record import JourneyRecord
from .sites import site_for
from .state import JourneyContext


@functools.cache
def _persona(name: str) -> Persona:
    """A persona file is read and its distributions fitted once per process, not per journey (~60 ms)."""
    return load_persona(name)


async def run_one(pool: ContextPool, api: httpx.AsyncClient, a: Assignment, spec: dict[str, Any]) -> dict[str, Any]:
    shopper = Shopper.from_persona(_persona(a.persona), a.seed, pace=spec["pace"])
    record = JourneyRecord.start(a, shopper)
    device = shopper.person.device
    tab = await pool.take(Shape(device.viewport[0], device.viewport[1], device.is_phone,
                                "ja-JP" if shopper.person.locale.startswith("ja") else "en-US"))
    ctx = JourneyContext(page=tab.page, shopper=shopper, record=record, target=spec["target"], api=api,
                         currency=spec["currency"], amount=spec["amount"], site=site_for(spec.get("site")))
    failed = False
    try:
        await asyncio.wait_for(drive(ctx), timeout=spec["timeout_s"] if spec["pace"] == "instant" else None)
    except TimeoutError:
        record.fail(f"timeout after {spec['timeout_s']:.0f} s")
        failed = True
    except Exception as err:  # a page crash, a selector that never appeared: the journey failed, the run goes on
        record.fail(f"{type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''}")
        failed = True
    finally:
        trace = Path(spec["traces"]) / f"{a.journey_id}.zip" if failed else None
        if trace:
            trace.parent.mkdir(parents=True, exist_ok=True)
        written = await pool.give_back(tab, healthy=not failed, trace=trace)
        record.trace = f"traces/{trace.name}" if trace and written else None
    return record.finish()


def _preload(personas: set[str]) -> None:
    """Read each persona and generate one throw-away person's data, so that what is loaded once
    per process (persona files, ZIP and postal-code tables, Faker's locales) is loaded while the
    browser starts rather than in the first journeys."""
    for name in sorted(personas):
        try:
            sample_person(_persona(name), "preload").data  # noqa: B018 (generating it is the point)
        except Exception:  # the journeys meet the same problem and record it, each as failed
            continue


async def main(spec: dict[str, Any]) -> int:
    assignments = [Assignment(**a) for a in spec["assignments"]]
    preloading = asyncio.create_task(asyncio.to_thread(_preload, {a.persona for a in assignments}))
    out = open(spec["out"], "a", encoding="utf-8")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sem = asyncio.Semaphore(spec["concurrency"])
    crashed = 0
    api = httpx.AsyncClient(base_url=spec["target"], headers={"Authorization": f"Bearer {spec['api_key']}"}, timeout=30)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())
        site = spec.get("site") or {}
        prepare = None
        if site.get("stripe_js"):
            # The user's pages load Stripe.js from Stripe: this browser gets the gateway's instead.
            prepare = functools.partial(route_stripe_js_async, gateway_url=spec["target"])
        pool = ContextPool(browser, keep=spec["concurrency"], prepare=prepare)
        await preloading

        async def one(a: Assignment) -> None:
            async with sem:
                if stop.is_set():
                    return
                nonlocal crashed
                try:
                    row = await run_one(pool, api, a, spec)
                except Exception as err:  # a bug in the harness, not the shopper: recorded as a failed journey
                    traceback.print_exc()
                    crashed += 1
                    row = {**a.as_dict(), "outcome": "failed", "reason": "technical failure",
                           "error": f"harness error: {type(err).__name__}: {err}"[:500], "human_ms": 0, "system_ms": 0,
                           "fields": {}, "declines": []}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()

        tasks = [asyncio.create_task(one(a)) for a in assignments]
        waiter = asyncio.create_task(stop.wait())
        everyone: asyncio.Future[Any] = asyncio.gather(*tasks)
        await asyncio.wait([everyone, waiter], return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        waiter.cancel()
        await pool.close()
        await browser.close()
    await api.aclose()
    out.close()
    return 1 if crashed else 0


if __name__ == "__main__":
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    sys.exit(asyncio.run(main(spec)))
