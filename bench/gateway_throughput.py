"""Gateway throughput: create+confirm PaymentIntent pairs over 32 keep-alive loopback connections.

For each worker count it starts the gateway on a fresh SQLite file (WAL) on a free loopback port,
warms it up, then drives a fixed number of pairs with `wrk` (Debian's package; a Lua script does
create, then confirm with the id the create answered, with an Idempotency-Key on every POST, as
Stripe's SDKs send). The same load then runs against a minimal Starlette+uvicorn app on the same
server stack (bench/minimal_server.py), and the ratio says how much of the floor the gateway keeps.

Printed per target: pairs/s, requests/s, p50/p99 latency per request and per pair, the server's
CPU time per pair (all its processes), and the machine's load (the cores are shared). Figures are
printed, never asserted: this is not a test.

    python bench/gateway_throughput.py                       # workers 1 and 2, 16,000 pairs each
    python bench/gateway_throughput.py --workers 2 --pairs 32000 --json runs/bench.json

Without wrk (`sudo apt-get install -y wrk`) it says so and falls back to bench/pairs_client.py,
an asyncio raw-HTTP client that costs more CPU on the same cores (so it under-reports a little).
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.servers import GatewayProcess, ManagedProcess  # noqa: E402

BENCH = Path(__file__).resolve().parent
TARGET_PAIRS_PER_S = 1000  # the floor the gateway was first built to (2 workers, this machine)
TARGET_RATIO = 0.6  # of the minimal app's pairs/s in the same run, what the speed issue asks


@dataclass
class Result:
    target: str
    server: str
    workers: int
    pairs: int
    failures: int
    requests: int
    seconds: float
    request_p50_ms: float
    request_p99_ms: float
    pair_p50_ms: float
    pair_p99_ms: float
    server_cpu_ms_per_pair: float
    machine_busy: float  # share of all cores busy during the run, every process included
    load_before: float
    first_failure: str
    bytes_per_pair: float = 0.0  # the database file (WAL checkpointed into it) over the intents stored

    @property
    def pairs_per_s(self) -> float:
        return self.pairs / self.seconds if self.seconds else 0.0

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# -- measuring the machine and the server --------------------------------------------------------


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _group_cpu_seconds(pgid: int) -> float:
    """User+system CPU time of every live process in a process group (the server and its workers)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # field 5 of stat: process group
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# -- driving the load ----------------------------------------------------------------------------


def _drive(url: str, connections: int, per_connection: int, tag: str, client: str, timeout: float) -> dict:
    """Run one fixed-size load and return the RESULT dictionary the load generator printed."""
    if client == "wrk":
        argv = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{int(timeout)}s", "--timeout", "10s",
                "-s", str(BENCH / "wrk_pairs.lua"), url, "--", str(per_connection), tag]
    else:
        argv = [sys.executable, str(BENCH / "pairs_client.py"), url, "--connections", str(connections),
                "--pairs-per-connection", str(per_connection), "--tag", tag]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finished, lines = 0, []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("finished "):
                finished += 1
                if finished == connections:  # wrk waits for -d otherwise: ask it to report now
                    proc.send_signal(signal.SIGINT)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for line in lines:
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{argv[0]} gave no result:\n{''.join(lines[-20:])}")


