"""Reading a run directory: the only way reports see a run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return default


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line torn by a crash
    except FileNotFoundError:
        return


@contextmanager
def open_atomically(path: Path, binary: bool = False) -> Iterator[IO[Any]]:
    """A file to write whose content replaces `path` only when the block ends without an error: it
    is written to a temp file beside `path` and renamed over it, so a crash or a full disk leaves
    the old file (or none), never half of one, and never the temp file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") if binary else open(tmp, "w", encoding="utf-8") as f:
            yield f
            f.flush()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def replace_atomically(path: Path, text: str) -> None:
    """Write `text` in place of `path` (open_atomically)."""
    with open_atomically(path) as f:
        f.write(text)
