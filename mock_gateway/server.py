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
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes sharing the database (default: 2 on a machine with 2 or more cores, "
                             "1 with --db :memory:; 2 measured ~12%% faster than 1, see bench/gateway_throughput.py)")
    parser.add_argument("--page-size", type=int, default=None, metavar="BYTES",
                        help="SQLite page size of a new --db file (512 .. 65536, a power of two; default SQLite's 4096). "
                             "Larger pages hold big objects more densely (cohort ledgers: 16384) but make each small "
                             "transaction write more; an existing file keeps its own")
    parser.add_argument("--cache-mb", type=int, default=None, metavar="MB",
                        help="SQLite page cache per server process, in MiB (default SQLite's 2). A large ledger's "
                             "index pages stay in memory instead of being read again from the OS (cohorts: 128)")
    parser.add_argument("--header-timeout", type=float, default=None, metavar="SECONDS",
                        help="close a connection whose request line and headers take longer than this, from its first "
                             "byte or from connecting (default 10)")
    parser.add_argument("--body-timeout", type=float, default=None, metavar="SECONDS",
                        help="close a connection whose request body takes longer than this after its headers (default 30)")
    parser.add_argument("--max-connections", type=int, default=None, metavar="N",
                        help="open connections per server process; one more sheds the one idle longest (default 512)")
    parser.add_argument("--api-version", metavar="VERSION", default=None,
                        help="the account's default API version, for requests without Stripe-Version and webhook "
                             "endpoints without api_version (default 2024-06-20; see docs/stripe-compatibility.md)")
    parser.add_argument("--server", choices=SERVERS, default="uvicorn",
                        help="ASGI server: uvicorn (default: header and body timeouts, --max-connections) or granian "
                             "(optional, `pip install granian`: faster, see docs/performance.md, but only its own "
                             "header timeout and no connection bound)")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--faults", metavar="PROFILE", default=None,
                        help="inject faults from the start: a profile name in scenarios/faults/ or a .toml path")
    parser.add_argument("--admin-token", metavar="TOKEN", default=None,
                        help="token for the fault admin endpoint /_harness/faults (default: a random one, printed)")
    parser.add_argument("--admin-remote", action="store_true",
                        help="let the fault admin endpoint answer other hosts than loopback")
    from .background import add_arguments

    add_arguments(parser)  # --smtp, --webhook-retry-schedule, --sweep-interval
    parser.add_argument("--version", action="version", version=f"mock_gateway {__version__}")
    return parser


