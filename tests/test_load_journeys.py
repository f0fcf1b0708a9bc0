"""Journeys on the load's Locust workers: the shares, the master's book, and a real run on loopback
(a master and two local workers, a real gateway, Chromium), with Locust only in subprocesses."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.journeys.locust_shares import ShareBook, WorkerJourneys, processes_per_worker, read_received, split_by_person, write_journeys
from harness.journeys.plan import assign

PERSONAS = [("desktop-typical", 1.0), ("phone-typical", 1.0)]


# -- shares -------------------------------------------------------------------------------------

@given(st.lists(st.sampled_from(["baseline", "inline-best", "steps"]), min_size=1, max_size=3, unique=True),
       st.integers(1, 30), st.integers(0, 2**31), st.integers(1, 6))
@settings(max_examples=60, deadline=None)
def test_shares_hold_every_journey_once_with_each_person_on_one_worker(variants, count, seed, parts):
    plan = assign(variants, PERSONAS, count, seed)
    shares = split_by_person(plan, parts)
    assert shares == split_by_person(assign(variants, PERSONAS, count, seed), parts)  # deterministic by seed
    assert len(shares) == parts
    flat = [a for share in shares for a in share]
    assert Counter(a.journey_id for a in flat) == Counter(a.journey_id for a in plan) and len(flat) == len(plan)
    owner = {}
    for k, share in enumerate(shares):
        for a in share:
            assert owner.setdefault(a.journey_id.split("-", 1)[0], k) == k  # a person's variants stay together
        assert len(share) % len(variants) == 0
    persons = [len(share) // len(variants) for share in shares]
    assert max(persons) - min(persons) <= 1
    # within a share, plan order (variants interleaved) is kept
    for share in shares:
        assert share == [a for a in plan if a in share]


def test_processes_are_the_runs_total_spread_over_workers():
    assert [processes_per_worker(n, 2) for n in (1, 2, 3, 4)] == [1, 1, 2, 2]
    assert processes_per_worker(1, 5) == 1 and processes_per_worker(0, 1) == 1


# -- the master's book --------------------------------------------------------------------------

def _record(jid: str, **extra) -> dict:
    return {"journey_id": jid, "outcome": "success", "human_ms": 1.0, "system_ms": 1.0, "fields": {}, **extra}


def _book(tmp_path: Path, parts: int = 2):
    plan = assign(["baseline", "inline-best"], PERSONAS, 3, 7)
    shares = dict(zip([f"w{i}" for i in range(parts)], split_by_person(plan, parts)))
    return plan, shares, ShareBook(plan, tmp_path, shares, {s: "hostA" for s in shares})


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_a_record_that_arrives_twice_is_written_once(tmp_path: Path):
    plan, shares, book = _book(tmp_path)
    w0 = [_record(a.journey_id, worker="w0") for a in shares["w0"]]
    assert book.add("w0", w0[:2]) == 2
    assert book.add("w0", w0[:2]) == 0  # the same message again
    assert book.add("w0", w0) == len(w0) - 2  # a resend that overlaps
    assert book.add("w0", [_record("j99999-nope")]) == 0 and book.unknown == 1
    assert book.duplicates == 2 + 2
    assert book.missing("w0") == [] and book.done("w0", 0) == [] and book.state["w0"] == "done"
    book.add("w1", [_record(a.journey_id) for a in shares["w1"]] * 2)
    assert book.done("w1", 0) == [] and book.finished and book.exit_code() == 0
    book.finish("done", 0)
    rows = _lines(tmp_path / "journeys.jsonl")
    assert [r["journey_id"] for r in rows] == sorted(a.journey_id for a in plan)  # each once, in journey order
    assert {r["journey_id"]: r["worker"] for r in rows} == {a.journey_id: s for s, sh in shares.items() for a in sh}
    # received.jsonl (written as records arrive) holds each journey once too
    assert sorted(read_received(tmp_path)) == sorted(a.journey_id for a in plan)
    assert len((tmp_path / "journeys.d" / "received.jsonl").read_text().splitlines()) == len(plan)
    progress = json.loads((tmp_path / "journeys.d" / "progress.json").read_text())
    assert progress["phase"] == "done" and progress["done"] == len(plan) and progress["duplicates"] == book.duplicates


def test_done_asks_again_for_lost_records_and_fails_the_never_produced(tmp_path: Path):
    _plan, shares, book = _book(tmp_path)
    w0 = [a.journey_id for a in shares["w0"]]
    book.add("w0", [_record(w0[0])])
    # the worker produced all of them: the master lacks some, so it asks again (a RECORDS message was lost)
    assert book.done("w0", 0, w0) == w0[1:] and book.state["w0"] == "running"
    book.add("w0", [_record(jid) for jid in w0])  # the resend (with a copy of the first one)
    assert book.done("w0", 0, w0) == [] and book.state["w0"] == "done" and book.exits["w0"] == 0
    assert book.done("w0", 0, w0) == []  # DONE again (the ACK was lost): nothing changes
    # w1's processes crashed after one journey: the rest are failed records naming the exit code and the logs
    w1 = [a.journey_id for a in shares["w1"]]
    book.add("w1", [_record(w1[0])])
    assert book.done("w1", 1, w1[:1], logs="/tmp/x/logs") == []
    assert book.state["w1"] == "done" and book.finished and book.exit_code() == 1
    for jid in w1[1:]:
        r = book.records[jid]
        assert r["outcome"] == "failed" and "exit code 1" in r["error"] and "/tmp/x/logs on hostA" in r["error"]
    assert book.records[w1[0]]["outcome"] == "success"


def test_a_stopped_share_leaves_unfinished_journeys_out(tmp_path: Path):
    _plan, shares, book = _book(tmp_path)
    first = shares["w0"][0].journey_id
    book.add("w0", [_record(first)])
    assert book.done("w0", 130, [first], stopped=True) == [] and book.state["w0"] == "stopped"
    assert set(book.records) == {first}
    book.done("w1", 130, [], stopped=True)
    assert book.finished and book.exit_code(interrupted=True) == 130


def test_a_failure_trace_sent_back_is_written_to_traces(tmp_path: Path):
    _plan, shares, book = _book(tmp_path)
    jid = shares["w1"][0].journey_id
    book.add("w1", [_record(jid, outcome="failed", trace=f"traces/{jid}.zip", trace_zip=b"PK\x03\x04zip")])
    book.add("w1", [_record(jid, trace_zip=b"other")])  # a copy does not overwrite it
    assert (tmp_path / "traces" / f"{jid}.zip").read_bytes() == b"PK\x03\x04zip"
    assert book.records[jid]["trace"] == f"traces/{jid}.zip" and "trace_zip" not in book.records[jid]


def test_a_lost_worker_leaves_its_unfinished_journeys_failed_with_the_reason(tmp_path: Path):
    _plan, shares, book = _book(tmp_path)
    first = shares["w1"][0].journey_id
    book.add("w1", [_record(first)])
    book.add("w0", [_record(a.journey_id) for a in shares["w0"]])
    book.done("w0", 0)
    assert book.silent(now=time.monotonic() + 5, after_s=15) == []
    assert book.silent(now=time.monotonic() + 20, after_s=15) == ["w1"]  # w0 is done, never lost
    n = book.give_up("w1", "lost", "worker w1 (hostA) lost: nothing heard for 15 s with journeys unfinished")
    assert n == len(shares["w1"]) - 1 and book.finished and book.exit_code() == 1
    assert book.add("w1", [_record(a.journey_id) for a in shares["w1"]]) == 0  # late records: already accounted for
    book.finish("done", 1)
    rows = {r["journey_id"]: r for r in _lines(tmp_path / "journeys.jsonl")}
    assert rows[first]["outcome"] == "success"
    for a in shares["w1"][1:]:
        r = rows[a.journey_id]
        assert (r["outcome"], r["reason"], r["worker"], r["worker_host"]) == ("failed", "technical failure", "w1", "hostA")
        assert "lost" in r["error"] and r["variant"] == a.variant and r["persona"] == a.persona and r["seed"] == a.seed


def test_a_share_must_cover_the_plan_exactly(tmp_path: Path):
    plan = assign(["baseline"], PERSONAS, 4, 1)
    with pytest.raises(ValueError):
        ShareBook(plan, tmp_path, {"w0": plan[:2], "w1": plan[1:]})


def test_the_run_keeps_what_came_back_when_the_load_process_dies(tmp_path: Path):
    _plan, shares, book = _book(tmp_path)
    book.add("w0", [_record(a.journey_id) for a in shares["w0"]])
    book.write_progress("running")

    class DeadLoad:
        def wait(self, timeout=None):
            return -9

        def stop(self):
            pass

    part = WorkerJourneys(DeadLoad(), tmp_path, 6)
    assert part.poll()["journeys"] == f"{len(shares['w0'])}/6"
    assert part.wait(1) == 1
    assert [r["journey_id"] for r in _lines(tmp_path / "journeys.jsonl")] == sorted(a.journey_id for a in shares["w0"])
    write_journeys(tmp_path, [])  # an empty run still has the file
    assert (tmp_path / "journeys.jsonl").read_text() == ""


# -- a real run: a master and two local workers ------------------------------------------------

def _journey_processes(marker: str) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "harness.journeys.browser_worker" in cmd and marker in cmd:
            out.append(int(pid))
    return out


@pytest.mark.slow
@pytest.mark.browser
def test_two_local_workers_run_the_journeys_and_every_record_comes_back_once(tmp_path: Path, monkeypatch):
    from harness.browser import BrowserNotFound, launch_options
    from harness.journeys.locust_shares import journeys_spec
    from harness.load import start_load
    from harness.servers import GatewayProcess
    from scenarios.load import parse_load
    from scenarios.scenario import JourneyPlan

    try:
        launch_options()
    except BrowserNotFound as err:
        pytest.skip(str(err))
    # every RECORDS message is sent twice by the workers: the master must keep one copy of each
    monkeypatch.setenv("CHECKOUT_HARNESS_JOURNEYS_SEND_TWICE", "1")
    plan = JourneyPlan(variants=("baseline", "inline-best"), personas=tuple(PERSONAS), count=2, pace="instant",
                       concurrency=2, processes=2, timeout_s=120.0, currency="usd", amount=4980)
    load = parse_load({"model": "open", "shape": "soak", "duration": "3s", "soak": {"rate": 2},
                       "mix": {"card_success": 1.0, "refund_share": 0, "retrieve_share": 0, "list_share": 0}}, "test.toml")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    started = time.monotonic()
    with GatewayProcess(tmp_path / "gw.sqlite3") as gw:
        spec = journeys_spec(plan, gw.url, run_dir, seed=11, api_key="sk_test_journeys_workers")
        run = start_load(load, gw.url, run_dir / "load", workers=2, seed=11, journeys=spec)
        part = WorkerJourneys(run, run_dir, len(spec["assignments"]))
        try:
            code = part.wait(240)
            load_code = run.wait(60)
        finally:
            part.stop()
            run.stop(grace=5)
    elapsed = time.monotonic() - started
    assert code == 0 and load_code == 0, (run_dir / "load" / "locust.log").read_text()[-3000:]
    planned = {a["journey_id"]: a for a in spec["assignments"]}
    rows = _lines(run_dir / "journeys.jsonl")
    ids = [r["journey_id"] for r in rows]
    assert Counter(ids) == Counter(list(planned)), "every planned journey exactly once"
    by_worker = Counter(r["worker"] for r in rows)
    assert set(by_worker) == {"w0", "w1"} and sum(by_worker.values()) == 4  # split across both workers
    for r in rows:
        a = planned[r["journey_id"]]
        assert (r["variant"], r["persona"], r["seed"]) == (a["variant"], a["persona"], a["seed"])
        assert r["outcome"] in ("success", "abandoned", "error"), r.get("error")
        assert r["human_ms"] > 10_000 and r["system_ms"] > 0 and r["fields"] and r["steps"]
        assert r["traits"]["device"] in ("desktop", "phone") and r["worker_host"]
        if r["outcome"] == "success":
            assert r["payment_intent"].startswith("pi_") and r["checkout_session"].startswith("cs_")
        else:
            assert r["reason"] and r["ended_step"]
    # a person's journeys on every variant ran on the same worker
    persons = {}
    for r in rows:
        assert persons.setdefault(r["journey_id"].split("-", 1)[0], r["worker"]) == r["worker"]
    progress = json.loads((run_dir / "journeys.d" / "progress.json").read_text())
    assert progress["phase"] == "done" and progress["exit"] == 0 and progress["done"] == 4
    assert progress["duplicates"] >= 4, "the copies were sent and dropped"
    assert {w["state"] for w in progress["workers"].values()} == {"done"}
    summary = json.loads((run_dir / "load" / "summary.json").read_text())
    assert summary["incomplete"] is False and summary["started"] == 6 and summary["failures"] == 0
    # the workers ran their shares in their own processes, all gone now
    assert (run_dir / "journeys.d" / "w0" / "journeys.d").is_dir() and (run_dir / "journeys.d" / "w1" / "journeys.d").is_dir()
    assert _journey_processes(str(run_dir)) == []
    print(f"\n4 journeys on 2 workers with 6 load orders: {elapsed:.1f} s")


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.slow
@pytest.mark.browser
def test_a_worker_killed_mid_share_has_its_journeys_recorded_failed_and_leaves_no_process(tmp_path: Path):
    import signal

    from harness.browser import BrowserNotFound, launch_options
    from harness.journeys.locust_shares import journeys_spec
    from harness.load import start_load
    from harness.servers import GatewayProcess
    from scenarios.load import parse_load
    from scenarios.scenario import JourneyPlan

    try:
        launch_options()
    except BrowserNotFound as err:
        pytest.skip(str(err))
    plan = JourneyPlan(variants=("baseline", "inline-best"), personas=tuple(PERSONAS), count=2, pace="instant",
                       concurrency=2, processes=2, timeout_s=120.0, currency="usd", amount=4980)
    load = parse_load({"model": "open", "shape": "soak", "duration": "2s", "drain": "1s", "soak": {"rate": 1},
                       "mix": {"card_success": 1.0, "refund_share": 0, "retrieve_share": 0, "list_share": 0}}, "test.toml")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with GatewayProcess(tmp_path / "gw.sqlite3") as gw:
        spec = {**journeys_spec(plan, gw.url, run_dir, seed=12, api_key="sk_test_journeys_lost"), "lost_after_s": 4.0}
        run = start_load(load, gw.url, run_dir / "load", workers=2, seed=12, journeys=spec)
        part = WorkerJourneys(run, run_dir, len(spec["assignments"]))
        try:
            deadline = time.monotonic() + 60
            while len(_journey_processes(str(run_dir))) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            victim_journeys = _journey_processes(str(run_dir))[0]
            cmd = Path(f"/proc/{victim_journeys}/cmdline").read_bytes().decode(errors="replace")
            victim = cmd.split("/journeys.d/")[1].split("/")[0]  # run/journeys.d/<source>/journeys.d/worker-0.spec.json
            os.kill(_parent(victim_journeys), signal.SIGKILL)  # the Locust worker, mid-share
            code = part.wait(180)
        finally:
            part.stop()
            run.stop(grace=5)
    assert code == 1
    rows = _lines(run_dir / "journeys.jsonl")
    assert Counter(r["journey_id"] for r in rows) == Counter(a["journey_id"] for a in spec["assignments"])
    survivor = ({"w0", "w1"} - {victim}).pop()
    for r in rows:
        if r["worker"] == victim:
            assert (r["outcome"], r["reason"]) == ("failed", "technical failure") and "lost" in r["error"], r
        else:
            assert r["worker"] == survivor and r["outcome"] in ("success", "abandoned", "error"), r.get("error")
    assert Counter(r["worker"] for r in rows) == {victim: 2, survivor: 2}
    progress = json.loads((run_dir / "journeys.d" / "progress.json").read_text())
    assert progress["workers"][victim]["state"] == "lost" and progress["workers"][survivor]["state"] == "done"
    # the dead worker's journeys processes got SIGTERM when it died (none left running its share)
    deadline = time.monotonic() + 15
    while _journey_processes(str(run_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _journey_processes(str(run_dir)) == []


# -- `checkout-harness run --workers 2` end to end -------------------------------------------------

SCENARIO = """
name = "journeys-on-workers"
seed = 21
max_duration = "3m"

