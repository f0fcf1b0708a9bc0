"""Journeys over Locust's master/worker channel: the master deals out shares, the workers run them
in their own processes and send the records back. Imported by load/process.py and load/locust_worker.py only
(gevent processes); Playwright never enters them: a worker starts `python -m
harness.journeys.browser_worker` processes through journeys.runner.JourneyRun, as a local run does.

master -> worker  SHARE    {source, run_id, assignments, settings, run_dir, master_host}
worker -> master  RECORDS  {source, host, records}  new records (failure traces as bytes), or none:
                           at least once a second, which is how the master knows the worker lives
worker -> master  DONE     {source, host, exit, produced, stopped}  every process of the share ended;
                           `produced` every journey it has a record of. Sent again every 2 s until
                           the master answers ACK
master -> worker  ACK      {complete, resend}  resend: records the master lacks (sent again);
                           complete: nothing more is wanted
master -> worker  STOP     stop the share's processes (the run was interrupted, or the worker was
                           given up for lost), send what finished, then DONE

A journey the worker never produced (its processes crashed) is recorded as failed by the master;
so are the unfinished journeys of a worker that goes silent for LOST_AFTER_S (shares.ShareBook).
When the run is interrupted, journeys not finished are left out, as in a local run.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import gevent
from gevent.event import Event

from ..exit_codes import INTERRUPTED
from ..load import channel
from .locust_shares import LOST_AFTER_S, TRACE_MAX_BYTES, ShareBook, processes_per_worker, split_by_person
from .plan import Assignment

SHARE = "harness_journeys_share"
RECORDS = "harness_journeys_records"
DONE = "harness_journeys_done"
ACK = "harness_journeys_ack"
STOP = "harness_journeys_stop"

TICK_S = 0.5
HEARTBEAT_S = 1.0
DONE_EVERY_S = 2.0
CHUNK_BYTES = 4 * 1024 * 1024  # one RECORDS message carries at most about this much
STOP_GRACE_S = 15.0  # after STOP, how long the master waits for a worker's DONE
# Tests: a worker with this set sends every RECORDS message twice (the master must keep one copy).
ENV_SEND_TWICE = "CHECKOUT_HARNESS_JOURNEYS_SEND_TWICE"

log = logging.getLogger("harness.journeys")


def host_of(client_id: str) -> str:
    """Locust names a worker `<hostname>_<hex>`."""
    return client_id.rsplit("_", 1)[0]


# -- the master ------------------------------------------------------------------------------------

_master: JourneysMaster | None = None


class JourneysMaster:
    """Deals the journeys to the connected workers and keeps the book of what comes back."""

    def __init__(self, spec: dict[str, Any], runner: Any, client_ids: list[str], run_id: str) -> None:
        self.spec = spec
        self.runner = runner
        self.clients = {f"w{i}": cid for i, cid in enumerate(client_ids)}
        self.run_id = run_id
        self.run_dir = Path(spec["run_dir"])
        self.lost_after_s = float(spec.get("lost_after_s", LOST_AFTER_S))
        assignments = [Assignment(**a) for a in spec["assignments"]]
        sources = list(self.clients)
        shares = dict(zip(sources, split_by_person(assignments, len(sources))))
        self.book = ShareBook(assignments, self.run_dir, shares, {s: host_of(c) for s, c in self.clients.items()})
        self.shares = shares
        self.interrupted = False
        self._watcher: Any = None

    def start(self) -> None:
        global _master
        _master = self
        settings = dict(self.spec["settings"])
        settings["processes"] = processes_per_worker(int(settings.get("processes", 1)), len(self.clients))
        for source, client_id in self.clients.items():
            if not self.shares[source]:  # more workers than people: nothing to start there
                self.book.done(source, 0)
                continue
            self.runner.send_message(SHARE, {
                "source": source, "run_id": self.run_id, "assignments": [a.as_dict() for a in self.shares[source]],
                "settings": settings, "run_dir": str(self.run_dir), "master_host": socket.gethostname(),
            }, client_id=client_id)
            log.info("journeys: %d to %s (%s)", len(self.shares[source]), source, client_id)
        self.book.write_progress("running")
        self._watcher = gevent.spawn(self._watch)

    # handlers (Locust calls them one message at a time, in arrival order per worker)

    def on_records(self, data: dict[str, Any]) -> None:
        source = data.get("source")
        if source not in self.book.state:
            return
        if data.get("host"):
            self.book.hosts[source] = data["host"]
        self.book.add(source, data.get("records") or [])

    def on_done(self, data: dict[str, Any]) -> None:
        source = data.get("source")
        if source not in self.book.state:
            return
        if self.book.state[source] != "running":
            self._send(source, ACK, {"complete": True, "resend": []})
            return
        resend = self.book.done(source, data.get("exit"), data.get("produced") or [],
                                stopped=bool(data.get("stopped") or self.interrupted), error=data.get("error"),
                                logs=f"{data['work_dir']}/logs" if data.get("work_dir") else None)
        # resend: a RECORDS message was lost, ask again (copies that do arrive twice are dropped)
        self._send(source, ACK, {"complete": not resend, "resend": resend})

    def _send(self, source: str, msg_type: str, data: Any) -> None:
        try:
            self.runner.send_message(msg_type, data, client_id=self.clients[source])
        except Exception as err:  # the worker's connection is gone
            log.warning("journeys: could not send %s to %s: %s", msg_type, source, err)

    def _watch(self) -> None:
        while not self.book.finished:
            gevent.sleep(TICK_S)
            if not self.interrupted:
                for source in self.book.silent(after_s=self.lost_after_s):
                    n = self.book.give_up(source, "lost", f"worker {source} ({self.book.hosts.get(source)}) lost: nothing heard "
                                                          f"for {self.lost_after_s:g} s with journeys unfinished")
                    log.warning("journeys: worker %s lost, %d unfinished journeys recorded as failed", source, n)
                    self._send(source, STOP, {})
            self.book.write_progress("running")

    def wait(self, stop: Event) -> None:
        """Until every share is back (done, or its worker lost), or `stop` is set."""
        while not self.book.finished and not stop.is_set():
            gevent.sleep(0.1)

    def stop(self) -> None:
        """Interrupted: stop every share still running, keep what finished (up to STOP_GRACE_S)."""
        self.interrupted = True
        running = [s for s, st in self.book.state.items() if st == "running"]
        for source in running:
            self._send(source, STOP, {})
        deadline = time.monotonic() + STOP_GRACE_S
        while not self.book.finished and time.monotonic() < deadline:
            gevent.sleep(0.1)
        for source in [s for s, st in self.book.state.items() if st == "running"]:
            self.book.state[source] = "stopped"

    def finish(self) -> int:
        global _master
        if self._watcher is not None:
            self._watcher.kill(block=True)
        code = self.book.exit_code(self.interrupted)
        self.book.finish("interrupted" if self.interrupted else "done", code)
        if self.book.duplicates:
            log.info("journeys: %d duplicate record(s) dropped", self.book.duplicates)
        _master = None
        return code


def _on_master(handler_name: str) -> Any:
    def handler(environment: Any, msg: Any, **_: Any) -> None:
        if _master is not None:
            getattr(_master, handler_name)(msg.data)
    return handler


channel.on_master(RECORDS, _on_master("on_records"))
channel.on_master(DONE, _on_master("on_done"))


# -- a worker --------------------------------------------------------------------------------------

_share: WorkerShare | None = None


class WorkerShare:
    """One worker's share: JourneyRun processes on this machine, their records sent to the master."""

    def __init__(self, runner: Any, data: dict[str, Any]) -> None:
        from .part import JourneyRun  # subprocess management only: no Playwright here

        self.runner = runner
        self.source = data["source"]
        self.host = socket.gethostname()
        self.ids = [a["journey_id"] for a in data["assignments"]]
        run_dir = Path(data.get("run_dir") or "")
        if data.get("master_host") == self.host and run_dir.is_dir() and os.access(run_dir, os.W_OK):
            self.work_dir = run_dir / "journeys.d" / self.source  # same machine: logs and traces stay in the run
        else:
            self.work_dir = Path(tempfile.gettempdir()) / "checkout-harness" / f"{data.get('run_id', 'run')}-{self.source}-{os.getpid()}"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        s = data["settings"]
        self.run = JourneyRun([Assignment(**a) for a in data["assignments"]], s["target"], self.work_dir,
                              processes=int(s["processes"]), concurrency=int(s["concurrency"]), pace=s["pace"],
                              timeout_s=float(s["timeout_s"]), api_key=s["api_key"], currency=s["currency"],
                              amount=int(s["amount"]), die_with_parent=True, site=s.get("site"))
        self.offsets: dict[Path, int] = {}
        self.produced: dict[str, dict[str, Any]] = {}
        self.stopped = False
        self.acked = Event()
        self.resend: list[str] = []
        self.exit: int | None = None
        self.greenlet = gevent.spawn(self._pump)
        log.info("journeys: %d in %d process(es), in %s", len(self.ids), int(s["processes"]), self.work_dir)

    def _read_new(self) -> list[dict[str, Any]]:
        out = []
        for path in sorted(self.run.parts_dir.glob("worker-*.jsonl")):
            start = self.offsets.get(path, 0)
            with open(path, "rb") as f:
                f.seek(start)
                data = f.read()
            end = data.rfind(b"\n") + 1
            self.offsets[path] = start + end
            for line in data[:end].splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and record.get("journey_id") and record["journey_id"] not in self.produced:
                    record["worker"], record["worker_host"] = self.source, self.host
                    self.produced[record["journey_id"]] = record
                    out.append(record)
        return out

    def _with_trace(self, record: dict[str, Any]) -> dict[str, Any]:
        """A failure trace travels back with its record when it is small enough; otherwise it stays here."""
        if not record.get("trace"):
            return record
        path = self.work_dir / record["trace"]
        try:
            size = path.stat().st_size
            if size <= TRACE_MAX_BYTES:
                return {**record, "trace_zip": path.read_bytes()}
        except OSError:
            return {**record, "trace": None}
        return {**record, "trace": None, "worker_trace": f"{self.host}:{path.resolve()}"}

    def _send_records(self, records: list[dict[str, Any]]) -> None:
        chunk: list[dict[str, Any]] = []
        size = 0
        for record in records:
            record = self._with_trace(record)
            chunk.append(record)
            size += len(record.get("trace_zip") or b"") + 2048
            if size >= CHUNK_BYTES:
                self._send(RECORDS, {"source": self.source, "host": self.host, "records": chunk})
                chunk, size = [], 0
        self._send(RECORDS, {"source": self.source, "host": self.host, "records": chunk})

    def _send(self, msg_type: str, data: Any) -> None:
        copies = 2 if msg_type == RECORDS and os.environ.get(ENV_SEND_TWICE) == "1" else 1
        try:
            for _ in range(copies):
                self.runner.send_message(msg_type, data)
        except Exception as err:
            log.warning("journeys: could not send %s: %s", msg_type, err)

    def _pump(self) -> None:
        last = 0.0
        while self.exit is None:
            gevent.sleep(TICK_S)
            code = self.run.wait(0)
            new = self._read_new()  # after wait(): once the processes have ended, their files are complete
            if new or time.monotonic() - last >= HEARTBEAT_S:
                self._send_records(new)
                last = time.monotonic()
            if code is not None:
                self.exit = INTERRUPTED if self.stopped else code
        while not self.acked.is_set():
            if self.resend:
                ids, self.resend = self.resend, []
                self._send_records([self.produced[jid] for jid in ids if jid in self.produced])
            self._send(DONE, {"source": self.source, "host": self.host, "exit": self.exit, "produced": list(self.produced),
                              "stopped": self.stopped, "work_dir": str(self.work_dir)})
            self.acked.wait(DONE_EVERY_S)
            if not self.acked.is_set():
                self._send_records([])  # still alive
        log.info("journeys: share done (exit %s), %d of %d produced", self.exit, len(self.produced), len(self.ids))

    def on_ack(self, data: dict[str, Any]) -> None:
        if data.get("complete"):
            self.acked.set()
        else:
            self.resend = list(data.get("resend") or [])

    def stop(self) -> None:
        """Stop the share's processes (they finish writing, then SIGKILL); the pump sends what finished."""
        if self.exit is None:
            self.stopped = True
            self.run.stop()

    def end(self, timeout: float = 5.0) -> None:
        """The worker is leaving: stop the processes and try, briefly, to hand over what finished."""
        self.stop()
        self.greenlet.join(timeout)
        self.greenlet.kill(block=False)


def _on_share(environment: Any, msg: Any, **_: Any) -> None:
    global _share
    if _share is not None:
        return  # a copy of the share message, or a second run: one share per worker process
    try:
        _share = WorkerShare(environment.runner, msg.data)
    except Exception as err:  # cannot start processes here: every journey of the share is owed
        log.exception("journeys: could not start the share")
        environment.runner.send_message(DONE, {"source": msg.data.get("source"), "host": socket.gethostname(),
                                               "exit": 1, "produced": [], "stopped": False, "error": str(err)})


def _on_ack(environment: Any, msg: Any, **_: Any) -> None:
    if _share is not None:
        _share.on_ack(msg.data or {})


def _on_stop(environment: Any, msg: Any, **_: Any) -> None:
    if _share is not None:
        gevent.spawn(_share.stop)


def worker_share() -> WorkerShare | None:
    return _share


channel.on_worker(SHARE, _on_share)
channel.on_worker(ACK, _on_ack)
channel.on_worker(STOP, _on_stop)
