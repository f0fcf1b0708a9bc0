"""Conformance through the official Node SDK (stripe on npm, pinned 2026-11-18.endive in 23.x): the
recipes in tests/node/conformance.mjs run against a gateway process; each check must hold.

Installed by `make setup` when npm exists (npm install in tests/node); skipped, with the reason, when
node or the installed package is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Node SDK conformance recipes need Node.js 18 or newer")
    if not (NODE_DIR / "node_modules" / "stripe" / "package.json").exists():
        pytest.skip("the Node SDK is not installed: run `make setup` (npm install in tests/node) with npm available")
    return node


def test_node_sdk_recipes(gateway) -> None:  # type: ignore[no-untyped-def]
    node = _node()
    done = subprocess.run([node, "conformance.mjs", gateway.url], cwd=NODE_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    checks = json.loads(done.stdout.strip().splitlines()[-1])
    failed = {name: detail for name, (ok, detail) in checks.items() if not ok}
    assert not failed, failed
    assert len(checks) >= 15, sorted(checks)
    pinned = json.loads((NODE_DIR / "node_modules" / "stripe" / "package.json").read_text())["version"]
    assert pinned.startswith("23."), pinned