[load]
model = "open"
shape = "soak"
duration = "DURATION"
drain = "2s"

[load.soak]
rate = 2

[load.mix]
card_success = 1.0
refund_share = 0
retrieve_share = 0
list_share = 0

[journeys]
variants = ["baseline", "inline-best"]
personas = ["desktop-typical", "phone-typical"]
count = COUNT
concurrency = 2
processes = 2
currency = "usd"
"""


def _run_processes(run_dir: Path, pids: set[int]) -> list[str]:
    """Processes of this run still alive: those naming the run directory, and the given pids."""
    import psutil

    alive = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
        except psutil.Error:
            continue
        if p.info["pid"] in pids or str(run_dir) in cmd:
            alive.append(f"{p.info['pid']} {cmd}")
    return alive


def _locust_workers(load_pid: int) -> set[int]:
    import psutil

    try:
        return {c.pid for c in psutil.Process(load_pid).children() if "harness.load.locust_worker" in " ".join(c.cmdline())}
    except psutil.Error:
        return set()


@pytest.mark.slow
@pytest.mark.browser
def test_run_with_two_workers_gives_one_record_per_journey_from_the_workers(tmp_path: Path):
    import subprocess
    import sys

    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.replace("DURATION", "4s").replace("COUNT", "2"))
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "harness", "run", str(scenario), "--workers", "2", "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    run = json.loads((out / "run.json").read_text())
    assert run["complete"] is True, run["incomplete_reason"]
    rows = _lines(out / "journeys.jsonl")
    planned = [a.journey_id for a in assign(["baseline", "inline-best"], PERSONAS, 2, 21)]
    assert sorted(r["journey_id"] for r in rows) == sorted(planned)  # the same people a local run would make
    assert {r["worker"] for r in rows} == {"w0", "w1"}
    assert all(r["outcome"] in ("success", "abandoned", "error") for r in rows), [r.get("error") for r in rows]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["journeys"]["total"] == 4 and summary["load"]["requests"] > 0


@pytest.mark.slow
@pytest.mark.browser
def test_ctrl_c_with_journeys_on_workers_keeps_what_finished_and_leaves_no_process(tmp_path: Path):
    import signal
    import subprocess
    import sys

    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.replace("DURATION", "60s").replace("COUNT", "8"))
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "run", str(scenario), "--workers", "2", "--out", str(out), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:  # until a journey has come back from a worker
            if (out / "journeys.d" / "received.jsonl").exists() and (out / "journeys.d" / "received.jsonl").read_text():
                break
            spec = out / "load" / "spec.json"
            if not workers and spec.exists():
                for p in _run_processes(out, set()):
                    if "harness.load.process_main" in p:
                        workers = _locust_workers(int(p.split()[0]))
            time.sleep(0.3)
        else:
            pytest.fail("no journey came back")
        assert len(workers) == 2
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, output  # interrupted by SIGINT (harness/exit_codes.py)
    run = json.loads((out / "run.json").read_text())
    assert run["complete"] is False and "SIGINT" in run["incomplete_reason"]
    rows = _lines(out / "journeys.jsonl")
    ids = [r["journey_id"] for r in rows]
    assert rows and len(ids) == len(set(ids)) and len(ids) < 16  # what finished, each once
    assert all(r["worker"] in ("w0", "w1") for r in rows)
    progress = json.loads((out / "journeys.d" / "progress.json").read_text())
    assert progress["phase"] == "interrupted" and progress["done"] == len(rows)
    time.sleep(1)
    assert _run_processes(out, workers) == []


@pytest.mark.slow
def test_a_worker_that_cannot_run_its_share_has_every_journey_recorded_failed(tmp_path: Path, monkeypatch):
    """No browser on the workers' machine: the share's processes end at once; the master records each
    journey as failed with the exit code and where the logs are, once, and the run's part exits 1."""
    from harness.browser import BROWSER_ENV
    from harness.journeys.locust_shares import journeys_spec
    from harness.load import start_load
    from harness.servers import GatewayProcess
    from scenarios.load import parse_load
    from scenarios.scenario import JourneyPlan

    monkeypatch.setenv(BROWSER_ENV, str(tmp_path / "no-chromium-here"))
    plan = JourneyPlan(variants=("baseline",), personas=tuple(PERSONAS), count=3, processes=1)
    load = parse_load({"model": "open", "shape": "soak", "duration": "1s", "drain": "1s", "soak": {"rate": 1},
                       "mix": {"card_success": 1.0, "refund_share": 0, "retrieve_share": 0, "list_share": 0}}, "test.toml")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with GatewayProcess(tmp_path / "gw.sqlite3") as gw:
        spec = journeys_spec(plan, gw.url, run_dir, seed=3, api_key="sk_test_journeys_nobrowser")
        run = start_load(load, gw.url, run_dir / "load", workers=2, seed=3, journeys=spec)
        part = WorkerJourneys(run, run_dir, 3)
        try:
            code = part.wait(90)
            assert run.wait(30) == 0  # the load itself is fine
        finally:
            part.stop()
            run.stop(grace=5)
    assert code == 1
    rows = _lines(run_dir / "journeys.jsonl")
    assert [r["journey_id"] for r in rows] == sorted(a["journey_id"] for a in spec["assignments"])
    assert Counter(r["worker"] for r in rows) == {"w0": 2, "w1": 1}
    for r in rows:
        assert r["outcome"] == "failed" and "exit code" in r["error"] and "/logs on " in r["error"], r
    progress = json.loads((run_dir / "journeys.d" / "progress.json").read_text())
    assert {w["state"] for w in progress["workers"].values()} == {"done"} and progress["exit"] == 1
