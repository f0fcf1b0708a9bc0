"""One run from one scenario file: start what it needs, run load and journeys together, stop
everything, reconcile, report, gate.

Whatever happens (Ctrl-C, SIGTERM, a part crashing, a full disk) the run directory keeps what was
measured, the reports are written (marked incomplete), and no process is left behind. The exit
code (harness/exit_codes.py) says whether the run passed, a gate failed, the input was bad, the
lab failed, or a signal interrupted it.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import secrets
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from scenarios.faults import FaultProfile
from scenarios.scenario import Scenario

from . import __version__, exit_codes
from .exit_codes import KIND_INTERRUPTED, KIND_LAB, KIND_TIMEOUT
from .lab_failures import (
    BROWSER_NOT_FOUND,
    FAULT_NOT_APPLIED,
    LEDGER_EXPORT_FAILED,
    TARGET_UNREACHABLE,
    LabFailure,
    ensure_fd_limit,
    explain_exit,
    from_exception,
)
from .ledger import export_ledger
from .notifications import Notifications
from .preflight import admin_token_for_target, check_target
from .progress import RunProgress, output_console
from .reconcile import reconcile
from .run_parts import LOGS, STARTERS, Part
from .run_signals import Interrupted, ReportsCutShort, RunSignals
from .runfiles import read_jsonl, write_json
from .servers import GatewayProcess
from .stripe_api import StripeApi

# Space kept aside at the start of a run and given back just before the reports are written, so
# that a disk filled by the run (the gateway's ledger, the load's files) still takes the reports.
RESERVE_NAME = ".reserved-for-reports"
RESERVE_BYTES = 1024 * 1024

# Test-only: seconds to wait before the reports are built, so that a test can send a signal while
# they are (tests/test_run_lifecycle.py). Never set it in a real run.
REPORT_DELAY_ENV = "CHECKOUT_HARNESS_TEST_REPORT_DELAY_S"


@dataclass
class RunOptions:
    out: Path | None = None
    runs_dir: Path = Path("runs")
    baseline: Path | None = None
    workers: int = 0
    seed: int | None = None
    quiet: bool = False


@dataclass
class RunOutcome:
    run_dir: Path
    summary: dict[str, Any] | None  # None when the reports could not be written
    exit_code: int


@dataclass
class RunState:
    run_dir: Path
    started: float = field(default_factory=time.time)
    phase: str = "starting"
    complete: bool = True
    incomplete_reason: str | None = None
    failure: dict[str, Any] | None = None  # the first thing that ended the run early
    failures: list[dict[str, Any]] = field(default_factory=list)  # everything that went wrong, in order
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)
    said: set[str] = field(default_factory=set)  # kinds of lab failure already said on stderr

    def fail(self, reason: str, kind: str = KIND_LAB, type: str | None = None, signal: str | None = None) -> None:
        entry = {"kind": kind, "type": type or ("Interrupted" if kind == KIND_INTERRUPTED else "RunFailed"),
                 "message": reason, **({"signal": signal} if signal else {})}
        self.failures.append(entry)
        if self.complete:
            self.complete = False
            self.incomplete_reason = reason
            self.failure = entry

    def lab_failed(self, failure: LabFailure) -> None:
        self.fail(failure.message, KIND_LAB, failure.type)


def check_out_dir(out: Path) -> str | None:
    """Why `--out` cannot be the run directory (checked before anything runs), or None."""
    if out.exists() and not out.is_dir():
        return f"--out {out}: expected a directory that is new or empty, found a file"
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"--out {out}: expected a directory that is new or empty, but {parent} is a file"
            break
    if out.is_dir() and any(out.iterdir()):
        return f"--out {out} exists and is not empty; choose a new directory (nothing is written over)"
    return None


def new_run_dir(scenario: Scenario, options: RunOptions) -> Path:
    if options.out is not None:
        problem = check_out_dir(options.out)
        if problem:
            raise FileExistsError(problem)
        options.out.mkdir(parents=True, exist_ok=True)
        return options.out
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = options.runs_dir / f"{stamp}-{scenario.name}"
    n = 1
    while run_dir.exists():
        n += 1
        run_dir = options.runs_dir / f"{stamp}-{scenario.name}-{n}"
    run_dir.mkdir(parents=True)
    return run_dir


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"checkout-harness": __version__, "python": platform.python_version()}
    for package in ("locust", "playwright", "starlette", "uvicorn", "hdrhistogram"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            pass
    return out


def _plan(scenario: Scenario) -> dict[str, Any]:
    """What reports need to evaluate the run later, as plain data (reports never import scenarios)."""
    return {
        "journeys": asdict(scenario.journeys) if scenario.journeys else None,
        "gates": [asdict(g) for g in scenario.gates],
        "regression": asdict(scenario.regression),
    }


class Run:
    """One run under way (as Locust's Environment is for a test): the scenario, the run directory,
    the target, the seed and keys, the gateway and mail sink the run started, and its parts, each
    with the same start / poll / wait / stop shape (harness/run_parts.py).

    `execute()` is the whole life of it: start, watch, stop everything, report. The run directory
    is made by the constructor; everything else is started by `start()` and stopped by `stop()`,
    whatever failed before.
    """

    def __init__(self, scenario: Scenario, options: RunOptions, console: Console, run_dir: Path) -> None:
        self.scenario = scenario
        self.options = options
        self.console = console
        self.run_dir = run_dir
        self.seed: int = options.seed if options.seed is not None else scenario.seed
        self.workers = options.workers
        self.target: str = scenario.target or ""  # the gateway's address once it is started
        self.admin_token = ""
        self.state = RunState(run_dir)
        self.gateway: GatewayProcess | None = None
        self.notifications: Notifications | None = None
        self.parts: dict[str, Part] = {}
        self.signals: RunSignals | None = None
        self.run_json: dict[str, Any] = {
            "name": scenario.name,
            "description": scenario.description,
            "scenario_file": scenario.file,
            "scenario": scenario.raw,
            "plan": _plan(scenario),
            "seed": self.seed,
            "target": scenario.target,
            "versions": _versions(),
            "host": {"hostname": socket.gethostname(), "user": getpass.getuser(), "cpus": os.cpu_count(),
                     "platform": platform.platform()},
            "argv": sys.argv,
            "started_at": self.state.started,
            "status": "running",
            "complete": False,
            "incomplete_reason": "still running",
        }

    def execute(self, unreachable: str | None = None) -> RunOutcome:
        """Start, watch, stop, report; `unreachable`: why the scenario's target did not answer (preflight)."""
        console = self.console
        self.signals = RunSignals(say=lambda text: console.print(f"[yellow]{escape(text)}[/]", highlight=False))
        try:
            try:
                self.start(unreachable)
                self.state.phase = "running"
                self.watch()
            except Interrupted as stop:
                self.state.fail(str(stop), KIND_INTERRUPTED, signal=stop.name)
            except LabFailure as failure:
                self.state.lab_failed(failure)
            except Exception as err:  # a part failed to start: keep what exists, report it
                self.state.lab_failed(from_exception(err, f"starting the run ({self.state.phase})", self.run_dir))
            self.signals.stopping()
            if self.state.failure and self.state.failure["kind"] == KIND_LAB:
                _say_lab_failure(self.state, self.state.failure, console)
            self.stop()
            _check_faults_applied(self.scenario, self.state)
            return _finish(self.run_json, self.state, self.signals, self.options, console)
        finally:
            self.signals.restore()

    def start(self, unreachable: str | None = None) -> None:
        """The gateway (unless the scenario names a target) and mail sink, then every part, each
        kept as it starts so that one failing to start leaves the others to be stopped."""
        scenario, run_dir = self.scenario, self.run_dir
        write_json(run_dir / "run.json", self.run_json)
        (run_dir / "logs").mkdir(exist_ok=True)
        _reserve_space(run_dir)
        ensure_fd_limit()
        if unreachable:
            raise LabFailure(TARGET_UNREACHABLE, unreachable)
        if scenario.journeys is not None:
            _check_browser()
        self.admin_token = (admin_token_for_target() or "") if scenario.target else secrets.token_hex(16)
        if scenario.target is None:
            self._start_gateway()
        elif scenario.faults is not None and scenario.faults.start is not None:
            _apply_start_faults(scenario.faults.start, self.target, self.admin_token, run_dir)
        self.run_json["target_url"] = self.target
        write_json(run_dir / "run.json", self.run_json)
        for name, start in STARTERS:
            part = start(self)
            if part is not None:
                self.parts[name] = part

    def _start_gateway(self) -> None:
        self.state.phase = "starting gateway"
        extra = ["--admin-token", self.admin_token]
        if self.scenario.faults is not None and self.scenario.faults.start_profile:
            extra += ["--faults", str(self.scenario.faults.start_profile)]
        self.notifications = Notifications(self.run_dir, self.admin_token)
        extra += ["--smtp", self.notifications.smtp_address]
        self.gateway = GatewayProcess(self.run_dir / "gateway.sqlite3", workers=self.scenario.gateway_workers,
                                      extra_args=extra, log_path=self.run_dir / "logs" / "gateway.log")
        self.target = self.gateway.url
        api = StripeApi(self.target, self.scenario.api_key)
        self.notifications.subscribe(api)
        api.close()

    def watch(self) -> None:
        """Poll every part until all have ended, one fails, the gateway dies or max_duration is reached."""
        scenario, state, gateway = self.scenario, self.state, self.gateway
        deadline = state.started + scenario.max_duration_s
        progress = RunProgress(self.console, state.run_dir.name, quiet=self.options.quiet)
        try:
            running = dict(self.parts)
            while running:
                for name, part in list(running.items()):
                    state.progress[name] = part.poll()
                    code = part.wait(0)
                    if code is not None:
                        running.pop(name)
                        state.progress[name]["exit"] = code
                        if code != 0:
                            state.lab_failed(explain_exit(name, code, _part_log(name, state.run_dir), state.run_dir))
                progress.update(state.phase, state.progress)
                if gateway is not None and not gateway.alive():
                    state.lab_failed(explain_exit("the gateway", gateway.proc.returncode, gateway.log_path, state.run_dir))
                    break
                if not state.complete:
                    break  # a part failed: the others are stopped, what they measured is kept
                if time.time() > deadline:
                    state.fail(f"max_duration of {scenario.max_duration_s:.0f} s reached", KIND_TIMEOUT, "MaxDuration")
                    break
                time.sleep(0.5)
        finally:
            progress.close(state.phase, state.progress)

    def stop(self) -> None:
        """Every process stopped, whatever fails on the way (each step is independent of the others')."""
        scenario, state, console = self.scenario, self.state, self.console
        gateway, notifications = self.gateway, self.notifications
        state.phase = "stopping"
        try:
            for name, part in self.parts.items():
                _step(state, f"stopping {name}", part.stop, console)
            target = self.target or None
            admin_token = self.admin_token
            if scenario.faults is not None and target and admin_token and (gateway is None or gateway.alive()):
                _step(state, "clearing the injected faults", lambda: _clear_faults(target, admin_token), console)
            if notifications is not None:
                state.phase = "waiting for webhooks and mail"
                outbox = _step(state, "waiting for webhooks and mail",
                               lambda: notifications.drain(gateway.url) if gateway is not None and gateway.alive() else {},
                               console)
                _step(state, "writing webhooks and mail", lambda: notifications.finish(outbox or {}), console)
            if state.failure and state.failure["type"] == TARGET_UNREACHABLE:
                pass  # nothing to read from it
            elif target and (gateway is None or gateway.alive()):
                _collect_ledger(target, scenario.api_key, state.run_dir, state, console)
            elif target:
                state.fail("ledger export skipped: the gateway is not running", KIND_LAB, LEDGER_EXPORT_FAILED)
        finally:
            if gateway is not None:
                _step(state, "stopping the gateway", gateway.stop, console)
            if notifications is not None:
                _step(state, "stopping the webhook receiver and mail sink", notifications.close, console)


def execute(scenario: Scenario, options: RunOptions, console: Console | None = None) -> RunOutcome:
    """Run the scenario; the run directory, the summary and the exit code.

    Raises FileExistsError (--out not usable) and preflight.TargetCannot (the target cannot do a
    part the scenario asks for) before anything is written: both are bad input.
    """
    console = console or output_console(stderr=True)
    if options.out is not None and (problem := check_out_dir(options.out)):
        raise FileExistsError(problem)
    unreachable = check_target(scenario)
    return Run(scenario, options, console, new_run_dir(scenario, options)).execute(unreachable)


def _reserve_space(run_dir: Path) -> None:
    """Allocate RESERVE_BYTES for the reports (skipped quietly where the disk is already that full)."""
    path = run_dir / RESERVE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.posix_fallocate(fd, 0, RESERVE_BYTES)
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        _release_reserve(run_dir)


def _release_reserve(run_dir: Path) -> None:
    try:
        (run_dir / RESERVE_NAME).unlink()
    except OSError:
        pass


def _check_browser() -> None:
    from .browser import BrowserNotFound, browser_path

    try:
        browser_path()
    except BrowserNotFound as err:
        raise LabFailure(BROWSER_NOT_FOUND, str(err)) from None


def _apply_start_faults(profile: FaultProfile, target: str, admin_token: str, run_dir: Path) -> None:
    """Against a target (a checkout-harness gateway run separately): the start profile over its admin endpoint."""
    from .faults_client import FaultsClient, FaultsError

    try:
        state = FaultsClient(target, admin_token).apply(profile)
    except FaultsError as err:
        raise LabFailure(FAULT_NOT_APPLIED, f"[faults] profile could not be applied at the start: {err}") from None
    (run_dir / "load").mkdir(exist_ok=True)
    with open(run_dir / "load" / "faults.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps({"t": 0.0, "at_s": 0.0, "profile": profile.name, "applied": True,
                              "version": state.get("version"), "applied_at": state.get("applied_at")}) + "\n")


