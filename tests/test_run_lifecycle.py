"""A run's edges: signals while the reports are written, the lab failing (no browser, a part that
dies), a target that cannot do what the scenario asks, exit codes and junit.xml saying which."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness import exit_codes
from harness.ledger import export_ledger
from harness.preflight import TargetCannot, check_target
from harness.run import RunState, _check_faults_applied
from harness.runfiles import read_jsonl
from harness.servers import GatewayProcess
from harness.stripe_api import StripeApi
from reports.build import build_reports
from scenarios.scenario import parse_scenario
from tests.process_support import processes_of_run
from tests.stripe_stub import StripeStub

LOAD_ONLY = """
name = "lifecycle"
max_duration = "2m"
gates = ["integrity == true"]

[load]
model = "open"
shape = "soak"
duration = "DURATION"
drain = "1s"

[load.soak]
rate = 5

[load.mix]
card_success = 1.0
refund_share = 0
"""

JOURNEYS = """
name = "needs-a-browser"
[journeys]
variants = ["baseline"]
personas = ["desktop-typical"]
count = 1
"""


def _scenario(tmp_path: Path, duration: str = "2s", text: str = LOAD_ONLY) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text.replace("DURATION", duration), encoding="utf-8")
    return path


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def _run(args: list[str], env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})



def _wait_for_status(run_dir: Path, status: str, proc: subprocess.Popen, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            run = json.loads((run_dir / "run.json").read_text())
        except (FileNotFoundError, ValueError):
            run = {}
        if run.get("status") == status:
            return run
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"run.json never reached status {status!r}")


def _junit_suite(run_dir: Path) -> ET.Element:
    suite = ET.parse(run_dir / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    return suite


# -- signals while the reports are written -------------------------------------------------------


@pytest.mark.slow
def test_sigterm_while_reports_are_written_is_held_until_they_are(tmp_path: Path):
    out = tmp_path / "run"
    proc = _start(["run", str(_scenario(tmp_path)), "--out", str(out), "--quiet"],
                  env={"CHECKOUT_HARNESS_TEST_REPORT_DELAY_S": "3"})
    try:
        during = _wait_for_status(out, "reporting", proc)
        assert during["complete"] is False  # not complete before the reports exist
        assert not (out / "junit.xml").exists()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == exit_codes.PASSED, err
    assert "held" in err
    for name in ("summary.json", "summary.md", "junit.xml", "report.html"):
        assert (out / name).stat().st_size > 0, name
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "done" and run["complete"] is True
    assert json.loads((out / "summary.json").read_text())["run"]["complete"] is True
    assert not processes_of_run(out)


@pytest.mark.slow
def test_second_signal_cuts_the_reports_short_and_the_run_says_so(tmp_path: Path):
    out = tmp_path / "run"
    proc = _start(["run", str(_scenario(tmp_path)), "--out", str(out), "--quiet"],
                  env={"CHECKOUT_HARNESS_TEST_REPORT_DELAY_S": "30"})
    try:
        _wait_for_status(out, "reporting", proc)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "reports cut short" in err and "Traceback" not in err
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "reports cut short" and run["complete"] is False
    assert "second signal" in run["incomplete_reason"]
    assert (out / "load" / "summary.json").exists() and (out / "ledger" / "payment_intents.jsonl").exists()
    assert not list(out.rglob("*.tmp"))
    assert not processes_of_run(out)
    # what was kept is enough to build the reports later; run.json then says the run is complete
    rebuilt = _run(["report", str(out)])
    assert rebuilt.returncode == exit_codes.PASSED, rebuilt.stdout + rebuilt.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["complete"] is True and summary["load"]["requests"] > 0
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "done" and run["complete"] is True


# -- the lab failing: exit 3 and a junit <error> ------------------------------------------------


def test_no_browser_is_a_lab_failure_exit_3_with_a_junit_error(tmp_path: Path):
    out = tmp_path / "run"
    done = _run(["run", str(_scenario(tmp_path, text=JOURNEYS)), "--out", str(out), "--quiet"],
                env={"CHECKOUT_HARNESS_BROWSER": str(tmp_path / "no-such-chromium")})
    assert done.returncode == exit_codes.LAB_FAILED, done.stdout + done.stderr
    assert "no-such-chromium" in done.stderr and "Traceback" not in done.stderr
    suite = _junit_suite(out)
    errors = [c.find("error") for c in suite.iter("testcase") if c.find("error") is not None]
    assert errors and errors[0].get("type") == "BrowserNotFound"
    assert suite.get("errors") == str(len(errors)) and suite.get("failures") == "0"
    assert suite.get("timestamp") and all(c.get("time") is not None for c in suite.iter("testcase"))
    assert json.loads((out / "run.json").read_text())["failure"]["type"] == "BrowserNotFound"
    # the same exit code when the reports are rebuilt later
    assert _run(["report", str(out)]).returncode == exit_codes.LAB_FAILED


@pytest.mark.slow
def test_a_part_that_dies_is_a_lab_failure_and_nothing_is_left_running(tmp_path: Path):
    out = tmp_path / "run"
    proc = _start(["run", str(_scenario(tmp_path, duration="60s")), "--out", str(out), "--quiet"])
    try:
        deadline = time.monotonic() + 60
        gateway = None
        while time.monotonic() < deadline and gateway is None:
            progress = out / "load" / "progress.json"
            if progress.exists() and json.loads(progress.read_text() or "{}").get("requests", 0) > 5:
                gateway = next((p for p in processes_of_run(out) if "mock_gateway" in " ".join(p.cmdline())), None)
            time.sleep(0.2)
        assert gateway is not None, "the run never got going"
        gateway.kill()  # as a crash would
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == exit_codes.LAB_FAILED, err
    assert "the gateway exited with code" in err and "Traceback" not in err
    suite = _junit_suite(out)
    run_case = next(c for c in suite.iter("testcase") if c.get("name") == "run completed")
    assert run_case.find("error") is not None and run_case.find("error").get("type") == "GatewayCrashed"
    assert (out / "load" / "summary.json").exists()  # what was measured before is kept
    time.sleep(0.5)
    assert not processes_of_run(out), [p.cmdline() for p in processes_of_run(out)]


def test_a_fault_change_not_applied_fails_the_run_as_a_lab_failure(tmp_path: Path):
    scenario = parse_scenario({"load": {"model": "open", "shape": "soak", "duration": "5s", "soak": {"rate": 1}},
                               "faults": {"timeline": [{"at": "1s", "profile": "slow-confirm"}]}}, str(tmp_path / "s.toml"))
    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "faults.jsonl").write_text(json.dumps(
        {"t": 1.0, "at_s": 1.0, "profile": "slow-confirm", "applied": False,
         "error": "PUT http://127.0.0.1:1/_harness/faults: HTTP 401: Give the admin token"}) + "\n")
    state = RunState(tmp_path)
    _check_faults_applied(scenario, state)
    assert state.complete is False and state.failure["type"] == "FaultNotApplied" and "401" in state.failure["message"]
    (tmp_path / "run.json").write_text(json.dumps({"name": "x", "complete": False, "incomplete_reason": state.incomplete_reason,
                                                   "failure": state.failure, "failures": state.failures, "plan": {}}))
    summary = build_reports(tmp_path)
    assert exit_codes.for_summary(summary) == exit_codes.LAB_FAILED
    error = _junit_suite(tmp_path).find("testcase/error")
    assert error is not None and error.get("type") == "FaultNotApplied"


# -- a target that is not the embedded gateway --------------------------------------------------


def test_faults_against_a_target_without_the_admin_endpoint_exit_2_before_anything_runs(tmp_path: Path):
    with StripeStub(intents=3, events=3) as stub:
        text = f'target = "{stub.url}"\n' + LOAD_ONLY.replace("DURATION", "2s") + '[faults]\nprofile = "slow-confirm"\n'
        out = tmp_path / "run"
        done = _run(["run", str(_scenario(tmp_path, text=text)), "--out", str(out), "--quiet"],
                    env={"CHECKOUT_HARNESS_ADMIN_TOKEN": ""})
        assert done.returncode == exit_codes.BAD_INPUT, done.stdout + done.stderr
        assert "[faults]" in done.stderr and "/_harness/faults" in done.stderr and stub.url in done.stderr
        assert not out.exists()  # nothing ran, nothing written
        assert not [r for r in stub.requests if r.startswith(("POST", "PUT"))]  # no load was sent


def test_load_orders_needing_the_gateways_own_pages_are_refused_against_another_target(tmp_path: Path):
    with StripeStub() as stub:
        scenario = parse_scenario({"target": stub.url, "load": {"model": "open", "shape": "soak", "duration": "2s", "soak": {"rate": 1},
                                                                "mix": {"card_success": 0.9, "card_3ds": 0.1}}},
                                  str(tmp_path / "s.toml"))
        with pytest.raises(TargetCannot, match=r"card_3ds = 0\.1.*3-D Secure"):
            check_target(scenario)
        cards_only = parse_scenario({"target": stub.url, "load": {"model": "open", "shape": "soak", "duration": "2s",
                                                                  "soak": {"rate": 1}, "mix": {"card_success": 1.0}}},
                                    str(tmp_path / "s.toml"))
        assert check_target(cards_only) is None
        assert not [r for r in stub.requests if not r.startswith("GET")]


def test_target_preflight_against_a_real_gateway_checks_its_admin_token(tmp_path: Path, monkeypatch):
    with GatewayProcess(tmp_path / "g.sqlite3", extra_args=["--admin-token", "right-token"]) as gateway:
        scenario = parse_scenario({"target": gateway.url, "load": {"model": "open", "shape": "soak", "duration": "2s",
                                                                   "soak": {"rate": 1}},
                                   "faults": {"profile": "slow-confirm"}}, str(tmp_path / "s.toml"))
        monkeypatch.setenv("CHECKOUT_HARNESS_ADMIN_TOKEN", "wrong-token")
        with pytest.raises(TargetCannot, match=r"refused the admin token.*HTTP 401"):
            check_target(scenario)
        monkeypatch.setenv("CHECKOUT_HARNESS_ADMIN_TOKEN", "right-token")
        assert check_target(scenario) is None


@pytest.mark.slow
def test_faults_against_a_separately_run_gateway_are_applied_through_its_admin_endpoint(tmp_path: Path):
    import httpx

    with GatewayProcess(tmp_path / "g.sqlite3", extra_args=["--admin-token", "the-token"]) as gateway:
        text = f'target = "{gateway.url}"\n' + LOAD_ONLY.replace("DURATION", "2s") + '[faults]\nprofile = "fixed-200ms"\n'
        out = tmp_path / "run"
        done = _run(["run", str(_scenario(tmp_path, text=text)), "--out", str(out), "--quiet"],
                    env={"CHECKOUT_HARNESS_ADMIN_TOKEN": "the-token"})
        assert done.returncode == exit_codes.PASSED, done.stdout + done.stderr
        applied = list(read_jsonl(out / "load" / "faults.jsonl"))
        assert applied and applied[0]["applied"] is True and applied[0]["profile"] == "fixed-200ms"
        injected = json.loads((out / "load" / "summary.json").read_text())["injected_delay_ms"]
        assert injected and all(v["count"] > 0 for v in injected.values())  # the load saw the delay it asked for
        state = httpx.get(gateway.url + "/_harness/faults", headers={"Authorization": "Bearer the-token"}).json()
        assert state["version"] == 2 and state["name"] is None  # applied, then cleared: the target is left as found
        assert json.loads((out / "reconciliation.json").read_text())["ok"] is True


def test_a_target_that_does_not_answer_is_a_lab_failure(tmp_path: Path):
    with StripeStub() as stub:
        url = stub.url
    out = tmp_path / "run"
    done = _run(["run", str(_scenario(tmp_path, text=f'target = "{url}"\n' + LOAD_ONLY.replace("DURATION", "2s"))),
                 "--out", str(out), "--quiet"])
    assert done.returncode == exit_codes.LAB_FAILED, done.stdout + done.stderr
    assert _junit_suite(out).find("testcase/error").get("type") == "TargetUnreachable"


def test_ledger_export_uses_public_lists_with_pagination_only(tmp_path: Path):
    with StripeStub(intents=250, events=120) as stub:
        api = StripeApi(stub.url)
        try:
            counts = export_ledger(api, tmp_path / "ledger")
        finally:
            api.close()
    assert counts == {"payment_intents": 250, "events": 120}
    lines = (tmp_path / "ledger" / "payment_intents.jsonl").read_text().splitlines()
    assert len({json.loads(line)["id"] for line in lines}) == 250
    skipped = json.loads((tmp_path / "ledger" / "lists.json").read_text())["skipped"]
    assert set(skipped) == {"charges", "refunds", "checkout_sessions"}
    assert sum(r == "GET /v1/payment_intents" for r in stub.requests) >= 3  # three pages of 100, after the probe


# -- out of disk space ---------------------------------------------------------------------------


@pytest.fixture()
def small_disk(tmp_path: Path):
    """A 5 MB tmpfs (needs root: mount); skipped where it cannot be mounted (the write-layer tests
    below cover the same promises without it)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        for p in processes_of_run(mount_point):
            p.kill()
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.slow
def test_a_full_disk_says_so_in_one_line_stops_everything_and_keeps_what_was_written(small_disk: Path, tmp_path: Path):
    (small_disk / "filler").write_bytes(b"\0" * (2 * 1024 * 1024))  # the run fills the rest in seconds
    out = small_disk / "run"
    scenario = _scenario(tmp_path, duration="30s", text=LOAD_ONLY.replace("rate = 5", "rate = 10"))
    done = _run(["run", str(scenario), "--out", str(out), "--quiet"])
    assert done.returncode == exit_codes.LAB_FAILED, done.stdout + done.stderr
    first = done.stderr.splitlines()[0]
    assert "out of disk space" in first and str(out) in first, done.stderr
    assert "Traceback" not in done.stderr
    assert not processes_of_run(out)
    assert not [p for p in out.rglob("*.tmp")], "temp files left behind"
    run = json.loads((out / "run.json").read_text())
    assert run["failure"]["type"] == "OutOfDiskSpace" and run["status"] == "done", done.stderr
    # the reports fit in the space kept aside for them, and say what happened
    error = _junit_suite(out).find("testcase/error")
    assert error is not None and error.get("type") == "OutOfDiskSpace"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["load"]["requests"] > 0  # what was measured before the disk filled
    for path in out.rglob("*.jsonl"):  # every JSONL file still reads (a torn last line is skipped)
        list(read_jsonl(path))


