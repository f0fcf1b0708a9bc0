"""`checkout-harness mail-sink` and `checkout-harness webhook-receiver`: the sinks, run by hand."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .cli_command import Command
from .exit_codes import BAD_INPUT as EXIT_BAD_INPUT
from .exit_codes import PASSED as EXIT_OK


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, found {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port between 0 and 65535, found {value}")
    return value


def _print_quietly(text: str) -> None:
    """The closing figures; whoever started us may have stopped reading."""
    try:
        print(text, flush=True)
    except (BrokenPipeError, ValueError):
        pass


def _stop_on_signal() -> threading.Event:
    """Set on SIGTERM or Ctrl-C; installed before the ready line is printed, so no signal is missed."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def _mail_sink_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", type=Path, required=True, help="where to store messages (created if missing)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=_port, default=2525, help="port, 0 for a free one (default %(default)s)")


def _mail_sink(args: argparse.Namespace) -> int:
    from .mail_sink import MailSink

    stop = _stop_on_signal()
    try:
        sink = MailSink(args.dir, args.host, args.port)
    except OSError as err:
        print(f"error: cannot start the mail sink on {args.host}:{args.port} with --dir {args.dir}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"mail sink listening on smtp://{sink.address} (messages in {args.dir}); give the gateway --smtp {sink.address}",
          flush=True)
    try:
        stop.wait()
    finally:
        sink.stop()
        _print_quietly(json.dumps(sink.stats()))
    return EXIT_OK


def _receiver_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="JSONL file to append received events to")
    p.add_argument("--secret", default=None, help="the endpoint's signing secret (whsec_...)")
    p.add_argument("--port", type=_port, default=0, help="port, 0 for a free one (default %(default)s)")


def _receiver(args: argparse.Namespace) -> int:
    from .webhook_receiver import WebhookReceiver

    stop = _stop_on_signal()
    if args.secret is not None and not args.secret.startswith("whsec_"):
        print(f"error: --secret must be an endpoint secret starting with whsec_; found {args.secret[:12]!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        receiver = WebhookReceiver(args.out, args.secret, port=args.port)
    except OSError as err:
        print(f"error: cannot start the webhook receiver on port {args.port}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"webhook receiver listening on {receiver.url} (events appended to {args.out})", flush=True)
    try:
        stop.wait()
    finally:
        receiver.stop()
        _print_quietly(json.dumps(receiver.stats()))
    return EXIT_OK


# The subcommands this module adds, in the order `--help` lists them (joined in harness/cli.py).
COMMANDS = [
    Command("mail-sink", "run an SMTP sink that stores the gateway's mail (.eml files and index.jsonl) in a directory", _mail_sink_args, _mail_sink),
    Command("webhook-receiver", "run a webhook endpoint that verifies signatures and records events and latency", _receiver_args, _receiver),
]
