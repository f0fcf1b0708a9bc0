"""Writing the run directory's JSON and JSONL files atomically; reading is reports.rundir's (one
reader for the harness and the reports, tolerating a line torn by a crash)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from reports.rundir import read_jsonl, replace_atomically

__all__ = ["read_jsonl", "replace_atomically", "write_json", "write_jsonl"]


def write_json(path: Path, data: Any) -> None:
    """Write atomically (temp file + rename), so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
