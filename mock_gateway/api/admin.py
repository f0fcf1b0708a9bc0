"""`/_harness/faults`: the harness changes the gateway's faults while a run is under way.

    GET     the active profile and when it was applied
    PUT     {"profile": "slow-confirm"}            a shipped profile (scenarios/faults/) by name
            {"profile": {"rules": [...]}, "name": "p99-triples"}   a profile table, as in TOML
    DELETE  no faults from now on

Refused (401) without `Authorization: Bearer <admin token>` (the token is printed when the gateway
starts, or given with --admin-token), and refused (403) from any address but loopback unless the
gateway was started with --admin-remote. Every /_harness/ endpoint (ledger, outbox, webhook
attempts) is guarded the same way (`refusal`). Bad profiles get Stripe's error envelope naming the key.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scenarios.errors import ScenarioError
from scenarios.faults import load_profile, parse_profile

from ..faults import FaultControl, control_from_env

PATH = "/_harness/faults"


def install(app: Starlette) -> FaultControl:
    """Add the admin route and the gateway's FaultControl (configured from server.py's environment)."""
    control = control_from_env(app.state.gateway)
    app.state.fault_control = control
    app.router.routes.append(Route(PATH, faults_endpoint, methods=["GET", "PUT", "POST", "DELETE"]))
    return control


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _error(status: int, message: str, param: str | None = None) -> Response:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if param:
        error["param"] = param
    return _json(status, {"error": error})


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(request: Request, control: FaultControl | None = None) -> Response | None:
    """Why an admin request (any /_harness/ endpoint) is refused, or None: it needs the admin token, and
    comes from loopback unless --admin-remote. Loopback alone is not enough (any local process could read
    customers' names and addresses from the ledger)."""
    control = control or request.app.state.fault_control
    if not control.admin_remote and not _loopback(request.client.host if request.client else None):
        return _error(403, "The admin endpoints (/_harness/) only answer on loopback (start the gateway with --admin-remote to allow other hosts).")
    if not control.admin_token:
        return _error(403, "The admin endpoints (/_harness/) are disabled: start the gateway with --admin-token TOKEN.")
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), control.admin_token.encode()):
        return _error(401, "Give the admin token printed when the gateway started: Authorization: Bearer <admin token>.")
    return None


async def faults_endpoint(request: Request) -> Response:
    control: FaultControl = request.app.state.fault_control
    refused = refusal(request, control)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _json(200, control.state)
    if request.method == "DELETE":
        return _json(200, control.set(None))
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as err:
        return _error(400, f"The body must be JSON such as {{\"profile\": \"slow-confirm\"}} ({err}).")
    if not isinstance(body, dict) or "profile" not in body:
        return _error(400, 'The body must be a JSON object with "profile": a profile name or a profile table.', "profile")
    given, name = body["profile"], body.get("name")
    try:
        if given is None:
            profile = None
        elif isinstance(given, str):
            if "/" in given or "\\" in given or given.endswith(".toml"):
                return _error(400, "Give a shipped profile by name, or the profile table itself (paths are not read over HTTP).", "profile")
            profile = load_profile(given)
        else:
            profile = parse_profile(given, "(admin request)", name=str(name or "inline"), path="profile")
    except ScenarioError as err:
        return _error(400, str(err), err.key if err.key and not err.key.startswith("(") else "profile")
    return _json(200, control.set(profile))
