"""`checkout-harness`: one command for the gateway, runs, journeys, reports and gates.

Exit codes (harness/exit_codes.py): 0 pass, 1 a gate failed or regressed, 2 bad input, 3 the lab
itself failed, 130/143 interrupted by SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__, exit_codes
from .cli_command import Command
from .exit_codes import HELP as EXIT_CODES_HELP

__all__ = ["build_parser", "commands", "main"]

def commands() -> list[Command]:
    """Every subcommand after `gateway` and `demo`, in the order `--help` lists them. The modules are
    imported here, when a command line is parsed, not when this module is (`gateway` execs at once)."""
    from . import commands as run_commands
    from . import sink_commands
    from .load import cli as load_commands

    return [*run_commands.COMMANDS, *sink_commands.COMMANDS, *load_commands.COMMANDS]


def _gateway(argv: list[str]) -> int:
    """The gateway is its own program: hand over to `python -m mock_gateway` with the same flags."""
    os.execv(sys.executable, [sys.executable, "-m", "mock_gateway", *argv])
    return exit_codes.PASSED  # not reached


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo
    from .servers import ServerError

    try:
        return run_demo()
    except ServerError as err:
        print(f"error: the lab failed: {' '.join(str(err).split())[:300]}", file=sys.stderr)
        return exit_codes.LAB_FAILED


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
    for command in commands():
        p = sub.add_parser(command.name, help=command.help, description=command.help, epilog=EXIT_CODES_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_arguments(p)
        p.set_defaults(run=command.run, parser=parser)  # the parser itself: `completion` describes it
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "gateway":
        return _gateway(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return exit_codes.BAD_INPUT
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
