"""Progress of a run (harness/progress.py): plain unwrapped lines in a pipe, every part's numbers."""

from __future__ import annotations

import io

from rich.console import Console

from harness.progress import RunProgress, output_console, part_status

LOAD = {"phase": "running", "model": "open", "elapsed_s": 12.0, "duration_s": 40, "requests": 1234, "failures": 12,
        "arrivals_per_s": 20.0, "requests_per_s": 49.5, "offered": 240, "started": 237, "users": None, "not_started": 3,
        "workers": 0}


def test_each_part_reads_as_done_of_total_with_what_matters() -> None:
    load = part_status("load", LOAD)
    assert (load.done, load.total, load.unit) == (12.0, 40.0, "s")
    assert "1,234 requests (49.5/s)" in load.detail and "12 failed (1.0%)" in load.detail
    assert "arrivals offered 20.0/s" in load.detail and "237 of 240 arrivals started" in load.detail
    assert "3 could not start" in load.detail
    journeys = part_status("journeys", {"journeys": "6/24", "elapsed_s": 30.0})
    assert (journeys.done, journeys.total, journeys.unit) == (6.0, 24.0, "journeys") and journeys.detail == "12.0/min"
    churn = part_status("churn", {"elapsed_s": 5.0, "no-retries": "month 3/12", "retries": "month 1/12",
                                  "months_done": 4, "months_total": 24})
    assert (churn.done, churn.total) == (4.0, 24.0)
    assert part_status("churn", {"phase": "starting"}).detail == "phase starting"


def test_in_a_pipe_progress_is_plain_lines_that_never_wrap() -> None:
    out = io.StringIO()
    console = Console(file=out, soft_wrap=True, width=80)  # not a terminal, 80 columns as a CI log pipe gets
    long_name = "20261205-011500-a-scenario-with-a-rather-long-name-" + "x" * 60
    progress = RunProgress(console, long_name)
    polls = {"load": LOAD, "journeys": {"journeys": "6/24", "elapsed_s": 30.0}}
    progress.update("running", polls)
    progress.update("running", polls)  # within the interval: nothing new
    progress.close("stopping", polls)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert all(long_name in line for line in lines), lines  # whole, on one line, beyond 80 columns
    assert any(line.endswith("237 of 240 arrivals started, 3 could not start") for line in lines)
    assert "\x1b[" not in out.getvalue()  # no cursor movement or colour codes


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    progress = RunProgress(Console(file=out), "run", quiet=True)
    progress.update("running", {"load": LOAD})
    progress.close("done", {"load": LOAD})
    assert out.getvalue() == ""


def test_a_console_for_a_pipe_does_not_wrap_paths() -> None:
    console = output_console()  # pytest captures stdout: not a terminal
    assert not console.is_terminal and console.width >= 200
    with console.capture() as captured:
        console.print("report: /" + "a/" * 60 + "report.html")
    assert len(captured.get().splitlines()) == 1
