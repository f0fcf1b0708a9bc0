"""Naming what went wrong with the lab itself in one line: what ran out or died, and where.

A full disk or a process out of file descriptors shows up as an OSError in this process, as a
part that exits with an error, or as a gateway that stops answering. Each becomes one
`LabFailure(type, message)`: the type goes to junit.xml's <error type=...>, the message to stderr
and run.json.
"""

from __future__ import annotations

import errno
import resource
import shutil
from pathlib import Path

OUT_OF_DISK = "OutOfDiskSpace"
OUT_OF_FDS = "OutOfFileDescriptors"
PART_CRASHED = "PartCrashed"
GATEWAY_CRASHED = "GatewayCrashed"
BROWSER_NOT_FOUND = "BrowserNotFound"
TARGET_UNREACHABLE = "TargetUnreachable"
LEDGER_EXPORT_FAILED = "LedgerExportFailed"
FAULT_NOT_APPLIED = "FaultNotApplied"
HARNESS_ERROR = "HarnessError"  # anything else that stopped the lab (the message says what)

_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_FD_ERRNOS = {errno.EMFILE, errno.ENFILE}
# What a part's log says when it ran out (Python, SQLite, Node/Chromium wording).
_LOG_SIGNS = {
    OUT_OF_DISK: ("No space left on device", "database or disk is full", "ENOSPC", "Disk quota exceeded"),
    OUT_OF_FDS: ("Too many open files", "EMFILE", "ENFILE"),
}
# Open files a run may need at once: the gateway's workers and database, the harness's parts, their
# logs and sockets, a browser. Assumption: a floor well above what a run was seen to hold, not a
# measured peak; each part raises its own limit further where it needs more (Locust does).
MIN_OPEN_FILES = 1024
# Free space below which a failure in the run directory is put down to a full disk.
NEARLY_FULL_BYTES = 256 * 1024


class LabFailure(Exception):
    """The lab failed: `type` names the kind (junit.xml's error type), `message` says what and where."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type
        self.message = message


def free_bytes(path: Path) -> int | None:
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def fd_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def ensure_fd_limit(needed: int = MIN_OPEN_FILES) -> None:
    """Raise this process's open-file limit to `needed` where the hard limit allows (the parts it
    starts inherit it); a LabFailure where it does not, before anything has started, because a part
    that runs out later dies in ways that do not always say why (a server that stops answering)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard == resource.RLIM_INFINITY or hard >= needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        return
    raise LabFailure(OUT_OF_FDS, f"out of file descriptors: a run needs at least {needed:,} open files and this process "
                                 f"may open {soft:,} (hard limit {hard:,}); raise it with `ulimit -n {needed}`")


def _out_of_disk(where: str, path: Path) -> str:
    free = free_bytes(path)
    return f"out of disk space {where} ({'unknown' if free is None else f'{free:,} bytes'} free on the device of {path})"


def from_exception(err: BaseException, doing: str, run_dir: Path) -> LabFailure:
    """A one-line description of an exception raised while `doing` something ("writing the reports")."""
    os_err = _os_error_in(err)
    if os_err is not None and os_err.errno in _DISK_ERRNOS:
        path = Path(os_err.filename) if os_err.filename else run_dir
        return LabFailure(OUT_OF_DISK, _out_of_disk(f"while {doing}: {path}", path))
    if os_err is not None and os_err.errno in _FD_ERRNOS:
        where = f": {os_err.filename}" if os_err.filename else ""
        return LabFailure(OUT_OF_FDS, f"out of file descriptors while {doing}{where} (this process may open {fd_limit():,})")
    if isinstance(err, LabFailure):
        return err
    text = one_line(str(err)) or type(err).__name__
    if any(sign in str(err) for sign in _LOG_SIGNS[OUT_OF_FDS]):  # a part's output (a server that did not start)
        return LabFailure(OUT_OF_FDS, f"out of file descriptors while {doing}: {text} (a process may open {fd_limit():,})")
    if any(sign in str(err) for sign in _LOG_SIGNS[OUT_OF_DISK]):
        return LabFailure(OUT_OF_DISK, _out_of_disk(f"while {doing}: {text}", run_dir))
    return LabFailure(HARNESS_ERROR, f"{doing} failed: {type(err).__name__}: {text}")


def one_line(text: str, limit: int = 400) -> str:
    """A message with a program's output in it, as one line: its first line and the output's last
    (where a traceback says what went wrong)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    shown = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _os_error_in(err: BaseException | None) -> OSError | None:
    """The OSError behind an exception, following its causes (httpx and sqlite wrap them)."""
    seen = 0
    while err is not None and seen < 8:
        if isinstance(err, OSError) and err.errno is not None:
            return err
        err = err.__cause__ or err.__context__
        seen += 1
    return None


def explain_exit(part: str, code: int, log: Path | None, run_dir: Path) -> LabFailure:
    """A part that exited with an error: say what ran out if its log or the disk says so."""
    tail = ""
    if log is not None:
        try:
            with open(log, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 16_384))
                tail = f.read().decode("utf-8", "replace")
        except OSError:
            tail = ""
    free = free_bytes(run_dir)
    if any(sign in tail for sign in _LOG_SIGNS[OUT_OF_DISK]) or (free is not None and free < NEARLY_FULL_BYTES):
        return LabFailure(OUT_OF_DISK, _out_of_disk(f"in {run_dir}: {part} exited with code {code}", run_dir))
    if any(sign in tail for sign in _LOG_SIGNS[OUT_OF_FDS]):
        return LabFailure(OUT_OF_FDS, f"out of file descriptors: {part} exited with code {code} (see {log})")
    where = f" (its output: {log})" if log is not None else ""
    return LabFailure(GATEWAY_CRASHED if part == "the gateway" else PART_CRASHED, f"{part} exited with code {code}{where}")