def measure(target: str, url: str, pgid: int, workers: int, args: argparse.Namespace) -> Result:
    server = args.server
    per_connection = max(1, args.pairs // args.connections)
    _drive(url, args.connections, args.warmup, f"warm-{time.time_ns()}", args.client, 120)
    load_before = os.getloadavg()[0]
    busy0, total0 = _cpu_times()
    cpu0 = _group_cpu_seconds(pgid)
    raw = _drive(url, args.connections, per_connection, f"run-{time.time_ns()}", args.client, args.timeout)
    cpu1 = _group_cpu_seconds(pgid)
    busy1, total1 = _cpu_times()
    pairs = raw["pairs"]
    return Result(
        target=target,
        server=server,
        workers=workers,
        pairs=pairs,
        failures=raw["failures"] + raw["socket_errors"] + raw["timeouts"],
        requests=raw["requests"],
        seconds=raw["span_us"] / 1e6,
        request_p50_ms=raw["request_p50_us"] / 1000,
        request_p99_ms=raw["request_p99_us"] / 1000,
        pair_p50_ms=raw["pair_p50_us"] / 1000,
        pair_p99_ms=raw["pair_p99_us"] / 1000,
        server_cpu_ms_per_pair=(cpu1 - cpu0) * 1000 / pairs if pairs else 0.0,
        machine_busy=(busy1 - busy0) / max(1, total1 - total0),
        load_before=load_before,
        first_failure=raw["first_failure"],
    )


def run_gateway(workers: int, directory: Path, args: argparse.Namespace) -> Result:
    db = args.db or directory / f"gateway-{workers}w.sqlite3"
    extra = ["--server", args.server] + (["--cache-mb", str(args.cache_mb)] if args.cache_mb else [])
    if args.prefill:
        fill(db, args.prefill)
    with GatewayProcess(db, workers=workers, log_path=directory / f"gateway-{workers}w.log", extra_args=extra) as gateway:
        result = measure("gateway", gateway.url, gateway.proc.pid, workers, args)
    result.bytes_per_pair = stored_bytes_per_pair(db)
    return result


def fill(db: Path, pairs: int) -> None:
    started = time.perf_counter()
    prefill(db, pairs)
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT count(*) FROM objects WHERE type = 'payment_intent'").fetchone()[0]
    conn.close()
    print(f"  prefilled {stored:,} pairs in {time.perf_counter() - started:.0f} s, {db.stat().st_size / stored:,.0f} B/pair",
          flush=True)


def prefill(db: Path, pairs: int, *, chunk: int = 20_000, processes: int = 2) -> None:
    """Store `pairs` create+confirm pairs before the run, directly in the stored format (not over HTTP).

    One real pair is made through the gateway's own pipeline; every row it wrote (intent, card, charge, balance
    transaction, events, Idempotency-Key records) becomes a template in which each id's tail is a slot, and each
    copy fills the slots with its own counter and packs its values again (store/packing.py), so the tables and
    indexes hold what that many pairs would leave: distinct ids in the columns, indexes and JSON. `processes`
    make the copies' rows (packing is most of the work) while this one inserts them, without a journal (a bench
    database: a crash while filling loses it); the file is in WAL mode again afterwards, as the gateway uses it."""
    from mock_gateway.api.forms import parse_form
    from mock_gateway.api.gateway import Gateway
    from mock_gateway.app import ROUTES
    from mock_gateway.store.db import Store

    global _TEMPLATE
    store = Store(db, background_checkpoints=False)
    try:
        gateway = Gateway(store)
        create = next(r for r in ROUTES if r.method == "POST" and r.path == "/v1/payment_intents")
        confirm = next(r for r in ROUTES if r.method == "POST" and r.path == "/v1/payment_intents/{id}/confirm")
        _, body, _ = gateway.execute(create, "sk_test_bench", parse_form(b"amount=1980&currency=jpy"), {}, "prefill-c",
                                     "req_prefill", "http://127.0.0.1")
        pi = json.loads(body)["id"]
        gateway.execute(confirm, "sk_test_bench", parse_form(b"payment_method=pm_card_visa"), {"id": pi}, "prefill-f",
                        "req_prefill", "http://127.0.0.1")
        objects = store.conn.execute("SELECT id, type, created, customer, parent, kind, data FROM objects ORDER BY seq").fetchall()
        keys = store.conn.execute("SELECT api_key, key, method, path, fingerprint, status, body, created FROM idempotency").fetchall()
    finally:
        store.close()
    _TEMPLATE = _Template(objects, keys)
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB: the indexes' right edges stay in memory
        ranges = [(n, min(n + chunk, pairs - 1)) for n in range(0, pairs - 1, chunk)]
        stop = _StopBetweenChunks()
        with multiprocessing.get_context("fork").Pool(processes, initializer=_default_signals) as pool:
            waiting: collections.deque = collections.deque()  # chunks being made: a few, or memory fills up
            for done, span in enumerate(ranges, 1):
                waiting.append(pool.apply_async(_prefill_rows, (span,)))
                if len(waiting) <= 2 * processes and done < len(ranges):
                    continue
                object_rows, key_rows = waiting.popleft().get()
                _insert_chunk(conn, object_rows, key_rows)
                if done % 25 == 0:
                    print(f"  prefilled {(done - len(waiting)) * chunk:,} of {pairs:,} pairs", flush=True)
                if stop.asked:
                    break
            while waiting:  # stopped: the chunks under way are made and left out
                rows = waiting.popleft().get()
                if not stop.asked:
                    _insert_chunk(conn, *rows)
            pool.close()
            pool.join()
        if stop.asked:
            print("  stopped between chunks", flush=True)
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def _insert_chunk(conn: sqlite3.Connection, object_rows: list[tuple], key_rows: list[tuple]) -> None:
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO objects (id, type, created, customer, parent, kind, data) VALUES (?,?,?,?,?,?,?)", object_rows)
    conn.executemany("INSERT INTO idempotency (api_key, key, method, path, fingerprint, status, body, created) "
                     "VALUES (?,?,?,?,?,?,?,?)", key_rows)
    conn.execute("COMMIT")


class _StopBetweenChunks:
    """SIGINT or SIGTERM while filling: stop after the chunk being inserted (the file has no journal, so a
    transaction cut short would leave it damaged); what is stored by then stays usable."""

    def __init__(self) -> None:
        self.asked = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.ask)

    def ask(self, *_: object) -> None:
        self.asked = True