def _clear_faults(target: str, admin_token: str) -> None:
    """The faults were for the load: the ledger is read from the gateway as it is, and a target
    (which outlives the run) is left without the faults the run injected."""
    from .faults_client import FaultsClient, FaultsError

    try:
        FaultsClient(target, admin_token).clear()
    except FaultsError as err:
        raise LabFailure(FAULT_NOT_APPLIED, f"the injected faults could not be cleared after the load: {err}") from None


def _say_lab_failure(state: RunState, failure: dict[str, Any], console: Console) -> None:
    """One line on stderr per kind of lab failure (a full disk fails every later step the same way)."""
    if failure["type"] in state.said:
        return
    state.said.add(failure["type"])
    console.print(f"[red]lab failure:[/] {escape(failure['message'])}", highlight=False)


def _step(state: RunState, doing: str, action: Callable[[], Any], console: Console) -> Any:
    """One step of the clean-up: a failure is recorded and said in one line, and the next step runs."""
    try:
        return action()
    except Exception as err:
        failure = from_exception(err, doing, state.run_dir)
        state.lab_failed(failure)
        _say_lab_failure(state, state.failures[-1], console)
        return None


def _check_faults_applied(scenario: Scenario, state: RunState) -> None:
    """A fault change that could not be applied fails the run: it measured less than it asked."""
    if scenario.faults is None:
        return
    for line in read_jsonl(state.run_dir / "load" / "faults.jsonl"):
        if line.get("applied") is False:
            state.fail(f"fault change at {line.get('at_s')} s ({line.get('profile') or 'clear'}) was not applied: "
                       f"{line.get('error')}", KIND_LAB, FAULT_NOT_APPLIED)
            return


