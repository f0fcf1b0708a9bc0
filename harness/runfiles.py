"""Writing the run directory's files atomically, the one way the harness writes a whole file;
reading is reports.rundir's (one reader for the harness and the reports, tolerating a line torn by
a crash). Files that grow line by line as a run goes (acks.jsonl, received.jsonl) are appended to
instead, and read with that tolerance.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reports.rundir import open_atomically, read_jsonl, replace_atomically

__all__ = ["read_jsonl", "replace_atomically", "write_bytes", "write_json", "write_jsonl"]


def write_json(path: Path, data: Any) -> None:
    """Write atomically (temp file + rename), so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """One JSON line per row, written atomically; the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open_atomically(path) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_bytes(path: Path, data: bytes) -> None:
    """Write atomically (a trace zip sent back by a worker)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_atomically(path, binary=True) as f:
        f.write(data)