def _default_signals() -> None:
    """In a pool process: SIGINT and SIGTERM ignored (the filling process stops between chunks and closes the pool)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


class _Template:
    """The rows of one pair, with a slot where each copy's counter goes (the last `TAG` characters of every id)."""

    TAG = 12

    def __init__(self, objects: list[tuple], keys: list[tuple]) -> None:
        from mock_gateway.store import packing

        self.ids = [row[0] for row in objects]
        self.objects = [(self.slots(r[0]), r[1], r[2], r[3], self.slots(r[4]), r[5], self.value(r[6])) for r in objects]
        self.keys = [(r[0], self.slots(r[1] + "-" + "\0"), r[2], self.slots(r[3]), r[4], r[5], self.value(r[6]), r[7])
                     for r in keys]
        self.pack = packing.pack

    def slots(self, text: str | None) -> list[str] | None:
        """`text` cut where a copy's counter goes: the copy is counter.join(pieces)."""
        if text is None:
            return None
        for old in self.ids:
            text = text.replace(old, old[: len(old) - self.TAG] + "\0")
        return text.split("\0")

    def value(self, data: str | bytes) -> tuple[bool, list[str] | None]:
        """(packed?, the JSON's pieces) of a stored value."""
        from mock_gateway.store import packing

        packed = isinstance(data, bytes) and data[:1] != b"{"
        return packed, self.slots(packing.unpack(data).decode())

    def fill(self, pieces: tuple[bool, list[str]], tag: str) -> str | bytes:
        packed, text = pieces
        return self.pack(tag.join(text).encode()) if packed else tag.join(text)


_TEMPLATE: _Template | None = None


