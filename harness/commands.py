"""The subcommands a user runs: run, validate, report, compare."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import exit_codes
from .cli_command import Command
from .exit_codes import BAD_INPUT as EXIT_BAD_INPUT
from .exit_codes import PASSED as EXIT_OK
from .progress import output_console


def _bad_input(message: str) -> int:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return EXIT_BAD_INPUT


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, found {value}")
    return value


def _seed(text: str) -> int:
    from scenarios.reading import MAX_SEED

    value = _positive_int(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed between 0 and {MAX_SEED}, found {value}")
    return value


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", default=None,
                   help="scenario file or shipped name (default: quickstart; see `checkout-harness validate --list`)")
    p.add_argument("--out", type=Path, help="run directory to write (must not exist or be empty; default runs/<time>-<name>)")
    p.add_argument("--baseline", type=Path, help="a previous run directory to check for regressions against")
    p.add_argument("--workers", type=_positive_int, default=0, help="local Locust worker processes (0: load runs in one process)")
    p.add_argument("--seed", type=_seed, help="override the scenario's seed (0 to 2**32-1)")
    p.add_argument("--quiet", action="store_true", help="no live progress display")
    p.add_argument("--web-ui", nargs="?", const="127.0.0.1:8089", metavar="HOST:PORT",
                   help="show Locust's web UI while the load runs (default address 127.0.0.1:8089)")
    p.add_argument("--locust-csv", action="store_true", help="also write Locust's CSV files (load/locust_*.csv)")
    p.add_argument("--locust-html", action="store_true", help="also write Locust's HTML report (load/locust_report.html)")


def _run(args: argparse.Namespace) -> int:
    from scenarios.errors import ScenarioError
    from scenarios.scenario import load_scenario

    from .run import RunOptions, check_out_dir

    if args.out is not None and (problem := check_out_dir(args.out)):
        return _bad_input(problem)
    try:
        scenario = load_scenario(args.scenario, seed=args.seed)
    except ScenarioError as err:
        return _bad_input(str(err))
    if args.baseline is not None and not (args.baseline / "run.json").exists():
        return _bad_input(f"--baseline {args.baseline}: expected a run directory with run.json, found none")
    from .load.launch import ask_locust_outputs

    try:
        ask_locust_outputs(args.web_ui, args.locust_csv, args.locust_html)
    except ValueError as err:
        return _bad_input(str(err))
    options = RunOptions(out=args.out, baseline=args.baseline, workers=args.workers, seed=args.seed, quiet=args.quiet)
    return _execute_and_report(scenario, options)


def _execute_and_report(scenario, options) -> int:  # noqa: ANN001 (Scenario, RunOptions: imported lazily)
    from .preflight import TargetCannot
    from .run import execute

    try:
        outcome = execute(scenario, options)
    except (FileExistsError, TargetCannot) as err:
        return _bad_input(str(err))
    if outcome.summary is not None:
        print_summary(outcome.run_dir, outcome.summary)
    else:
        Console(stderr=True).print(f"run directory (reports not written): {escape(str(outcome.run_dir))}", highlight=False)
    return outcome.exit_code


def print_summary(run_dir: Path, summary: dict, console: Console | None = None) -> None:
    console = console or output_console()
    run = summary["run"]
    kind = (run.get("failure") or {}).get("kind")
    verdict = ("[bold red]LAB FAILED[/]" if kind == "lab" else "[bold yellow]INTERRUPTED[/]" if kind == "interrupted"
               else "[bold green]PASSED[/]" if summary["passed"] else "[bold red]FAILED[/]")
    console.print(f"\n{run['name']}: {verdict}" + ("" if run["complete"] else f" (incomplete: {run['incomplete_reason']})"))
    load = summary.get("load")
    if load:
        t = Table(title=f"load: {load.get('model')} model, {load.get('achieved_rate') or 0:.1f} req/s achieved of "
                        f"{load.get('offered_rate') or 0:.1f} offered, error rate {100 * (load.get('error_rate') or 0):.2f}%",
                  title_justify="left")
        for col in ("endpoint", "count", "errors", "p50 ms", "p95 ms", "p99 ms"):
            t.add_column(col, justify="left" if col == "endpoint" else "right")
        for name, e in sorted((load.get("endpoints") or {}).items()):
            t.add_row(name, f"{e.get('count', 0):,}", str(e.get("errors", 0)),
                      *(f"{e[k]:.1f}" if e.get(k) is not None else "-" for k in ("p50_ms", "p95_ms", "p99_ms")))
        console.print(t)
    journeys = summary.get("journeys")
    if journeys:
        t = Table(title=f"journeys: {journeys['total']} shoppers ({journeys['failed']} failed technically)", title_justify="left")
        for col in ("variant", "n", "conversion [95% CI]", "median completion", "errors shown/journey"):
            t.add_column(col, justify="left" if col == "variant" else "right")
        for name, v in journeys["variants"].items():
            ci = v["conversion_ci"]
            conv = "-" if v["conversion"] is None else f"{100 * v['conversion']:.1f}% [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
            med = "-" if v.get("completion_median_s") is None else f"{v['completion_median_s']:.1f} s"
            per = "-" if v.get("errors_shown_per_journey") is None else f"{v['errors_shown_per_journey']:.2f}"
            t.add_row(name, str(v["journeys"]), conv, med, per)
        console.print(t)
        for c in journeys.get("comparisons", []):
            console.print(f"  {c['sentence']}")
    integrity = summary.get("integrity")
    if integrity is not None:
        console.print("integrity: " + ("[green]intact[/]" if integrity["ok"] else f"[red]{len(integrity['problems'])} problem(s)[/]")
                      + f" ({integrity['acknowledged']} acknowledged payments checked)")
    for g in summary.get("gates") or []:
        console.print(("  [green]pass[/] " if g["passed"] else "  [red]FAIL[/] ") + g["message"], highlight=False)
    for c in (summary.get("regression") or {}).get("checks", []):
        console.print(("  [green]pass[/] " if c["passed"] else "  [red]FAIL[/] ") + c["message"], highlight=False)
    console.print(f"\nreport: {run_dir / 'report.html'}\nsummary: {run_dir / 'summary.md'}  junit: {run_dir / 'junit.xml'}")


def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="a scenario file, or the name of a shipped one")
    p.add_argument("--list", nargs="?", const="all", choices=("all",) + SHIPPED_KINDS, metavar="KIND",
                   help="list what is shipped: scenarios, variants, personas, fault-profiles (default: all of them)")


SHIPPED_KINDS = ("scenarios", "variants", "personas", "fault-profiles")


def shipped(kind: str) -> list[str]:
    """The names of the shipped files of a kind, as a scenario names them."""
    from scenarios.faults import list_profiles
    from scenarios.personas import list_personas
    from scenarios.scenario import list_scenarios
    from scenarios.variants import list_variants

    return {"scenarios": list_scenarios, "variants": list_variants, "personas": list_personas,
            "fault-profiles": list_profiles}[kind]()


def _validate(args: argparse.Namespace) -> int:
    from scenarios.errors import ScenarioError
    from scenarios.scenario import load_scenario

    if args.list is not None or args.scenario is None:
        if args.list in (None, "all"):
            for kind in SHIPPED_KINDS:
                print(f"{kind}: {' '.join(shipped(kind))}")
        else:
            for name in shipped(args.list):
                print(name)
        return EXIT_OK if args.list else _bad_input("give a scenario file or name (or --list)")
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as err:
        return _bad_input(str(err))
    parts = [p for p, present in (("load", scenario.load), ("journeys", scenario.journeys), ("faults", scenario.faults),
                                                 ("churn", scenario.churn)) if present]
    print(f"{scenario.file}: valid ({', '.join(parts)}; {len(scenario.gates)} gates)")
    return EXIT_OK


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory (it holds run.json)")
    p.add_argument("--baseline", type=Path, metavar="RUN_DIR", help="a previous run directory to check for regressions against")


def _report(args: argparse.Namespace) -> int:
    from reports.build import build_reports

    for path, flag in ((args.run_dir, "RUN_DIR"), (args.baseline, "--baseline")):
        if path is not None and not (path / "run.json").exists():
            return _bad_input(f"{flag} {path}: expected a run directory with run.json, found none")
    summary = build_reports(args.run_dir, args.baseline)
    _finish_run_json(args.run_dir)
    print_summary(args.run_dir, summary)
    return exit_codes.for_summary(summary)


def _finish_run_json(run_dir: Path) -> None:
    """A run whose reports were cut short (or never written): now that they are, run.json says what
    the measuring ended with, as a run that wrote them itself would."""
    from reports.rundir import read_json

    from .runfiles import write_json

    run = read_json(run_dir / "run.json") or {}
    measured = run.get("measured")
    if run.get("status") in ("reporting", "reports cut short") and isinstance(measured, dict):
        run.update(status="done", complete=bool(measured.get("complete")), incomplete_reason=measured.get("incomplete_reason"))
        write_json(run_dir / "run.json", run)


def _compare_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_a", type=Path, metavar="RUN_A", help="the baseline run directory")
    p.add_argument("run_b", type=Path, metavar="RUN_B", help="the run directory checked against it")


def _compare(args: argparse.Namespace) -> int:
    from reports.compare import compare_runs

    for path in (args.run_a, args.run_b):
        if not (path / "run.json").exists():
            return _bad_input(f"{path}: expected a run directory with run.json, found none")
    text, passed = compare_runs(args.run_a, args.run_b)
    sys.stdout.write(text)
    return EXIT_OK if passed else exit_codes.GATE_FAILED


def _journeys_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--variant", action="append", required=True, help="checkout variant (repeat for several)")
    p.add_argument("--persona", action="append", required=True, help="persona (repeat for several, equal weights)")
    p.add_argument("--count", type=_positive_int, default=5, help="journeys per variant (default 5)")
    p.add_argument("--seed", type=_seed, default=1, help="the same seed gives the same people (default 1)")
    p.add_argument("--out", type=Path, required=True, help="directory for journeys.jsonl and traces (must be new or empty)")
    p.add_argument("--target", help="a running Stripe-compatible API with the hosted checkout (default: start one)")
    p.add_argument("--pace", choices=("instant", "real"), default="instant",
                   help="instant: human time is modelled, not slept (default); real: every key and pause is slept")
    p.add_argument("--concurrency", type=_positive_int, default=2, help="browser contexts at once per process")
    p.add_argument("--processes", type=_positive_int, default=1, help="journeys processes, each with its own browser (default 1)")
    p.add_argument("--quiet", action="store_true", help="no live progress display")


def _journeys(args: argparse.Namespace) -> int:
    from scenarios.errors import ScenarioError
    from scenarios.scenario import parse_scenario

    from .run import check_out_dir

    if problem := check_out_dir(args.out):
        return _bad_input(problem)

    table = {"journeys": {"variants": args.variant, "personas": args.persona, "count": max(1, args.count),
                          "pace": args.pace, "concurrency": max(1, args.concurrency), "processes": max(1, args.processes)}}
    if args.target:
        table["target"] = args.target
    try:
        scenario = parse_scenario(table, "(command line)", default_name="journeys", seed=args.seed)
    except ScenarioError as err:
        return _bad_input(str(err).replace("journeys.variants", "--variant").replace("journeys.personas", "--persona"))
    from .run import RunOptions

    return _execute_and_report(scenario, RunOptions(out=args.out, quiet=args.quiet))


def _completion_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=("bash", "zsh", "tcsh"), help="the shell to complete in")


SCENARIO_COMPLETION = {"bash": "_checkout_harness_scenarios", "zsh": "_checkout_harness_scenarios"}


def _scenario_preamble() -> dict[str, str]:
    """Shell functions that complete a scenario: the shipped names, then files."""
    names = " ".join(shipped("scenarios"))
    return {
        "bash": f'_checkout_harness_scenarios() {{ compgen -W "{names}" -- "$1"; compgen -f -- "$1"; }}',
        "zsh": f"_checkout_harness_scenarios() {{ compadd -- {names}; _files -g '*.toml' }}",
    }


def _completion(args: argparse.Namespace) -> int:
    import shtab

    parser = args.parser  # the whole command line's (harness/cli.py sets it)
    for sub in parser._subparsers._group_actions[0].choices.values():
        for action in sub._actions:
            if action.dest == "scenario":
                action.complete = SCENARIO_COMPLETION
    # shtab takes a preamble per shell as a dict too (its annotation says str only)
    print(shtab.complete(parser, shell=args.shell, preamble=_scenario_preamble()))  # type: ignore[arg-type]
    return EXIT_OK


# The subcommands this module adds, in the order `--help` lists them (joined in harness/cli.py).
COMMANDS = [
    Command("run", "run a scenario: gateway, load and simulated shoppers together, then reports and gates", _run_args, _run),
    Command("validate", "check a scenario file without running it (exit 2 with the file and key on bad input)", _validate_args, _validate),
    Command("report", "rebuild the reports of a run directory (summary.json, summary.md, junit.xml, report.html)", _report_args, _report),
    Command("compare", "compare two runs side by side (A is the baseline)", _compare_args, _compare),
    Command("journeys", "run simulated shoppers alone (a gateway is started unless --target is given)", _journeys_args, _journeys),
    Command("completion", "print a shell completion script: eval \"$(checkout-harness completion bash)\"", _completion_args, _completion),
]
