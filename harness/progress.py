"""What a person watching a run sees: one bar per part with its counts, rates and an ETA, and a
status line of what matters (achieved against offered rate, errors, journeys done and failed).

On a terminal this is a rich.progress display redrawn in place. Piped into a file or a CI log it
is plain lines instead, one per part every few seconds, never wrapped (a CI log wraps nothing
itself, and a path cut at 80 columns cannot be copied).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

PLAIN_EVERY_S = 10.0
PIPE_WIDTH = 200  # tables printed into a pipe: wide enough for an endpoint table without wrapping


def output_console(*, stderr: bool = False) -> Console:
    """A console for the run's output: as usual on a terminal; into a pipe or a file, lines that
    are never wrapped (paths stay whole) and tables that are not squeezed into 80 columns."""
    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return probe
    return Console(stderr=stderr, soft_wrap=True, width=PIPE_WIDTH)


@dataclass(frozen=True)
class PartStatus:
    """One part's progress as numbers: `done` of `total` in `unit`, and what else matters now."""

    done: float
    total: float | None
    unit: str
    detail: str


def part_status(name: str, poll: dict[str, Any]) -> PartStatus:
    """Read a part's poll() (load, journeys, churn: each says its own keys) as one shape."""
    if "journeys" in poll and isinstance(poll["journeys"], str) and "/" in poll["journeys"]:
        done_text, _, total_text = poll["journeys"].partition("/")
        done, total = int(done_text), int(total_text)
        elapsed = float(poll.get("elapsed_s") or 0.0)
        rate = done / elapsed * 60 if elapsed > 0 else 0.0
        detail = f"{rate:.1f}/min"
        if poll.get("failed"):
            detail += f", {poll['failed']} failed"
        if poll.get("workers"):
            detail += f", workers {poll['workers']}"
        return PartStatus(float(done), float(total), "journeys", detail)
    if "requests" in poll:
        elapsed = float(poll.get("elapsed_s") or 0.0)
        duration = poll.get("duration_s")
        requests, failures = int(poll.get("requests") or 0), int(poll.get("failures") or 0)
        per_s = f" ({poll['requests_per_s']:.1f}/s)" if poll.get("requests_per_s") is not None else ""
        bits = [f"{requests:,} requests{per_s}", f"{failures:,} failed ({100 * failures / requests:.1f}%)" if requests else "0 failed"]
        if poll.get("arrivals_per_s") is not None:
            bits.append(f"arrivals offered {poll['arrivals_per_s']:.1f}/s")
        if poll.get("offered"):
            bits.append(f"{int(poll.get('started') or 0):,} of {int(poll['offered']):,} arrivals started")
        if poll.get("users") is not None:
            bits.append(f"{poll['users']} users")
        if poll.get("not_started"):
            bits.append(f"{poll['not_started']:,} could not start")
        if poll.get("workers"):
            bits.append(f"{poll['workers']} workers")
        if poll.get("phase") not in (None, "running"):
            bits.append(str(poll["phase"]))
        return PartStatus(min(elapsed, float(duration)) if duration else elapsed, float(duration) if duration else None, "s",
                          ", ".join(bits))
    if poll.get("months_total"):  # churn: each dunning policy's months billed
        return PartStatus(float(poll["months_done"]), float(poll["months_total"]), "policy-months",
                          ", ".join(f"{k} {v}" for k, v in poll.items() if isinstance(v, str)))
    shown = ", ".join(f"{k} {v}" for k, v in poll.items() if isinstance(v, (str, int)) and not isinstance(v, bool))
    return PartStatus(float(poll.get("elapsed_s") or 0.0), None, "s", shown or "starting")


class RunProgress:
    """Progress of one run's parts, on a terminal or as plain lines."""

    def __init__(self, console: Console, title: str, *, quiet: bool = False) -> None:
        self.console = console
        self.title = title
        self.quiet = quiet
        self.live = console.is_terminal and not quiet
        self.started = time.monotonic()
        self._last_plain = -PLAIN_EVERY_S
        self._tasks: dict[str, TaskID] = {}
        self._progress: Progress | None = None
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]{task.fields[part]:<9}"), BarColumn(bar_width=28), MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"), TimeRemainingColumn(compact=True), TextColumn("{task.fields[detail]}"),
                console=console, refresh_per_second=2, transient=False)
            self._progress.start()

    def update(self, phase: str, polls: dict[str, dict[str, Any]]) -> None:
        statuses = {name: part_status(name, poll) for name, poll in polls.items()}
        if self._progress is not None:
            for name, s in statuses.items():
                if name not in self._tasks:
                    self._tasks[name] = self._progress.add_task("", total=s.total, part=name, unit=s.unit, detail=s.detail)
                self._progress.update(self._tasks[name], completed=s.done, total=s.total, unit=s.unit,
                                      detail=s.detail)
            return
        now = time.monotonic()
        if self.quiet or now - self._last_plain < PLAIN_EVERY_S:
            return
        self._last_plain = now
        for name, s in statuses.items():
            self.plain(f"[{now - self.started:5.0f} s] {self.title} {phase}: {name} {_amount(s)}, {s.detail}")

    def plain(self, line: str) -> None:
        """One line as it is: no markup, no highlighting, no wrapping."""
        self.console.print(line, markup=False, highlight=False, soft_wrap=True, overflow="ignore", crop=False)

    def close(self, phase: str, polls: dict[str, dict[str, Any]]) -> None:
        """The final state of every part (also as a line when not on a terminal)."""
        if self._progress is not None:
            self.update(phase, polls)
            self._progress.stop()
            return
        if not self.quiet:
            self._last_plain = -PLAIN_EVERY_S
            self.update(phase, polls)


def _amount(s: PartStatus) -> str:
    if s.total is None:
        return f"{s.done:,.0f} {s.unit}"
    pct = 100 * s.done / s.total if s.total else 100.0
    return f"{s.done:,.0f}/{s.total:,.0f} {s.unit} ({pct:.0f}%)"