def _prefill_rows(span: tuple[int, int]) -> tuple[list[tuple], list[tuple]]:
    """The rows of copies `span[0]` .. `span[1]` - 1 (in a pool process, from the template it was forked with)."""
    template = _TEMPLATE
    assert template is not None
    object_rows, key_rows = [], []
    for i in range(*span):
        tag = f"{i:0{template.TAG}d}"
        object_rows += [(tag.join(r[0]), r[1], r[2], r[3], tag.join(r[4]) if r[4] else None, r[5], template.fill(r[6], tag))
                        for r in template.objects]
        key_rows += [(r[0], tag.join(r[1]), r[2], tag.join(r[3]), r[4], r[5], template.fill(r[6], tag), r[7])
                     for r in template.keys]
    return object_rows, key_rows


def stored_bytes_per_pair(db: Path) -> float:
    """Bytes the database holds per create+confirm pair (warm-up pairs included): its pages in use, after the WAL
    is copied in, over the PaymentIntents stored. Read once the gateway has stopped."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "freelist_count", "page_size"))
        intents = conn.execute("SELECT count(*) FROM objects WHERE type = 'payment_intent'").fetchone()[0]
        if intents and pages * size < 4 << 30:  # dbstat reads every page: not over a prefilled ledger of many GB
            print("  stored per pair: " + ", ".join(f"{name} {used / intents:,.0f} B" for name, used in _bytes_by_table(conn)),
                  flush=True)
    finally:
        conn.close()
    return (pages - free) * size / intents if intents else 0.0


def _bytes_by_table(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Pages in use per table and index (SQLite's dbstat table, when compiled in), largest first."""
    try:
        return conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8").fetchall()
    except sqlite3.OperationalError:  # built without SQLITE_ENABLE_DBSTAT_VTAB
        return []


def run_minimal(workers: int, directory: Path, args: argparse.Namespace) -> Result:
    server = ManagedProcess([sys.executable, str(BENCH / "minimal_server.py"), "--port", "0", "--workers", str(workers),
                             "--server", args.server],
                            log_path=directory / f"minimal-{workers}w.log")
    try:
        url = server.wait_url()
        return measure("minimal app", url, server.proc.pid, workers, args)
    finally:
        server.stop()