def listen(host: str, port: int) -> socket.socket:
    """One listening socket, bound before any worker starts, so every worker shares it."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY: without it a body written after its headers
    # waits for the client's delayed ACK (~40 ms on Linux).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


SERVERS = ("uvicorn", "granian")


def serve(factory: str, sock: socket.socket, *, workers: int = 1, log_level: str = "warning", server: str = "uvicorn") -> None:
    """Run an ASGI app factory (`module:function`) with uvicorn on `sock`, in `workers` processes.

    With several workers, each worker dies with the supervisor (see `die_with_supervisor`), so a
    crashed or killed gateway never leaves workers serving its socket.
    """
    if workers > 1 or server == "granian":  # granian runs the app in child processes even with one worker
        os.environ[_SUPERVISOR_ENV] = str(os.getpid())
    else:
        os.environ.pop(_SUPERVISOR_ENV, None)
    if server == "granian":
        serve_granian(factory, sock, workers=workers, log_level=log_level)
        return
    import uvicorn

    uvicorn.run(
        factory,
        factory=True,
        fd=sock.fileno(),
        workers=workers,
        log_level=log_level,
        access_log=False,
        server_header=False,
        date_header=False,
        proxy_headers=False,  # loopback clients, no proxy: skip parsing X-Forwarded-* on every request
        # header and body deadlines, a bounded number of connections (uvicorn has neither)
        http="mock_gateway.connections:GuardedHttpProtocol",
    )


def serve_granian(factory: str, sock: socket.socket, *, workers: int, log_level: str) -> None:
    """The same app on granian (Rust HTTP, optional). Granian binds its own socket: `sock` only chose the
    address (a free port for --port 0) and is closed just before granian binds it again."""
    try:
        from granian import Granian
        from granian.constants import Interfaces, Loops
        from granian.http import HTTP1Settings
        from granian.log import LogLevels
    except ImportError:
        raise SystemExit("--server granian needs the granian package: pip install 'granian>=2.8'") from None
    host, port = sock.getsockname()[:2]
    sock.close()
    header_ms = int(float(os.environ.get("CHECKOUT_GATEWAY_HEADER_TIMEOUT") or 10) * 1000)
    Granian(factory, address=host, port=port, interface=Interfaces.ASGI, workers=workers, factory=True,
            loop=Loops.uvloop, websockets=False, log_level=LogLevels(log_level), log_access=False, backlog=2048,
            http1_settings=HTTP1Settings(header_read_timeout=header_ms)).serve()


_SUPERVISOR_ENV = "CHECKOUT_GATEWAY_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1


def die_with_supervisor() -> None:
    """In a uvicorn worker process: ask Linux to SIGKILL this process when its supervisor dies.

    uvicorn's supervisor does not take its workers down when it is itself killed (kill -9, OOM),
    and orphaned workers would keep answering on the shared socket and writing to the database.
    """
    supervisor = os.environ.get(_SUPERVISOR_ENV)
    if not supervisor or int(supervisor) == os.getpid() or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != int(supervisor):  # the supervisor died before prctl took effect
        os._exit(1)


def default_workers(db: str) -> int:
    """Two processes where there are two cores: group commits overlap with the other process's
    HTTP work (1,053 against 940 create+confirm pairs/s on 2 cores); one for :memory:, which
    processes cannot share."""
    return 1 if db == ":memory:" else min(2, os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, found {args.port}")
    db = args.db or str(default_db_path())
    if args.workers is None:
        args.workers = default_workers(db)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, found {args.workers}")
    if args.page_size is not None and (not 512 <= args.page_size <= 65536 or args.page_size & (args.page_size - 1)):
        parser.error(f"--page-size must be a power of two from 512 to 65536, found {args.page_size}")
    if db == ":memory:" and args.workers > 1:
        parser.error("--db :memory: cannot be shared by several --workers; give a file path")
    if db != ":memory:":
        try:
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            parser.error(f"--db {db}: cannot create its directory ({err.strerror})")
    if args.cache_mb is not None and not 1 <= args.cache_mb <= 65536:
        parser.error(f"--cache-mb must be between 1 and 65536, found {args.cache_mb}")
    from .connections import ENV_BODY_TIMEOUT, ENV_HEADER_TIMEOUT, ENV_MAX_CONNECTIONS

    for flag, value, env, low in (("--header-timeout", args.header_timeout, ENV_HEADER_TIMEOUT, 0.1),
                                  ("--body-timeout", args.body_timeout, ENV_BODY_TIMEOUT, 0.1),
                                  ("--max-connections", args.max_connections, ENV_MAX_CONNECTIONS, 1)):
        if value is None:
            os.environ.pop(env, None)
        elif not low <= value <= 100_000:
            parser.error(f"{flag} must be between {low} and 100000, found {value}")
        else:
            os.environ[env] = str(value)
    os.environ["CHECKOUT_GATEWAY_DB"] = db
    from .api import versions

    if args.api_version is None:
        os.environ.pop(versions.ENV_DEFAULT, None)
    elif args.api_version not in versions.VERSIONS:
        parser.error(f"--api-version {args.api_version!r} is not a version this gateway serves; expected one of "
                     f"{versions.OLDEST} ... {versions.LATEST} (docs/stripe-compatibility.md)")
    else:
        os.environ[versions.ENV_DEFAULT] = args.api_version
    if args.cache_mb is not None:
        os.environ["CHECKOUT_GATEWAY_CACHE_MB"] = str(args.cache_mb)
    else:
        os.environ.pop("CHECKOUT_GATEWAY_CACHE_MB", None)
    from .background import apply_arguments

    try:
        apply_arguments(args)
    except ValueError as err:
        parser.error(str(err))
    from .faults import server_environment

    try:
        admin_note = server_environment(args.faults, args.admin_token, args.admin_remote, args.workers)
    except ValueError as err:
        parser.error(str(err))
    # The database schema is created once here, before the server processes share it.
    from .store.db import Store

    try:
        Store(db, page_size=args.page_size).close() if db != ":memory:" else None
    except Exception as err:  # sqlite3 errors: a directory, a non-database file, no permission
        parser.error(f"--db {db}: cannot open as a SQLite database ({err})")

    try:
        sock = listen(args.host, args.port)
    except OSError as err:
        parser.error(f"cannot listen on {args.host}:{args.port}: {err.strerror}")
    host, port = sock.getsockname()[:2]
    print(f"mock gateway listening on http://{host}:{port} (db {db}, {args.workers} process(es)); Ctrl-C stops it", flush=True)
    print(admin_note, flush=True)
    serve("mock_gateway.app:app_from_env", sock, workers=args.workers, log_level=args.log_level, server=args.server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
