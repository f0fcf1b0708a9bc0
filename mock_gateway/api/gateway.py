"""The request pipeline every API call goes through.

authenticate -> parse the form -> validate against the route's spec -> (POST) in a transaction:
idempotent replay or run the domain call, record the result under the Idempotency-Key -> JSON.
Writes that arrive together share one transaction, each undone alone if it fails (group commit, see
`Gateway.commit`); their work is done outside the writer lock and only checked and written under it
(`Gateway._run_group`); every answer waits for the COMMIT that makes it durable.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..checkout import sessions
from ..core import payment_intents
from ..core.billing import invoices
from ..core.clock import StepBudget
from ..core.clock import install as install_tasks
from ..core.context import Ctx
from ..core.errors import StripeError, authentication, invalid_request
from ..core.ids import new_id
from ..core.instruments import fingerprint
from ..core.methods.base import install_hooks
from ..core.tasks import TASKS
from ..store.db import NotPrepared, Store
from . import publishable, versions
from .expand import render
from .forms import parse_form, read_body
from .params import validate
from .registry import Route
from .router import JsonAnswer

log = logging.getLogger("mock_gateway")

MAX_IDEMPOTENCY_KEY = 255
MAX_GROUP = 64  # writes per group commit
# Long work (a test clock's advance) holds the writer for a step of this much CPU time (at most STEP_WALL of
# wall time on a loaded machine): between its steps the other writes waiting go through (p99 of concurrent
# writes under 100 ms during a 10,000-task advance). Shorter steps cost more: each is a transaction.
STEP_SECONDS = 0.03
STEP_WALL = 0.05
# ... and after each step it waits this long before the next: the requests that arrived during the step
# are read and committed first, and the other worker processes get the writer lock (flock is not fair)
STEP_PAUSE = 0.001
_FORM = "application/x-www-form-urlencoded"


def authenticate(header: str | None) -> str:
    """Any `sk_test_...` key is accepted, as Bearer or as the Basic-auth user; `pk_test_...` too, for
    what a browser may do with it (publishable.py); anything else is 401."""
    if not header:
        raise authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using "
            "Bearer auth (e.g. 'Authorization: Bearer sk_test_...')."
        )
    scheme, _, value = header.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = value.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not (key.startswith("sk_test_") and len(key) > len("sk_test_")) and not publishable.is_publishable(key):
        shown = (key[:8] + "*" * 4 + key[-4:]) if len(key) > 12 else (key or "(empty)")
        raise authentication(f"Invalid API Key provided: {shown}. This gateway accepts any test secret key (sk_test_...).")
    return key


def params_fingerprint(key: bytes, raw: dict[str, Any]) -> str:
    """What the idempotency record keeps of a request's parameters: a keyed hash (the ledger's own secret)
    of them with card data tokenised first (a card number becomes its card fingerprint, a CVC is left out),
    so that neither the record nor its key can give a card number back by guessing."""
    text = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
    if b'"card"' in text:  # most requests carry no card: no walk through them
        text = orjson.dumps(_without_card_data(key, raw), option=orjson.OPT_SORT_KEYS)
    return hmac.digest(key, text, hashlib.sha256).hex()


def _without_card_data(key: bytes, node: Any, in_card: bool = False) -> Any:
    if not isinstance(node, dict):
        return [_without_card_data(key, v) for v in node] if isinstance(node, list) else node
    out: dict[str, Any] = {}
    for name, value in node.items():
        if in_card and name == "cvc":
            continue
        if in_card and name == "number" and isinstance(value, str):
            out[name] = "fingerprint:" + fingerprint(value.replace(" ", "").replace("-", ""), key)
        elif isinstance(value, (dict, list)):
            out[name] = _without_card_data(key, value, name == "card")
        else:
            out[name] = value
    return out


class Gateway:
    """The state shared by all requests in one server process."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        install_tasks(TASKS)  # the scheduled tasks this gateway runs (core/tasks.py)
        # an intent settled later completes its Checkout Session; one paid on session pays its invoice
        install_hooks(settled=[sessions.settle_async], paid_on_session=[invoices.paid_by_intent])
        self.faults: Any = None  # mock_gateway.faults.FaultInjector while a fault profile is set
        self._pending: list[tuple[Job | _Work, asyncio.Future[tuple[int, bytes, bool]]]] = []  # writes for the next group commit
        self._scheduled = False
        self._long_work = 0  # long works under way in this process (their steps are kept out of request groups)

    async def handle(self, request: Request, route: Route) -> Response:
        if self.faults is not None:  # injected latency and errors (mock_gateway/faults.py)
            return await self.faults.apply(request, route, self.respond)
        return await self.respond(request, route)

    async def respond(self, request: Request, route: Route) -> Response:
        """The pipeline proper: authenticate, parse, validate, execute, answer."""
        request_id = new_id("req", 14)
        headers = {"Request-Id": request_id, "Stripe-Version": versions.account_default()}
        # the request's headers read once (ASGI names them in lower case; the first of a repeated one counts, as
        # Starlette's Request.headers.get would give it), instead of a scan of the list for each one asked
        given = {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(request.scope["headers"])}
        try:
            version = versions.requested(given.get("stripe-version"))
            headers["Stripe-Version"] = version  # the version echoed is the version served
            header = given.get("authorization")
            api_key = authenticate(header) if header else None
            if request.method == "POST":
                content_type = given.get("content-type", _FORM).split(";")[0].strip().lower()
                body = await read_body(request)
                if body and content_type != _FORM:
                    raise invalid_request(
                        f"Invalid Content-Type {content_type!r}: expected {_FORM} (Stripe's form encoding, "
                        "e.g. amount=1000&currency=jpy)."
                    )
                raw = parse_form(body)
            else:
                raw = parse_form(request.scope.get("query_string", b""))
            if api_key is None:  # Stripe.js sends its publishable key as the `key` parameter
                api_key = publishable.key_from_params(raw)
            browser = publishable.is_publishable(api_key)
            if browser:
                publishable.admit(route, raw, request.path_params, self.store)
            key = given.get("idempotency-key") if request.method == "POST" else None
            if key is not None:
                headers["Idempotency-Key"] = key
            job = self.prepare(route, api_key, raw, request.path_params, key, request_id, _base_url(request, given))
            job.version = version
            if browser:
                job.ctx.browser_origin = publishable.web_origin(given.get("origin"))
            if route.method == "GET":
                status, payload, replayed = job.read()
                if job.ctx.browser_origin and route.path == "/v1/payment_intents/{id}" and status == 200:
                    self._allow_frame(request.path_params["id"], job.ctx)
            elif route.steps is not None:
                status, payload, replayed = await self.commit_steps(job)
            else:
                status, payload, replayed = await self.commit(job)
            if replayed:
                headers["Idempotent-Replayed"] = "true"
        except StripeError as err:
            status, payload = err.status, orjson.dumps(_envelope(err, headers["Stripe-Version"], self.store))
            headers.update(err.headers)
        except Exception:  # a bug: still Stripe's envelope, and logged to be fixed
            log.exception("internal error on %s %s", request.method, request.url.path)
            status = 500
            payload = orjson.dumps({"error": {"type": "api_error", "message": f"An internal error occurred ({request_id})."}})
        return JsonAnswer(payload, status, headers)

    def _allow_frame(self, intent_id: str, ctx: Ctx) -> None:
        """A browser page retrieved an intent that waits for 3-D Secure with its publishable key and
        client_secret: its origin may show the challenge in a frame (core.payment_intents.allow_frame)."""
        seen = self.store.get(intent_id)
        if seen is None or seen.get("status") != "requires_action" or seen.get("_frame_origin"):
            return  # Stripe.js polls this while the challenge is open: no write unless there is one to make
        with self.store.transaction():
            pi = self.store.get(intent_id)
            if pi is not None and pi.get("object") == "payment_intent" and ctx.browser_origin:
                payment_intents.allow_frame(ctx, pi, ctx.browser_origin)

    def prepare(
        self,
        route: Route,
        api_key: str,
        raw: dict[str, Any],
        path_params: dict[str, str],
        key: str | None,
        request_id: str,
        base_url: str,
    ) -> Job:
        """Everything that needs no database: validation, the request's context, the key's fingerprint."""
        job = Job(self.store, route, api_key, raw, path_params, key, "", Ctx(self.store, base_url, int(self.clock()), request_id, key))
        if route.method != "GET" and key is not None:
            if len(key) > MAX_IDEMPOTENCY_KEY:
                raise invalid_request(f"Idempotency-Key must be at most {MAX_IDEMPOTENCY_KEY} characters; found {len(key)}.")
            job.fingerprint = params_fingerprint(self.store.fingerprint_key, raw)
        return job

    def execute(
        self,
        route: Route,
        api_key: str,
        raw: dict[str, Any],
        path_params: dict[str, str],
        key: str | None,
        request_id: str,
        base_url: str,
    ) -> tuple[int, bytes, bool]:
        """One request, synchronously, in a transaction of its own (for callers outside a server)."""
        job = self.prepare(route, api_key, raw, path_params, key, request_id, base_url)
        if route.method == "GET":
            return job.read()
        with self.store.transaction(stepwise=True):
            return job.write()

    async def commit_steps(self, job: Job) -> tuple[int, bytes, bool]:
        """Long work in short steps, each in the group commit like any write: other requests' writes go in
        between, so none waits for more than a step (STEP_SECONDS). The answer comes when the work is done,
        recorded under the Idempotency-Key then; meanwhile the object shows its state (a clock: advancing)."""
        steps = job.route.steps
        self._long_work += 1
        try:
            return await self._steps(job, steps)
        finally:
            self._long_work -= 1

    async def _steps(self, job: Job, steps: Any) -> tuple[int, bytes, bool]:
        replay, state = await self.commit(_Work(job.begin))
        if replay is not None:
            return replay
        done = False
        while not done:
            await asyncio.sleep(STEP_PAUSE)
            waited = 0.0
            while waited < STEP_WALL and self.store.others_waiting():  # another process's writes first
                await asyncio.sleep(STEP_PAUSE)
                waited += STEP_PAUSE
            done = await self.commit(_Work(lambda: steps.step(job.ctx, state, StepBudget(STEP_SECONDS, STEP_WALL))))
        return await self.commit(_Work(lambda: job.finish(state)))

    async def commit(self, job: Job | _Work) -> Any:
        """Run a write in the next group commit and answer once that commit is durable.

        Requests that arrive together (in the same turn of the event loop) share one transaction:
        each request in turn (prepared outside the writer lock, `_run_group`), one COMMIT for all; none is
        answered before the COMMIT. Each request sees the writes of those before it, as if run alone in turn, and one
        that fails undoes only its own writes (Store.batch). One commit writes the pages that several requests touched once
        (a request's COMMIT was a third of its time) and takes the writer lock once per group.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, bytes, bool]] = loop.create_future()
        self._pending.append((job, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._commit_group)
        return await future

    def _commit_group(self) -> None:
        group, self._pending = self._pending[:MAX_GROUP], self._pending[MAX_GROUP:]
        if self._long_work and len(group) > 1 and any(isinstance(job, _Work) for job, _ in group):
            # a step of long work commits alone, after the requests that came with it: they do not wait for it
            steps = [entry for entry in group if isinstance(entry[0], _Work)]
            group = [entry for entry in group if not isinstance(entry[0], _Work)] or steps[:1]
            self._pending = [entry for entry in steps if entry not in group] + self._pending
        if self._pending:
            asyncio.get_running_loop().call_soon(self._commit_group)
        else:
            self._scheduled = False
        group = [(job, future) for job, future in group if not future.done()]  # cancelled: never run, never told
        try:
            outcomes = self._run_group([job for job, _ in group])
        except Exception as err:  # BEGIN or COMMIT failed: nothing of the group was stored
            outcomes = [(False, err)] * len(group)
        for (_, future), (ok, value) in zip(group, outcomes):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _run_group(self, jobs: list[Job | _Work]) -> list[tuple[bool, Any]]:
        """The group's requests prepared outside the writer lock (Store.prepared: built from one snapshot, their writes
        recorded), then under the lock their writes checked and run, and the requests that could not be prepared run
        there after them (Store.batch: a request that fails undoes only its own writes). Requests of one group arrived
        together, so running those after the prepared ones is an order they could have had. If what the prepared ones
        read changed before the lock was taken, the whole group runs under the lock as if nothing was prepared."""
        store = self.store
        outcomes: list[tuple[bool, Any]] = [(False, None)] * len(jobs)
        rest = [i for i, job in enumerate(jobs) if isinstance(job, _Work)]  # steps of long work: under the lock
        prepared = None
        if len(rest) < len(jobs):
            with store.prepared() as prepared:
                for i, job in enumerate(jobs):
                    if isinstance(job, _Work):
                        continue
                    mark = prepared.mark()
                    try:
                        with store.piece("request"):
                            outcomes[i] = (True, job.write())
                    except NotPrepared:
                        prepared.rewind(mark)
                        rest.append(i)
                    except Exception as err:
                        outcomes[i] = (False, err)
        rest.sort()
        for i in rest:
            jobs[i].reset()
        # nothing prepared to write (replays and refusals are answered from the snapshot, without the lock): the rest,
        # if any, runs as it always did
        if prepared is None or not prepared.writes:
            for i, outcome in zip(rest, self._run_locked([jobs[i] for i in rest])):
                outcomes[i] = outcome
            return outcomes
        with store.transaction():
            if not store.apply(prepared):
                rest = list(range(len(jobs)))
                for job in jobs:
                    job.reset()
            if rest:
                for i, outcome in zip(rest, self._run_pieces([jobs[i] for i in rest])):
                    outcomes[i] = outcome
        return outcomes

    def _run_locked(self, jobs: list[Job | _Work]) -> list[tuple[bool, Any]]:
        """Requests in a write transaction of their own. A request alone may commit as it goes (a clock advance:
        Store.commit_so_far), and if it fails the transaction is rolled back: its error is the answer."""
        if len(jobs) == 1:
            try:
                with self.store.transaction(stepwise=True):
                    return [(True, jobs[0].write())]
            except Exception as err:
                return [(False, err)]
        return self._run_pieces(jobs)

    def _run_pieces(self, jobs: list[Job | _Work]) -> list[tuple[bool, Any]]:
        """Requests each as if alone (Store.batch: a request that fails undoes only its own writes), in the open
        transaction or in one of their own."""
        store = self.store

        def run() -> list[tuple[bool, Any]]:
            outcomes: list[tuple[bool, Any]] = []
            for job in jobs:
                try:
                    with store.piece("request"):
                        outcomes.append((True, job.write()))
                except Exception as err:
                    outcomes.append((False, err))
            return outcomes

        def reset() -> None:
            for job in jobs:
                job.reset()

        return store.batch(run, before_rerun=reset) if jobs else []


class _Work:
    """A piece of work for the group commit that is not a request of its own (a step of long work)."""

    __slots__ = ("write",)

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.write = fn

    def reset(self) -> None:
        pass


class Job:
    """One validated request, ready to read or to write inside an open transaction."""

    __slots__ = ("store", "route", "api_key", "raw", "params", "expand", "path_params", "key", "fingerprint", "ctx",
                 "version")

    def __init__(self, store: Store, route: Route, api_key: str, raw: dict[str, Any], path_params: dict[str, str],
                 key: str | None, fingerprint: str, ctx: Ctx) -> None:
        self.store, self.route, self.api_key, self.raw = store, route, api_key, raw
        self.path_params, self.key, self.fingerprint, self.ctx = path_params, key, fingerprint, ctx
        self.version = versions.account_default()  # the API version answered (the request's Stripe-Version)
        self.reset()

    def reset(self) -> None:
        """Fresh parameters (handlers may change theirs) before running again."""
        self.params = validate(self.route.spec, self.raw)
        self.expand = self.params.pop("expand", [])

    def read(self) -> tuple[int, bytes, bool]:
        obj = self.route.handler(self.ctx, self.params, **self.path_params)
        return 200, orjson.dumps(render(self.store, obj, self.expand, self.version)), False

    def _replay(self) -> tuple[int, bytes, bool] | None:
        """The answer recorded under this request's Idempotency-Key, if any (an idempotency_error if it was
        recorded for other parameters)."""
        route, key = self.route, self.key
        if key is None:
            return None
        previous = self.store.idempotent_result(self.api_key, key)
        if previous is None:
            return None
        method, path, old_fingerprint, status, body = previous
        if (method, path, old_fingerprint) != (route.method, _path(route, self.path_params), self.fingerprint):
            raise StripeError(
                400,
                "idempotency_error",
                f"Keys for idempotent requests can only be used with the same parameters they were first "
                f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
            )
        return status, body, True

    def begin(self) -> tuple[tuple[int, bytes, bool] | None, Any]:
        """Long work's first step: (the recorded answer, None) on a replay, else (None, the work's state)."""
        replay = self._replay()
        if replay is not None:
            return replay, None
        return None, self.route.steps.begin(self.ctx, self.params, **self.path_params)

    def finish(self, state: Any) -> tuple[int, bytes, bool]:
        """Long work's last step: the object answered, recorded under the key."""
        obj = self.route.steps.finish(self.ctx, state)
        status, body = 200, orjson.dumps(render(self.store, obj, self.expand, self.version))
        if self.key is not None:
            self.store.save_idempotent_result(self.api_key, self.key, self.route.method, _path(self.route, self.path_params),
                                              self.fingerprint, status, body, self.ctx.now)
        return status, body, False

    def write(self) -> tuple[int, bytes, bool]:
        """Idempotent replay, or the domain call and its result recorded under the key."""
        route, key = self.route, self.key
        replay = self._replay() if key is not None else None
        if replay is not None:
            return replay
        try:
            obj = route.handler(self.ctx, self.params, **self.path_params)
            status, body = 200, orjson.dumps(render(self.store, obj, self.expand, self.version))
        except StripeError as err:
            if not err.commit:
                raise
            status, body = err.status, orjson.dumps(_envelope(err, self.version, self.store))
        if key is not None:
            self.store.save_idempotent_result(
                self.api_key, key, route.method, _path(route, self.path_params), self.fingerprint, status, body, self.ctx.now
            )
        return status, body, False

def _envelope(err: StripeError, version: str, store: Store) -> dict[str, Any]:
    """Stripe's error envelope; an object it carries (a declined PaymentIntent) in the version served."""
    envelope = err.envelope()
    body = envelope["error"]
    for key in ("payment_intent", "setup_intent", "payment_method"):
        if isinstance(body.get(key), dict) and version != versions.LATEST:
            body[key] = versions.shape(dict(body[key]), version, store, expanded=False)
    return envelope


def _path(route: Route, path_params: dict[str, str]) -> str:
    return route.path.format(**path_params)


def _base_url(request: Request, given: dict[str, str]) -> str:
    host = given.get("host")
    if host:
        return f"{request.scope.get('scheme', 'http')}://{host}"  # not request.url: it parses the whole URL
    return str(request.base_url).rstrip("/")
