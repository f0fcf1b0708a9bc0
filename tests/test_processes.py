"""The process keeper (harness/processes.py): a stopped child leaves nothing of its group behind,
one that ignores SIGTERM is killed after the grace period, and one made to die with its parent
does when the parent is killed with -9. Real processes, on this machine."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

from harness.processes import ChildProcess, stop_together

# A process that starts a grandchild in its own group, prints the grandchild's pid, and ignores
# SIGTERM when told to (as a worker whose browser outlives it would).
PARENT = textwrap.dedent("""
    import signal, subprocess, sys, time
    if sys.argv[1] == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
    print(grandchild.pid, flush=True)
    time.sleep(60)
""")


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _start(mode: str) -> tuple[ChildProcess, int]:
    child = ChildProcess([sys.executable, "-c", PARENT, mode], stdout=subprocess.PIPE, text=True)
    assert child.popen.stdout is not None
    return child, int(child.popen.stdout.readline())


def test_stop_ends_the_child_and_what_it_started_in_its_group():
    child, grandchild = _start("polite")
    assert os.getpgid(child.pid) == child.pid != os.getpgid(0)  # its own group, not the test's
    started = time.monotonic()
    child.stop(grace=5)
    assert child.poll() is not None
    assert _gone(grandchild), "the grandchild (in the child's group, ignoring SIGTERM) was left behind"
    assert time.monotonic() - started < 4  # the child ended on SIGTERM: no waiting out the grace period


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period():
    child, grandchild = _start("stubborn")
    started = time.monotonic()
    stop_together([child], grace=1.0)
    waited = time.monotonic() - started
    assert child.poll() is not None and child.returncode == -9
    assert 0.9 <= waited < 8
    assert _gone(grandchild)


def test_a_child_made_to_die_with_its_parent_does_when_the_parent_is_killed(tmp_path: Path):
    # The parent (a harness process) starts the child through the keeper, then is killed with -9.
    parent_code = textwrap.dedent("""
        import sys, time
        from harness.processes import ChildProcess
        child = ChildProcess([sys.executable, "-c", "import time; time.sleep(60)"], die_with_parent=True)
        print(child.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert psutil.pid_exists(child_pid)
        parent.kill()
        parent.wait(10)
        assert _gone(child_pid), "the child outlived the parent killed with -9"
    finally:
        parent.kill()
        parent.wait(10)


def test_a_child_kept_in_the_callers_group_is_stopped_alone():
    child = ChildProcess([sys.executable, "-c", "import time; time.sleep(60)"], own_group=False)
    assert os.getpgid(child.pid) == os.getpgid(0)  # a terminal's Ctrl-C reaches it too
    child.stop(grace=5)  # must not signal the caller's group (this test process)
    assert child.poll() is not None


def test_a_jsonl_file_that_fails_half_way_leaves_the_old_file_and_no_temp_file(tmp_path: Path):
    import pytest

    from harness.runfiles import write_jsonl

    path = tmp_path / "journeys.jsonl"
    path.write_text('{"journey_id": "old"}\n')

    def rows():
        yield {"journey_id": "j1"}
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_jsonl(path, rows())
    assert path.read_text() == '{"journey_id": "old"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journeys.jsonl"]