# -- report ---------------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    header = (f"{'target':<12} {'workers':>7} {'pairs':>6} {'fail':>4} {'pairs/s':>8} {'req/s':>7} {'req p50':>8} "
              f"{'req p99':>8} {'pair p50':>9} {'pair p99':>9} {'cpu/pair':>9} {'busy':>5} {'load':>5} {'B/pair':>7}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.target:<12} {r.workers:>7} {r.pairs:>6} {r.failures:>4} {r.pairs_per_s:>8.0f} {r.requests_per_s:>7.0f} "
              f"{r.request_p50_ms:>6.2f}ms {r.request_p99_ms:>6.2f}ms {r.pair_p50_ms:>7.2f}ms {r.pair_p99_ms:>7.2f}ms "
              f"{r.server_cpu_ms_per_pair:>7.2f}ms {r.machine_busy:>5.0%} {r.load_before:>5.2f}"
              + (f" {r.bytes_per_pair:>7.0f}" if r.bytes_per_pair else ""))
    for r in results:
        if r.first_failure:
            print(f"first failure ({r.target}, {r.workers} worker(s)): {r.first_failure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create+confirm throughput of the mock gateway against a minimal app.")
    parser.add_argument("--pairs", type=int, default=16000, help="create+confirm pairs per measured run (default %(default)s)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections (default %(default)s)")
    parser.add_argument("--workers", default="1,2", help="comma-separated gateway worker counts to measure (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=20, help="pairs per connection before measuring (default %(default)s)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator: wrk (preferred) or the asyncio fallback (default: wrk when installed)")
    parser.add_argument("--no-minimal", action="store_true", help="skip the minimal-app comparison")
    parser.add_argument("--timeout", type=float, default=600, help="upper bound of one measured run, seconds")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn",
                        help="ASGI server of both the gateway and the minimal app (default %(default)s)")
    parser.add_argument("--cache-mb", type=int, default=None, metavar="MB",
                        help="the gateway's SQLite page cache per process (its --cache-mb; default the gateway's)")
    parser.add_argument("--prefill", type=int, default=0, metavar="N",
                        help="store N create+confirm pairs in the gateway's database before measuring (default none)")
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="the gateway's database file, kept afterwards (default: a fresh one in a temporary directory). "
                             "With --prefill-only, fill it and stop; later runs with --db measure on what it holds")
    parser.add_argument("--prefill-only", action="store_true", help="with --db and --prefill: fill the database and stop")
    args = parser.parse_args(argv)
    try:
        worker_counts = [int(w) for w in args.workers.split(",")]
    except ValueError:
        parser.error(f"--workers expects numbers such as 1,2; found {args.workers!r}")
    if args.pairs < args.connections or args.connections < 1 or any(w < 1 for w in worker_counts):
        parser.error("--pairs must be at least --connections, and --connections and --workers at least 1")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
        if args.client == "python":
            print("wrk is not installed (Debian: sudo apt-get install -y wrk); falling back to bench/pairs_client.py,"
                  " which shares the cores with the server and so under-reports a little.", file=sys.stderr)
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed: sudo apt-get install -y wrk (or --client python)")

    if args.prefill < 0:
        parser.error(f"--prefill must be 0 or more, found {args.prefill}")
    if args.db is not None and args.prefill and args.db.exists():
        parser.error(f"--db {args.db} exists already: --prefill fills a new database")
    if args.prefill_only:
        if args.db is None or not args.prefill:
            parser.error("--prefill-only needs --db PATH and --prefill N")
        fill(args.db, args.prefill)
        return 0
    if args.db is not None and len(worker_counts) > 1:
        parser.error("--db measures one database: give one --workers count")
    print(f"{args.pairs} create+confirm pairs over {args.connections} keep-alive connections, client {args.client}, "
          f"server {args.server}, prefilled {args.prefill}, "
          f"{os.cpu_count()} cores, load average before {os.getloadavg()[0]:.2f}", flush=True)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        for workers in worker_counts:
            results.append(run_gateway(workers, Path(tmp), args))
            print_progress(results[-1])
            if not args.no_minimal:
                results.append(run_minimal(workers, Path(tmp), args))
                print_progress(results[-1])
    print()
    print_table(results)
    print()
    for workers in worker_counts:
        gw = next(r for r in results if r.target == "gateway" and r.workers == workers)
        floor = next((r for r in results if r.target == "minimal app" and r.workers == workers), None)
        ratio = ""
        if floor:
            share = gw.pairs_per_s / floor.pairs_per_s
            ratio = (f", {share:.0%} of the minimal app's {floor.pairs_per_s:.0f} ({'meets' if share >= TARGET_RATIO else 'misses'} "
                     f"the {TARGET_RATIO:.0%} asked)")
        verdict = "meets" if gw.pairs_per_s >= TARGET_PAIRS_PER_S else "misses"
        print(f"{workers} worker(s): gateway {gw.pairs_per_s:.0f} pairs/s{ratio}; {verdict} the floor of "
              f"{TARGET_PAIRS_PER_S} pairs/s")
    print("busy = share of all cores busy during the run (every process on the machine, the load generator too); "
          "cpu/pair = the server's own CPU time per pair, all its processes; B/pair = database bytes stored per pair")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([{**r.__dict__, "pairs_per_s": r.pairs_per_s, "requests_per_s": r.requests_per_s}
                                         for r in results], indent=2))
    return 0


def print_progress(r: Result) -> None:
    print(f"  {r.target}, {r.workers} worker(s): {r.pairs_per_s:.0f} pairs/s, request p50 {r.request_p50_ms:.2f} ms "
          f"p99 {r.request_p99_ms:.2f} ms", flush=True)


if __name__ == "__main__":
    sys.exit(main())
