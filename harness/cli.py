"""`checkout-harness`: one command for the gateway, runs, journeys, reports and gates.

Exit codes (harness/exit_codes.py): 0 pass, 1 a gate failed or regressed, 2 bad input, 3 the lab
itself failed, 130/143 interrupted by SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

from . import __version__
from .exit_codes import BAD_INPUT as EXIT_BAD_INPUT
from .exit_codes import GATE_FAILED as EXIT_GATE_FAILED
from .exit_codes import HELP as EXIT_CODES_HELP
from .exit_codes import LAB_FAILED as EXIT_LAB_FAILED
from .exit_codes import PASSED as EXIT_OK

__all__ = ["EXIT_BAD_INPUT", "EXIT_GATE_FAILED", "EXIT_LAB_FAILED", "EXIT_OK", "command", "main"]

# Each subcommand: (help text, function that adds its arguments, function that runs it).
Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {}


def command(name: str, help: str) -> Callable[[Callable[[argparse.ArgumentParser], None]], Callable]:
    """Register a subcommand: decorate its argument builder, whose `.run` is set by `runs`."""

    def decorate(add_arguments: Callable[[argparse.ArgumentParser], None]) -> Callable:
        def runs(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
            COMMANDS[name] = (help, add_arguments, run)
            return run

        add_arguments.runs = runs  # type: ignore[attr-defined]
        return add_arguments

    return decorate


def _gateway(argv: list[str]) -> int:
    """The gateway is its own program: hand over to `python -m mock_gateway` with the same flags."""
    os.execv(sys.executable, [sys.executable, "-m", "mock_gateway", *argv])
    return EXIT_OK  # not reached


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo
    from .servers import ServerError

    try:
        return run_demo()
    except ServerError as err:
        print(f"error: the lab failed: {' '.join(str(err).split())[:300]}", file=sys.stderr)
        return EXIT_LAB_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checkout-harness",
        description="Test a checkout the way it is used: load, simulated shoppers in a real browser, a mock gateway.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"checkout-harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "gateway",
        help="run the mock payment gateway (see `checkout-harness gateway --help`)",
        add_help=False,
    )
    demo_help = "start a gateway and run a short scripted purchase against it"
    demo = sub.add_parser("demo", help=demo_help, formatter_class=argparse.RawDescriptionHelpFormatter,
                          description=demo_help + ":\nfour cards (two succeed, one is declined, one asks for 3-D Secure and "
                          "completes it),\na refund, and the events the ledger recorded. Needs no browser; takes a few seconds.\n"
                          "For a whole scenario with load and shoppers, see `checkout-harness run --help`.",
                          epilog="exit codes:\n  0    the purchases went through\n  3    the lab failed: the gateway could not be started")
    demo.set_defaults(run=_demo)
    for name, (help, add_arguments, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help, description=help, epilog=EXIT_CODES_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        add_arguments(p)
        p.set_defaults(run=run)
    return parser


def _load_commands() -> None:
    """Import the modules that register subcommands (kept lazy so `--help` stays fast)."""
    import importlib

    for module in ("harness.commands", "harness.sink_commands", "harness.load.cli"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "gateway":
        return _gateway(argv[1:])
    _load_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # the registry lives in harness.cli, not in a second copy named __main__
    from harness.cli import main as registered_main

    sys.exit(registered_main())
