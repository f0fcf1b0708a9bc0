"""The one error type for bad scenario data: it names the file, the key, what was expected and
what was found, so that a user can fix the input without reading a traceback (exit code 2)."""

from __future__ import annotations

from typing import Any


class ScenarioError(ValueError):
    """Bad input in a scenario, variant, persona or fault-profile file."""

    def __init__(self, file: str, key: str, expected: str, found: Any) -> None:
        self.file = str(file)
        self.key = key
        self.expected = expected
        self.found = found
        super().__init__(f"{self.file}: {key}: expected {expected}, found {found!r}")