def _finish(run_json: dict[str, Any], state: RunState, signals: RunSignals, options: RunOptions,
            console: Console) -> RunOutcome:
    """run.json says `complete` only once the reports are written; signals are held while they are."""
    _release_reserve(state.run_dir)  # every part is stopped: the space is the reports'
    ended = time.time()
    measured = {"complete": state.complete, "incomplete_reason": state.incomplete_reason}
    run_json.update(ended_at=ended, duration_s=ended - state.started, status="reporting", measured=measured,
                    complete=False, incomplete_reason="the reports are not written yet",
                    failure=state.failure, failures=state.failures)
    run_dir = state.run_dir
    try:
        write_json(run_dir / "run.json", run_json)
    except OSError as err:
        return _reports_failed(run_dir, from_exception(err, "writing run.json", run_dir), console, run_json)
    from reports.build import build_reports

    try:
        signals.reporting()
        delay = float(os.environ.get(REPORT_DELAY_ENV) or 0)
        if delay > 0:
            time.sleep(delay)
        summary = build_reports(run_dir, options.baseline)
    except ReportsCutShort as cut:
        console.print(f"[red]reports cut short:[/] a second signal ({cut.name}) arrived while they were written; "
                      f"rebuild them with `checkout-harness report {escape(str(run_dir))}`", highlight=False)
        run_json.update(status="reports cut short", incomplete_reason=f"{cut}; the run's files are kept")
        _try_write(run_dir / "run.json", run_json)
        return RunOutcome(run_dir, None, exit_codes.interrupted(cut.signum))
    except Exception as err:
        return _reports_failed(run_dir, from_exception(err, "writing the reports", run_dir), console, run_json)
    run_json.update(status="done", complete=measured["complete"], incomplete_reason=measured["incomplete_reason"])
    if not _try_write(run_dir / "run.json", run_json):
        return _reports_failed(run_dir, LabFailure("OutOfDiskSpace", f"could not write {run_dir / 'run.json'}"), console, run_json)
    return RunOutcome(run_dir, summary, exit_codes.for_summary(summary))


