"""One journeys worker process: a browser, several contexts at once, one record line per journey.

`python -m harness.journeys.worker SPEC.json` (started by the runner; SIGTERM ends it cleanly).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright

from harness.browser import launch_options
from harness.shopper.model import Shopper
from scenarios.personas import load_persona

from .driver import JourneyContext, drive
from .plan import Assignment
from .record import JourneyRecord


async def run_one(browser: Browser, a: Assignment, spec: dict[str, Any]) -> dict[str, Any]:
    persona = load_persona(a.persona)
    shopper = Shopper.from_persona(persona, a.seed, pace=spec["pace"])
    record = JourneyRecord.start(a, shopper)
    device = shopper.person.device
    context = await browser.new_context(
        viewport={"width": device.viewport[0], "height": device.viewport[1]},
        is_mobile=device.is_phone,
        has_touch=device.is_phone,
        locale="ja-JP" if shopper.person.locale.startswith("ja") else "en-US",
    )
    context.set_default_timeout(10_000)
    await context.tracing.start(snapshots=False, screenshots=False)
    page = await context.new_page()
    ctx = JourneyContext(page=page, shopper=shopper, record=record, target=spec["target"], api_key=spec["api_key"],
                         currency=spec["currency"], amount=spec["amount"])
    keep_trace = False
    try:
        await asyncio.wait_for(drive(ctx), timeout=spec["timeout_s"] if spec["pace"] == "instant" else None)
    except asyncio.TimeoutError:
        record.fail(f"timeout after {spec['timeout_s']:.0f} s")
        keep_trace = True
    except Exception as err:  # a page crash, a selector that never appeared: the journey failed, the run goes on
        record.fail(f"{type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ''}")
        keep_trace = True
    finally:
        trace_path = None
        if keep_trace:
            trace_dir = Path(spec["traces"])
            trace_dir.mkdir(parents=True, exist_ok=True)
            trace_path = trace_dir / f"{a.journey_id}.zip"
        try:
            await context.tracing.stop(path=str(trace_path) if trace_path else None)
        except Exception:
            trace_path = None
        record.trace = f"traces/{trace_path.name}" if trace_path else None
        await context.close()
    return record.finish()


async def main(spec: dict[str, Any]) -> int:
    assignments = [Assignment(**a) for a in spec["assignments"]]
    out = open(spec["out"], "a", encoding="utf-8")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sem = asyncio.Semaphore(spec["concurrency"])
    crashed = 0
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options())

        async def one(a: Assignment) -> None:
            async with sem:
                if stop.is_set():
                    return
                nonlocal crashed
                try:
                    row = await run_one(browser, a, spec)
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
        await asyncio.wait([asyncio.gather(*tasks), waiter], return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        waiter.cancel()
        await browser.close()
    out.close()
    return 1 if crashed else 0


if __name__ == "__main__":
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    sys.exit(asyncio.run(main(spec)))
