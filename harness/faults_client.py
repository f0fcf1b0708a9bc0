"""Change the mock gateway's faults while a run is under way, over its admin endpoint.

The harness never imports the gateway: it sends profiles (scenarios/faults.py tables) to
`/_harness/faults` with the admin token the gateway was started with. Standard library only, so
it works the same in the run's process and in the gevent-patched load subprocess.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scenarios.faults import FaultChange, FaultPlan, FaultProfile

ADMIN_PATH = "/_harness/faults"


class FaultsError(RuntimeError):
    """The gateway refused or did not answer a fault change."""


class FaultsClient:
    def __init__(self, gateway_url: str, admin_token: str, timeout: float = 5.0) -> None:
        self.url = gateway_url.rstrip("/") + ADMIN_PATH
        self.token = admin_token
        self.timeout = timeout

    def _call(self, method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            try:
                message = json.loads(err.read()).get("error", {}).get("message")
            except ValueError:
                message = None
            raise FaultsError(f"{method} {self.url}: HTTP {err.code}: {message or err.reason}") from None
        except (urllib.error.URLError, OSError) as err:
            raise FaultsError(f"{method} {self.url}: {err}") from None

    def current(self) -> dict[str, Any]:
        return self._call("GET")

    def apply(self, profile: FaultProfile | None) -> dict[str, Any]:
        """Apply a profile (its table travels; the gateway validates it again), or clear with None."""
        if profile is None:
            return self.clear()
        return self._call("PUT", {"profile": dict(profile.table), "name": profile.name})

    def clear(self) -> dict[str, Any]:
        return self._call("DELETE")


def timeline_of(plan: FaultPlan | Iterable[FaultChange] | None) -> list[FaultChange]:
    if plan is None:
        return []
    return list(plan.timeline if isinstance(plan, FaultPlan) else plan)


def apply_timeline(plan: FaultPlan | Iterable[FaultChange], gateway_url: str, admin_token: str, t0: float,
                   stop_event: threading.Event, log_path: Path) -> int:
    """Apply each change at t0 + at_s (blocking; run it in a thread), logging to faults.jsonl.

    Returns the number of changes applied. Stops early when `stop_event` is set. A change the
    gateway refuses is logged with its error and the timeline goes on.
    """
    client = FaultsClient(gateway_url, admin_token)
    applied = 0
    with open(log_path, "a", encoding="utf-8") as log:
        for change in timeline_of(plan):
            delay = t0 + change.at_s - time.time()
            if delay > 0 and stop_event.wait(delay):
                break
            if stop_event.is_set():
                break
            line: dict[str, Any] = {"t": round(time.time() - t0, 3), "at_s": change.at_s,
                                    "profile": change.profile.name if change.profile else None}
            try:
                state = client.apply(change.profile)
                line.update(applied=True, version=state.get("version"), applied_at=state.get("applied_at"))
                applied += 1
            except FaultsError as err:
                line.update(applied=False, error=str(err))
            log.write(json.dumps(line) + "\n")
            log.flush()
    return applied
