"""One run from one scenario file: start what it needs, run load and journeys together, stop
everything, reconcile, report, gate.

Whatever happens (Ctrl-C, SIGTERM, a part crashing) the run directory keeps what was measured,
the report is written (marked incomplete), and no process is left behind.
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import secrets
import signal
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.live import Live
from rich.table import Table

from scenarios.scenario import Scenario

from . import __version__
from .ledger import export_ledger
from .notifications import Notifications
from .reconcile import reconcile
from .runfiles import write_json
from .servers import GatewayProcess
from .stripe_api import StripeApi


class Part(Protocol):
    """Something the run starts and waits for: the load, the journeys."""

    def poll(self) -> dict[str, Any]: ...
    def wait(self, timeout: float | None = None) -> int | None: ...
    def stop(self) -> None: ...


class Interrupted(Exception):
    """SIGINT or SIGTERM: stop, keep the results, report as incomplete."""


@dataclass
class RunOptions:
    out: Path | None = None
    runs_dir: Path = Path("runs")
    baseline: Path | None = None
    workers: int = 0
    seed: int | None = None
    quiet: bool = False


@dataclass
class RunState:
    run_dir: Path
    started: float = field(default_factory=time.time)
    phase: str = "starting"
    complete: bool = True
    incomplete_reason: str | None = None
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        if self.complete:
            self.complete = False
            self.incomplete_reason = reason


def new_run_dir(scenario: Scenario, options: RunOptions) -> Path:
    if options.out is not None:
        if options.out.exists() and any(options.out.iterdir()):
            raise FileExistsError(f"--out {options.out} exists and is not empty; choose a new directory (nothing is written over)")
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


def execute(scenario: Scenario, options: RunOptions, console: Console | None = None) -> tuple[Path, dict[str, Any]]:
    """Run the scenario; returns the run directory and the summary."""
    console = console or Console(stderr=True)
    seed = options.seed if options.seed is not None else scenario.seed
    run_dir = new_run_dir(scenario, options)
    state = RunState(run_dir)
    run_json = {
        "name": scenario.name,
        "description": scenario.description,
        "scenario_file": scenario.file,
        "scenario": scenario.raw,
        "plan": _plan(scenario),
        "seed": seed,
        "target": scenario.target,
        "versions": _versions(),
        "host": {"hostname": socket.gethostname(), "user": getpass.getuser(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "argv": sys.argv,
        "started_at": state.started,
        "complete": False,
        "incomplete_reason": "still running",
    }
    write_json(run_dir / "run.json", run_json)
    (run_dir / "logs").mkdir(exist_ok=True)

    gateway: GatewayProcess | None = None
    notifications: Notifications | None = None
    parts: dict[str, Part] = {}
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def on_signal(signum: int, _frame: Any) -> None:
        raise Interrupted(f"interrupted ({signal.Signals(signum).name})")

    for sig in previous:
        signal.signal(sig, on_signal)
    try:
        target = scenario.target
        admin_token = secrets.token_hex(16)
        if target is None:
            state.phase = "starting gateway"
            extra = ["--admin-token", admin_token]
            if scenario.faults is not None and scenario.faults.start_profile:
                extra += ["--faults", str(scenario.faults.start_profile)]
            notifications = Notifications(run_dir)
            extra += ["--smtp", notifications.smtp_address]
            gateway = GatewayProcess(run_dir / "gateway.sqlite3", workers=scenario.gateway_workers, extra_args=extra,
                                     log_path=run_dir / "logs" / "gateway.log")
            target = gateway.url
            api = StripeApi(target, scenario.api_key)
            notifications.subscribe(api)
            api.close()
        run_json["target_url"] = target
        write_json(run_dir / "run.json", run_json)
        parts = _start_parts(scenario, target, run_dir, seed, options, admin_token)
        state.phase = "running"
        _watch(scenario, state, parts, console, options.quiet, gateway)
    except Interrupted as stop:
        state.fail(str(stop))
    except FileExistsError:
        raise
    except Exception as err:  # a part failed to start: keep what exists, report it
        state.fail(f"{type(err).__name__}: {err}")
        console.print(f"[red]run failed:[/] {err}")
    finally:
        # From here on a second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            state.phase = "stopping"
            for name, part in parts.items():
                part.stop()
            if notifications is not None:
                state.phase = "waiting for webhooks and mail"
                outbox = notifications.drain(gateway.url, admin_token) if gateway is not None and gateway.alive() else {}
                notifications.finish(outbox)
            if gateway is not None or scenario.target:
                _collect_ledger(scenario.target or (gateway.url if gateway else None), scenario.api_key, run_dir, state, console)
            if gateway is not None:
                gateway.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    ended = time.time()
    run_json.update(ended_at=ended, duration_s=ended - state.started, complete=state.complete, incomplete_reason=state.incomplete_reason)
    write_json(run_dir / "run.json", run_json)
    from reports.build import build_reports

    summary = build_reports(run_dir, options.baseline)
    return run_dir, summary


def _start_parts(scenario: Scenario, target: str, run_dir: Path, seed: int, options: RunOptions, admin_token: str) -> dict[str, Part]:
    parts: dict[str, Part] = {}
    # With Locust workers (local or remote), they run the journeys too: one worker per machine scales both.
    on_workers = (scenario.load is not None and scenario.journeys is not None
                  and options.workers + scenario.load.distributed.remote_workers > 0)
    if scenario.load is not None:
        from .load import start_load

        kwargs: dict[str, Any] = {"workers": options.workers, "seed": seed, "api_key": scenario.api_key}
        if scenario.faults is not None:
            kwargs["faults"] = scenario.faults
            kwargs["admin_token"] = admin_token
        if on_workers:
            from .load.shares import journeys_spec

            kwargs["journeys"] = journeys_spec(scenario.journeys, target, run_dir, seed=seed, api_key=scenario.api_key)
        parts["load"] = start_load(scenario.load, target, run_dir / "load", **_accepted(start_load, kwargs))
        if on_workers:
            from .load.shares import WorkerJourneys

            parts["journeys"] = WorkerJourneys(parts["load"], run_dir, len(kwargs["journeys"]["assignments"]))
    if scenario.journeys is not None and not on_workers:
        from .journeys import start_journeys

        parts["journeys"] = start_journeys(scenario.journeys, target, run_dir, seed=seed, api_key=scenario.api_key)
    if getattr(scenario, "churn", None) is not None:
        from .churn import start_churn  # its own gateways (one per policy) unless the scenario names a target

        parts["churn"] = start_churn(scenario.churn, run_dir / "churn", seed=seed, target=scenario.target,
                                     api_key=scenario.api_key if scenario.target else None)
    return parts


def _accepted(func: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    import inspect

    params = inspect.signature(func).parameters
    return {k: v for k, v in kwargs.items() if k in params}


def _watch(scenario: Scenario, state: RunState, parts: dict[str, Part], console: Console, quiet: bool,
           gateway: GatewayProcess | None) -> None:
    deadline = state.started + scenario.max_duration_s
    live_console = Console(quiet=True) if quiet else console
    with Live(_progress_table(state), console=live_console, refresh_per_second=2, transient=False) as live:
        running = dict(parts)
        while running:
            for name, part in list(running.items()):
                state.progress[name] = part.poll()
                code = part.wait(0)
                if code is not None:
                    running.pop(name)
                    state.progress[name]["exit"] = code
                    if code != 0:
                        state.fail(f"{name} exited with code {code}")
            live.update(_progress_table(state))
            if gateway is not None and not gateway.alive():
                state.fail(f"the gateway exited with code {gateway.proc.returncode}")
                break
            if time.time() > deadline:
                state.fail(f"max_duration of {scenario.max_duration_s:.0f} s reached")
                break
            time.sleep(0.5)
        live.update(_progress_table(state))


def _progress_table(state: RunState) -> Table:
    table = Table(title=f"{state.run_dir.name}: {state.phase}, {time.time() - state.started:.0f} s", title_justify="left")
    table.add_column("part")
    table.add_column("progress")
    for name, progress in state.progress.items():
        shown = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in progress.items() if not isinstance(v, (dict, list)))
        table.add_row(name, shown)
    return table


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
        state.fail(f"ledger export failed: {err}")
        console.print(f"[red]ledger export failed:[/] {err}")
    finally:
        api.close()
