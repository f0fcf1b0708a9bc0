"""Typed reads from a parsed TOML table that fail with ScenarioError naming file, key, expected, found."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, overload

from .errors import ScenarioError

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m(?!s))?\s*(?:(\d+(?:\.\d+)?)s)?\s*(?:(\d+(?:\.\d+)?)ms)?\s*$")


# The longest duration any scenario key accepts (a week-long soak); past it a typo is more likely
# than a plan, and figures such as 99999999999999h overflow what timers and clocks can hold.
MAX_DURATION_S = 7 * 24 * 3600.0
# Seeds: what every random generator in the harness (numpy's included) accepts.
MAX_SEED = 2**32 - 1


def parse_duration(value: Any, file: str, key: str) -> float:
    """Seconds from 90, 1.5, "90s", "2m", "1h30m", "250ms"; at most MAX_DURATION_S."""
    if isinstance(value, bool):
        raise ScenarioError(file, key, "a duration such as 30, \"30s\", \"2m\" or \"1h30m\"", value)
    seconds: float | None = None
    if isinstance(value, (int, float)):
        if not value >= 0:  # NaN too
            raise ScenarioError(file, key, "a duration of zero or more seconds", value)
        seconds = float(value)
    elif isinstance(value, str) and len(value) <= 64:
        m = _DURATION.match(value)
        if m and any(m.groups()):
            h, mi, s, ms = (float(g) if g else 0.0 for g in m.groups())
            seconds = h * 3600 + mi * 60 + s + ms / 1000
    if seconds is not None:
        if not math.isfinite(seconds) or seconds > MAX_DURATION_S:
            raise ScenarioError(file, key, f"a duration of at most {MAX_DURATION_S / 86400:g} days ({MAX_DURATION_S:g} s)", value)
        return seconds
    raise ScenarioError(file, key, "a duration such as 30, \"30s\", \"2m\" or \"1h30m\"", value)


def _within(value: float, min: float | None, max: float | None) -> bool:
    """Written as a positive test so that NaN (which TOML allows) is outside any bound."""
    return (min is None or min <= value) and (max is None or value <= max)


def _bounds(min: float | None, max: float | None) -> str:
    if min is not None and max is not None:
        return f"between {min} and {max}"
    return f"at least {min}" if min is not None else (f"at most {max}" if max is not None else "")


class Table:
    """A TOML table being read: remembers its file and key path, and refuses keys nobody read."""

    def __init__(self, data: Mapping[str, Any], file: str, path: str = "") -> None:
        if not isinstance(data, Mapping):
            raise ScenarioError(file, path or "(top level)", "a table", data)
        self.data = data
        self.file = file
        self.path = path
        self._seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return name in self.data

    def get(self, name: str, default: Any = None) -> Any:
        self._seen.add(name)
        return self.data.get(name, default)

    @overload
    def text(self, name: str, default: str, choices: tuple[str, ...] | None = None) -> str: ...
    @overload
    def text(self, name: str, default: None = None, choices: tuple[str, ...] | None = None) -> str | None: ...

    def text(self, name: str, default: str | None = None, choices: tuple[str, ...] | None = None) -> str | None:
        value = self.get(name, default)
        if value is None:
            return None
        if not isinstance(value, str) or (choices and value not in choices):
            expected = "one of " + ", ".join(repr(c) for c in choices) if choices else "a string"
            raise ScenarioError(self.file, self.key(name), expected, value)
        return value

    @overload
    def integer(self, name: str, default: int, min: int | None = None, max: int | None = None) -> int: ...
    @overload
    def integer(self, name: str, default: None = None, min: int | None = None, max: int | None = None) -> int | None: ...

    def integer(self, name: str, default: int | None = None, min: int | None = None, max: int | None = None) -> int | None:
        value = self.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(self.file, self.key(name), "a whole number", value)
        if not _within(value, min, max):
            raise ScenarioError(self.file, self.key(name), f"a whole number {_bounds(min, max)}", value)
        return value

    @overload
    def decimal(self, name: str, default: float, min: float | None = None, max: float | None = None) -> float: ...
    @overload
    def decimal(self, name: str, default: None = None, min: float | None = None, max: float | None = None) -> float | None: ...

    def decimal(self, name: str, default: float | None = None, min: float | None = None, max: float | None = None) -> float | None:
        value = self.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _within(value, min, max):
            raise ScenarioError(self.file, self.key(name), f"a number {_bounds(min, max)}".strip(), value)
        return float(value)

    def number(self, name: str, min: float | None = None, max: float | None = None,
               default: float | None = None) -> float:
        """Like decimal(), but a missing key without a default is an error: for figures that have no
        sensible default (a persona's), where silently leaving one out would change the population."""
        value = self.decimal(name, default, min, max)
        if value is None:
            raise ScenarioError(self.file, self.key(name), f"a number {_bounds(min, max)}".strip(), None)
        return value

    def prob(self, name: str, default: float | None = None) -> float:
        """A probability or share: a number in [0, 1], required unless a default is given."""
        return self.number(name, 0.0, 1.0, default)

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        """A required string among `choices` (text() with choices still lets the key be left out)."""
        value = self.text(name, choices=choices)
        if value is None:
            raise ScenarioError(self.file, self.key(name), "one of " + ", ".join(repr(c) for c in choices), None)
        return value

    @overload
    def flag(self, name: str, default: bool) -> bool: ...
    @overload
    def flag(self, name: str, default: None = None) -> bool | None: ...

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        value = self.get(name, default)
        if value is not None and not isinstance(value, bool):
            raise ScenarioError(self.file, self.key(name), "true or false", value)
        return value

    def duration(self, name: str, default: Any = None) -> float | None:
        value = self.get(name, default)
        return None if value is None else parse_duration(value, self.file, self.key(name))

    def text_list(self, name: str, default: list[str] | None = None) -> list[str] | None:
        value = self.get(name, default)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScenarioError(self.file, self.key(name), "a list of strings", value)
        return list(value)

    def table(self, name: str, required: bool = False) -> Table | None:
        value = self.get(name)
        if value is None:
            if required:
                raise ScenarioError(self.file, self.key(name), "a table", None)
            return None
        return Table(value, self.file, self.key(name))

    def known(self, names: tuple[str, ...]) -> Table:
        """Refuse keys outside `names` now, before anything is read, so that a misspelt key is
        named as unknown instead of surfacing as a missing required one."""
        self.done(allowed_extra=names)
        return self

    def done(self, allowed_extra: tuple[str, ...] = ()) -> None:
        """Refuse keys this reader did not ask for: a typo is an error, not a silent default."""
        unknown = sorted(set(self.data) - self._seen - set(allowed_extra))
        if unknown:
            known = ", ".join(sorted(self._seen | set(allowed_extra)))
            raise ScenarioError(self.file, self.key(unknown[0]), f"one of the known keys ({known})", unknown[0])
