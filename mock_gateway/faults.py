"""Faults the gateway injects into its own answers: latency, errors, resets, hangs, slow bodies.

The profile (scenarios/faults.py) says what; this module does it to live requests. Gateway.handle
checks one attribute (`gateway.faults`, None when no profile is set) and otherwise hands the
request here, so a gateway without faults pays nothing.

Only the API (the routes Gateway.handle serves) is faulted; the hosted pages (3-D Secure, checkout)
and the admin endpoint are not. Every faulted answer carries `Harness-Injected-Delay-Ms`: the delay added on purpose, so a report
can tell the gateway's own time from the injected time.

With several server processes (`--workers N`), the active profile lives in a small JSON state
file that every process watches; the admin endpoint (api/admin.py) writes it.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import random
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from scenarios.faults import FaultError, FaultProfile, FaultRule, load_profile, parse_profile

DELAY_HEADER = "Harness-Injected-Delay-Ms"
FAULT_HEADER = "Harness-Injected-Fault"
Respond = Callable[[Request, Any], Awaitable[Response]]


class FaultInjector:
    """One applied profile: decides per request (seeded) and acts."""

    def __init__(self, profile: FaultProfile, applied_at: float, seed: int | None = None) -> None:
        self.profile = profile
        self.applied_at = applied_at
        self.rng = random.Random(profile.seed if seed is None else seed)
        self._rules: dict[tuple[str, str], tuple[FaultRule, ...]] = {}

    def rules_for(self, method: str, path: str) -> tuple[FaultRule, ...]:
        key = (method, path)
        rules = self._rules.get(key)
        if rules is None:
            endpoint = f"{method} {path}"
            rules = tuple(r for r in self.profile.rules if any(fnmatch.fnmatchcase(endpoint, p) for p in r.endpoints))
            self._rules[key] = rules
        return rules

    def decide(self, method: str, path: str, now: float) -> tuple[float, FaultError | None]:
        """The delay (seconds) and the error, if any, for one request to `method path` at `now`."""
        delay, error = 0.0, None
        since = now - self.applied_at
        for rule in self.rules_for(method, path):
            if not rule.active(since):
                continue
            if rule.share < 1.0 and self.rng.random() >= rule.share:
                continue
            if rule.latency is not None:
                delay += rule.latency.sample(self.rng)
            if rule.error is not None and error is None:
                error = rule.error
        return delay, error

    async def apply(self, request: Request, route: Any, respond: Respond) -> Response:
        delay, error = self.decide(route.method, route.path, time.time())
        if delay <= 0.0 and error is None:
            return await respond(request, route)
        if delay > 0.0:
            await asyncio.sleep(delay)
        headers = {DELAY_HEADER: f"{delay * 1000:.3f}"}
        if error is None:
            response = await respond(request, route)
            response.headers.update(headers)
            return response
        headers[FAULT_HEADER] = error.kind
        if error.when == "after":
            response = await respond(request, route)  # the work is done and committed ...
            if error.kind == "slow_body":
                return _slow(response, error.body_time_s, headers)
            return await _fail(error, headers)  # ... and the client is not told
        if error.kind == "slow_body":
            return _slow(await respond(request, route), error.body_time_s, headers)
        return await _fail(error, headers)


async def _fail(error: FaultError, headers: dict[str, str]) -> Response:
    if error.kind == "connection_reset":
        return await _reset(headers)
    if error.kind == "timeout":
        await asyncio.sleep(error.hang_s)
        return await _reset(headers)
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(max(0, round(error.retry_after_s)))
    if error.kind == "http_429":
        body = {"error": {"type": "invalid_request_error", "code": "rate_limit",
                          "message": "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests."}}
        return Response(orjson.dumps(body), 429, headers=headers, media_type="application/json")
    if error.kind == "http_503":
        body = {"error": {"type": "api_error", "message": "The payment gateway is temporarily unavailable (injected fault). Retry later."}}
        headers["Stripe-Should-Retry"] = "true"
        return Response(orjson.dumps(body), 503, headers=headers, media_type="application/json")
    body = {"error": {"type": "api_error", "message": "An unexpected error occurred (injected fault)."}}
    return Response(orjson.dumps(body), 500, headers=headers, media_type="application/json")


async def _reset(headers: dict[str, str]) -> Response:
    """Close the client's connection with a TCP RST, as a crashed proxy or load balancer does."""
    transport = _current_transport()
    if transport is None:  # not under uvicorn: the nearest thing is a failed request
        raise ConnectionResetError("injected connection reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
    await asyncio.sleep(0)  # let uvicorn see the connection is gone, so it sends nothing more
    return Response(b"", 500, headers=headers)


def _current_transport() -> Any:
    """uvicorn runs each request as `RequestResponseCycle.run_asgi`, which holds the transport
    (an asyncio or a uvloop one: both have `abort` and `get_extra_info`)."""
    task = asyncio.current_task()
    frame = getattr(task.get_coro(), "cr_frame", None) if task is not None else None
    cycle = frame.f_locals.get("self") if frame is not None else None
    transport = getattr(cycle, "transport", None)
    return transport if hasattr(transport, "abort") and hasattr(transport, "get_extra_info") else None


def _slow(response: Response, seconds: float, headers: dict[str, str]) -> Response:
    """The same answer, its body trickling in over `seconds` (headers arrive at once)."""
    body = bytes(response.body)
    pieces = max(1, min(20, len(body)))
    step = -(-len(body) // pieces) if body else 0

    async def trickle() -> Any:
        for i in range(pieces):
            await asyncio.sleep(seconds / pieces)
            yield body[i * step:(i + 1) * step]

    kept = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length",)}
    kept.update(headers)
    kept["Content-Length"] = str(len(body))
    return StreamingResponse(trickle(), response.status_code, headers=kept)


# --------------------------------------------------------------------------------------------
# The active profile of a gateway, shared by its server processes


class FaultControl:
    """Sets, clears and reports the gateway's faults; keeps server processes in step via a file."""

    def __init__(self, gateway: Any, *, state_file: Path | None = None, admin_token: str | None = None,
                 admin_remote: bool = False) -> None:
        self.gateway = gateway
        self.state_file = state_file
        self.admin_token = admin_token
        self.admin_remote = admin_remote
        self.state: dict[str, Any] = {"version": 0, "name": None, "profile": None, "applied_at": None}
        self._lock = threading.Lock()
        self._seen_mtime = 0
        if state_file is not None and state_file.exists():
            self._reload()

    def set(self, profile: FaultProfile | None, applied_at: float | None = None) -> dict[str, Any]:
        """Apply `profile` (None clears) in this process and, through the state file, in the others."""
        with self._lock:
            state = {
                "version": int(self.state.get("version", 0)) + 1,
                "name": profile.name if profile else None,
                "description": profile.description if profile else None,
                "profile": dict(profile.table) if profile else None,
                "applied_at": applied_at if applied_at is not None else time.time(),
            }
            self._install(state, profile)
            if self.state_file is not None:
                tmp = self.state_file.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(state), encoding="utf-8")
                os.replace(tmp, self.state_file)
                self._seen_mtime = self.state_file.stat().st_mtime_ns
        return state

    def _install(self, state: dict[str, Any], profile: FaultProfile | None) -> None:
        self.state = state
        if profile is None or not profile.rules:
            self.gateway.faults = None
            return
        shared = self.state_file is not None
        seed = profile.seed + (os.getpid() if shared else 0)  # several processes: each its own stream
        self.gateway.faults = FaultInjector(profile, state["applied_at"], seed)

    def _reload(self) -> None:
        try:
            mtime = self.state_file.stat().st_mtime_ns  # type: ignore[union-attr]
            if mtime == self._seen_mtime:
                return
            state = json.loads(self.state_file.read_text(encoding="utf-8"))  # type: ignore[union-attr]
        except (OSError, ValueError):
            return
        with self._lock:
            self._seen_mtime = mtime
            if state.get("version", 0) == self.state.get("version") and state.get("applied_at") == self.state.get("applied_at"):
                return
            table = state.get("profile")
            profile = parse_profile(table, "(fault state)", name=state.get("name") or "") if table else None
            self._install(state, profile)

    def watch(self, interval: float = 0.1) -> None:
        """In a daemon thread: pick up changes another server process made."""

        def loop() -> None:
            while True:
                time.sleep(interval)
                self._reload()

        threading.Thread(target=loop, name="fault-state-watch", daemon=True).start()


# Environment set by server.py for its processes.
ENV_PROFILE = "CHECKOUT_GATEWAY_FAULTS"
ENV_STATE_FILE = "CHECKOUT_GATEWAY_FAULTS_FILE"
ENV_WATCH = "CHECKOUT_GATEWAY_FAULTS_WATCH"
ENV_APPLIED_AT = "CHECKOUT_GATEWAY_FAULTS_APPLIED_AT"
ENV_ADMIN_TOKEN = "CHECKOUT_GATEWAY_ADMIN_TOKEN"
ENV_ADMIN_REMOTE = "CHECKOUT_GATEWAY_ADMIN_REMOTE"


def control_from_env(gateway: Any) -> FaultControl:
    """The FaultControl of a server process, configured by server.py through the environment."""
    state_file = os.environ.get(ENV_STATE_FILE)
    control = FaultControl(
        gateway,
        state_file=Path(state_file) if state_file else None,
        admin_token=os.environ.get(ENV_ADMIN_TOKEN) or None,
        admin_remote=os.environ.get(ENV_ADMIN_REMOTE) == "1",
    )
    if control.state.get("version", 0) == 0 and os.environ.get(ENV_PROFILE):
        applied_at = float(os.environ.get(ENV_APPLIED_AT) or time.time())
        profile = load_profile(os.environ[ENV_PROFILE])
        control._install({"version": 0, "name": profile.name, "description": profile.description,
                          "profile": dict(profile.table), "applied_at": applied_at}, profile)
    if os.environ.get(ENV_WATCH) == "1" and control.state_file is not None:
        control.watch()
    return control


def server_environment(profile: str | None, admin_token: str | None, admin_remote: bool, workers: int) -> str:
    """For server.py: validate `--faults`, set the environment its processes read, and say how to
    reach the admin endpoint (the line printed at start). Raises ValueError for a bad profile."""
    import atexit
    import secrets
    import shutil
    import tempfile

    from scenarios.errors import ScenarioError

    if profile:
        try:
            load_profile(profile)
        except ScenarioError as err:
            raise ValueError(f"--faults {profile}: {err}") from None
        os.environ[ENV_PROFILE] = str(Path(profile).resolve()) if Path(profile).is_file() else profile
        os.environ[ENV_APPLIED_AT] = repr(time.time())
    token = admin_token or secrets.token_urlsafe(18)
    os.environ[ENV_ADMIN_TOKEN] = token
    os.environ[ENV_ADMIN_REMOTE] = "1" if admin_remote else "0"
    if workers > 1:  # runtime changes must reach every process: a state file they all watch
        state_dir = tempfile.mkdtemp(prefix="mock-gateway-faults-")
        atexit.register(shutil.rmtree, state_dir, True)
        os.environ[ENV_STATE_FILE] = str(Path(state_dir) / "faults.json")
        os.environ[ENV_WATCH] = "1"
    shown = "given by --admin-token" if admin_token else token
    where = "any address" if admin_remote else "loopback only"
    active = f"; fault profile {profile!r} applied" if profile else ""
    return f"fault admin endpoint /_harness/faults ({where}), admin token: {shown}{active}"
