"""Reading a TOML file with limits, so that hostile or broken input is a ScenarioError naming the
file and the key, never a RecursionError or a file that takes minutes to read.

- size: at most MAX_BYTES;
- depth: no value nested deeper than MAX_DEPTH (arrays, inline tables, tables and dotted keys).
  Python's TOML parser is recursive, so depth is checked on the text before parsing (naming the key
  whose value nests too deep) and again on the parsed data (tables nested by headers or dotted keys).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import ScenarioError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32


def read_toml(path: Path, file: str | None = None) -> dict[str, Any]:
    """The parsed file, or ScenarioError(file, key, expected, found)."""
    file = file or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioError(file, "(file)", f"a file of at most {MAX_BYTES:,} bytes", f"{size:,} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(file, "(file)", "a readable UTF-8 text file", str(err)) from None
    return loads(text, file)


def loads(text: str, file: str) -> dict[str, Any]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ScenarioError(file, "(file)", f"a file of at most {MAX_BYTES:,} bytes", f"{len(text):,} characters")
    _check_text_depth(text, file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(file, "(syntax)", "valid TOML", str(err)) from None
    except RecursionError:  # the text scan missed it (it does not know every corner of TOML)
        raise ScenarioError(file, "(syntax)", f"values nested at most {MAX_DEPTH} deep", "deeper nesting") from None
    check_depth(data, file)
    return data


def check_depth(data: Any, file: str, max_depth: int = MAX_DEPTH) -> None:
    """Walk the parsed data without recursion; the first key path deeper than max_depth is an error."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > max_depth:
            raise ScenarioError(file, _short(path), f"a value nested at most {max_depth} deep", f"nesting deeper than {max_depth}")
        if isinstance(value, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))


def _short(path: str, keep: int = 120) -> str:
    return path if len(path) <= keep else path[:keep] + "..."


def _check_text_depth(text: str, file: str) -> None:
    """Count [ and { inside values (not in strings or comments); name the key whose value nests too deep."""
    depth = 0
    table = ""
    key = ""
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            line_start = True
            i += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "#":
            i = _skip_to_eol(text, i)
            continue
        if c in "\"'":
            i = _skip_string(text, i)
            line_start = False
            continue
        if depth == 0 and line_start and c == "[":  # a table header: [name] or [[name]]
            end = _skip_to_eol(text, i)
            table = text[i:end].split("#", 1)[0].strip().strip("[]").strip()
            i = end
            continue
        if depth == 0 and line_start:
            eq = text.find("=", i)
            eol = _skip_to_eol(text, i)
            if 0 <= eq < eol:
                key = text[i:eq].strip()
                i = eq + 1
                line_start = False
                continue
        line_start = False
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                where = f"{table}.{key}" if table else key
                raise ScenarioError(file, _short(where or "(value)"), f"a value nested at most {MAX_DEPTH} deep",
                                    f"nesting deeper than {MAX_DEPTH}")
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1


def _skip_to_eol(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    if text.startswith(quote * 3, i):
        end = text.find(quote * 3, i + 3)
        while quote == '"' and end > 0 and _escaped(text, end):
            end = text.find(quote * 3, end + 1)
        return len(text) if end < 0 else end + 3
    j = i + 1
    while j < len(text) and text[j] != "\n":
        if quote == '"' and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        j += 1
    return j


def _escaped(text: str, i: int) -> bool:
    backslashes = 0
    while i - 1 - backslashes >= 0 and text[i - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