def test_out_of_file_descriptors_is_a_lab_failure_in_one_line(tmp_path: Path):
    import resource

    out = tmp_path / "run"

    def few_descriptors() -> None:  # the run and everything it starts may open 20 files at most
        resource.setrlimit(resource.RLIMIT_NOFILE, (20, 20))

    done = subprocess.run([sys.executable, "-m", "harness", "run", str(_scenario(tmp_path)), "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=120, preexec_fn=few_descriptors)
    assert done.returncode == exit_codes.LAB_FAILED, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("lab failure: out of file descriptors") and "20" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert _junit_suite(out).find("testcase/error").get("type") == "OutOfFileDescriptors"
    assert not processes_of_run(out)


def test_atomic_write_on_a_full_disk_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch):
    import errno

    import reports.rundir as rundir

    target = tmp_path / "summary.json"
    target.write_text('{"old": true}\n')
    real_open = open

    class FullDisk:
        def __init__(self, path, mode, **kw):
            self.f = real_open(path, mode, **kw)

        def write(self, text):
            self.f.write(text[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            self.f.flush()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(rundir, "open", FullDisk, raising=False)
    with pytest.raises(OSError):
        rundir.replace_atomically(target, '{"new": true}\n' * 100)
    assert target.read_text() == '{"old": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_jsonl_reader_skips_a_torn_last_line(tmp_path: Path):
    path = tmp_path / "acks.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3, "trunc')
    assert [r["a"] for r in read_jsonl(path)] == [1, 2]


def test_lab_failures_name_what_ran_out_and_where(tmp_path: Path):
    import errno

    from harness.lab_failures import from_exception

    disk = from_exception(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.jsonl")), "writing x", tmp_path)
    assert disk.type == "OutOfDiskSpace" and str(tmp_path / "x.jsonl") in disk.message and "\n" not in disk.message
    fds = from_exception(OSError(errno.EMFILE, "Too many open files"), "opening the ledger", tmp_path)
    assert fds.type == "OutOfFileDescriptors" and "file descriptors" in fds.message and "opening the ledger" in fds.message


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (every write to it fails with ENOSPC)")
def test_webhook_receiver_on_a_full_disk_refuses_the_delivery_and_stops_cleanly():
    import hashlib
    import hmac

    import httpx

    from harness.webhook_receiver import WebhookReceiver

    receiver = WebhookReceiver(out="/dev/full", secret="whsec_test")
    try:
        body = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded", "created": int(time.time()),
                           "data": {"object": {"id": "pi_1"}}}).encode()
        t = int(time.time())
        signature = hmac.new(b"whsec_test", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        answer = httpx.post(receiver.url, content=body, headers={"Stripe-Signature": f"t={t},v1={signature}"})
        assert answer.status_code == 500  # not kept, so not acknowledged: the gateway delivers it again
    finally:
        receiver.stop()  # no exception from closing a file that cannot be flushed
    receiver.stop()  # and stopping twice is harmless
    assert receiver.write_error is not None and receiver.write_error.errno == 28


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_servers_log_on_a_full_disk_keeps_its_output_without_a_traceback():
    from harness.servers import ManagedProcess

    process = ManagedProcess([sys.executable, "-c", "print('starting'); print('listening on http://127.0.0.1:1')"],
                             log_path=Path("/dev/full"))
    try:
        assert process.wait_url(10) == "http://127.0.0.1:1"
        process.proc.wait(10)
        process._reader.join(5)
    finally:
        process.stop()
    assert [line.strip() for line in process.lines] == ["starting", "listening on http://127.0.0.1:1"]
    assert process.log_error is not None and process.log_error.errno == 28


def test_reports_count_what_a_load_that_died_early_wrote_second_by_second(tmp_path: Path):
    (tmp_path / "load").mkdir()
    (tmp_path / "run.json").write_text(json.dumps({"name": "died", "complete": False, "incomplete_reason": "load exited",
                                                   "failure": {"kind": "lab", "type": "OutOfDiskSpace", "message": "x"},
                                                   "plan": {}}))
    (tmp_path / "load" / "summary.json").write_text(json.dumps({"model": "open", "requests": 0, "failures": 0, "incomplete": True,
                                                                "incomplete_reason": "still running", "endpoints": {}}))
    rows = [{"t": t, "endpoint": e, "count": 3, "errors": 1 if e == "ALL" else 0, "max_ms": 5.0 + t}
            for t in range(3) for e in ("POST /v1/payment_intents", "ALL")]
    (tmp_path / "load" / "timeseries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"t": 3, "endpo')
    summary = build_reports(tmp_path)
    load = summary["load"]
    assert load["requests"] == 9 and load["failures"] == 3 and load["recovered_from"] == "load/timeseries.jsonl"
    assert load["endpoints"]["POST /v1/payment_intents"]["count"] == 9
    assert load["endpoints"]["POST /v1/payment_intents"]["max_ms"] == 7.0
    assert "POST /v1/payment_intents" in (tmp_path / "report.html").read_text()


def test_reports_that_cannot_be_built_still_leave_a_junit_error(tmp_path: Path, monkeypatch):
    import reports.build
    from harness.run import RunOptions, execute

    with StripeStub() as stub:
        url = stub.url  # closed when the run starts: a target that does not answer, so nothing else is started
    scenario = parse_scenario({"target": url, "load": {"model": "open", "shape": "soak", "duration": "2s", "soak": {"rate": 1}}},
                              str(tmp_path / "s.toml"))

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the reports")

    monkeypatch.setattr(reports.build, "build_reports", broken)
    outcome = execute(scenario, RunOptions(out=tmp_path / "run", quiet=True))
    assert outcome.exit_code == exit_codes.LAB_FAILED and outcome.summary is None
    error = _junit_suite(tmp_path / "run").find("testcase/error")
    assert error is not None and error.get("type") == "HarnessError" and "a bug in the reports" in error.get("message")


def test_a_low_soft_open_file_limit_is_raised_when_the_hard_limit_allows():
    code = ("import resource; from harness.lab_failures import ensure_fd_limit, MIN_OPEN_FILES;"
            "resource.setrlimit(resource.RLIMIT_NOFILE, (20, MIN_OPEN_FILES * 2)); ensure_fd_limit();"
            "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] == MIN_OPEN_FILES)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stdout + done.stderr
