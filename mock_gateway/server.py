"""`python -m mock_gateway`: serve the gateway with uvicorn on one socket, one or more processes."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from . import __version__
from .store.db import default_db_path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111  # the port Stripe's SDKs use for stripe-mock


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checkout-harness gateway",
        description="Run the stateful Stripe-compatible mock payment gateway (any sk_test_... key is accepted).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to bind, 0 for a free one (default %(default)s)")
    parser.add_argument("--db", default=None, help=f"SQLite database path, or :memory: (default {default_db_path()})")
    parser.add_argument("--workers", type=int, default=1, help="server processes sharing the database (default 1)")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--version", action="version", version=f"mock_gateway {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, found {args.port}")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, found {args.workers}")
    db = args.db or str(default_db_path())
    if db == ":memory:" and args.workers > 1:
        parser.error("--db :memory: cannot be shared by several --workers; give a file path")
    if db != ":memory:":
        try:
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            parser.error(f"--db {db}: cannot create its directory ({err.strerror})")
    os.environ["CHECKOUT_GATEWAY_DB"] = db
    # The database schema is created once here, before the server processes share it.
    from .store.db import Store

    try:
        Store(db).close() if db != ":memory:" else None
    except Exception as err:  # sqlite3 errors: a directory, a non-database file, no permission
        parser.error(f"--db {db}: cannot open as a SQLite database ({err})")

    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY: without it a body written after its headers
    # waits for the client's delayed ACK (~40 ms on Linux).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as err:
        parser.error(f"cannot listen on {args.host}:{args.port}: {err.strerror}")
    sock.listen(2048)
    sock.set_inheritable(True)
    host, port = sock.getsockname()[:2]
    print(f"mock gateway listening on http://{host}:{port} (db {db}, {args.workers} process(es)); Ctrl-C stops it", flush=True)

    import uvicorn

    uvicorn.run(
        "mock_gateway.app:app_from_env",
        factory=True,
        fd=sock.fileno(),
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
        server_header=False,
        date_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
