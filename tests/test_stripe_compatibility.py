"""docs/stripe-compatibility.md is kept true: its routes are the routes served, its versions the versions
served (each one answered and echoed), its version changes the ones api/versions.py applies."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from mock_gateway.api import versions
from mock_gateway.app import ROUTES, create_app
from mock_gateway.store.db import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

DOC = Path(__file__).resolve().parent.parent / "docs" / "stripe-compatibility.md"


def _section_rows(heading: str) -> list[list[str]]:
    """The table rows (cells stripped) under the heading `heading`, up to the next heading."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^#+ {re.escape(heading)}\s*$(.*?)(?=^#+ |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/stripe-compatibility.md has no section {heading!r}"
    rows = []
    for line in match.group(1).splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header row


def _code(cell: str) -> str:
    found = re.fullmatch(r"`([^`]+)`", cell)
    assert found, f"expected a `code` cell, found {cell!r}"
    return found.group(1)


def test_every_route_served_is_listed_and_every_listed_route_is_served() -> None:
    create_app(Store(":memory:"))  # every API module imported, every route registered
    listed = {_code(row[0]) for row in _section_rows("Routes")}
    served = {f"{r.method} {r.path}" for r in ROUTES}
    assert served - listed == set(), "served but not in docs/stripe-compatibility.md"
    assert listed - served == set(), "in docs/stripe-compatibility.md but not served"


def test_the_versions_listed_are_the_versions_served() -> None:
    listed = [_code(row[0]) for row in _section_rows("API versions")]
    assert listed == list(versions.VERSIONS)
    with TestClient(create_app(Store(":memory:"))) as client:
        for version in listed:
            r = client.get("/v1/customers", headers={"Authorization": "Bearer sk_test_doc", "Stripe-Version": version})
            assert r.status_code == 200 and r.headers["Stripe-Version"] == version


def test_the_version_changes_listed_are_the_ones_applied() -> None:
    listed = {(_code(row[0]), _code(row[1]), row[2]) for row in _section_rows("Version changes modelled")}
    applied = {(c.version, c.object_type, c.title) for c in versions.CHANGES}
    assert listed == applied