def _try_write(path: Path, data: Any) -> bool:
    try:
        write_json(path, data)
        return True
    except OSError:
        return False


def _reports_failed(run_dir: Path, failure: LabFailure, console: Console, run_json: dict[str, Any]) -> RunOutcome:
    """The reports could not be written: say so, and leave at least a junit.xml with the error for CI."""
    console.print(f"[red]lab failure:[/] {escape(failure.message)}; what was written before is kept: once the "
                  f"cause is fixed, `checkout-harness report {escape(str(run_dir))}` builds the reports", highlight=False)
    from reports.junit import junit_xml
    from reports.rundir import replace_atomically

    run = {"name": run_json.get("name"), "complete": False, "incomplete_reason": failure.message,
           "failure": {"kind": KIND_LAB, "type": failure.type, "message": failure.message},
           "failures": run_json.get("failures") or [], "started_at": run_json.get("started_at"),
           "duration_s": run_json.get("duration_s")}
    try:
        replace_atomically(run_dir / "junit.xml", junit_xml({"run": run, "gates": [], "regression": None}))
    except OSError:
        pass
    return RunOutcome(run_dir, None, exit_codes.LAB_FAILED)


def _part_log(name: str, run_dir: Path) -> Path | None:
    """Where a part writes its output (for saying what it ran out of when it dies)."""
    path = run_dir / LOGS[name] if name in LOGS else None
    return path if path is not None and path.exists() else None


def _collect_ledger(target: str | None, api_key: str, run_dir: Path, state: RunState, console: Console) -> None:
    if not target:
        return
    state.phase = "reconciling"
    api = StripeApi(target, api_key)
    try:
        export_ledger(api, run_dir / "ledger")
        result = reconcile(run_dir)
        write_json(run_dir / "reconciliation.json", result.as_dict())
    except Exception as err:  # the gateway may be the part that crashed
        failure = from_exception(err, "exporting the ledger", run_dir)
        if failure.type not in ("OutOfDiskSpace", "OutOfFileDescriptors"):
            failure = LabFailure(LEDGER_EXPORT_FAILED, f"ledger export failed: {' '.join(str(err).split())}")
        state.lab_failed(failure)
        _say_lab_failure(state, state.failures[-1], console)
    finally:
        api.close()
