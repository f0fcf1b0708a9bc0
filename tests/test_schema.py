"""The JSON Schemas of scenario, variant, persona and fault-profile files (scenarios/schema.py).

They are recorded from the loaders, so these tests hold them to the loaders: the committed files are
what the loaders give today, every shipped file and exemplar passes, and a document with one bad key
(a wrong type, a value out of bounds or not among the choices, an unknown key) is rejected by both
the loader and the schema.
"""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from scenarios.schema import KINDS, _forms, main, schema_path, shipped_files, validate_with_loader


def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_path(kind).read_text(encoding="utf-8")))


def _documents(kind: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in shipped_files(kind):
        for raw in _forms(kind, tomllib.loads(path.read_text(encoding="utf-8")), str(path)):
            out.append((str(path), json.loads(json.dumps(raw, default=str))))
    return out


DOCUMENTS = {kind: _documents(kind) for kind in KINDS}


def test_the_committed_schemas_are_what_the_loaders_give_today() -> None:
    assert main([]) == 0, "run `python -m scenarios.schema --write` after changing a loader"


@pytest.mark.parametrize("kind", KINDS)
def test_every_shipped_file_and_exemplar_passes_both(kind: str) -> None:
    validator = _validator(kind)
    for file, raw in DOCUMENTS[kind]:
        assert validate_with_loader(kind, raw, file) is None, file
        errors = [e.message for e in validator.iter_errors(raw)]
        assert not errors, (file, errors[:3])


def _leaves(doc: Any, schema: dict[str, Any], path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Places in `doc` where the schema says one plain thing: (path, schema there)."""
    out: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    if isinstance(doc, dict):
        out.append((path + ("<new key>",), schema))  # every table, whatever the schema says of it
    if isinstance(doc, dict) and schema.get("type") == "object":
        for k, v in doc.items():
            sub = schema.get("properties", {}).get(k)
            if sub:
                out += _leaves(v, sub, path + (k,))
    elif isinstance(doc, list) and schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        for i, v in enumerate(doc):
            out += _leaves(v, schema["items"], path + (i,))
    elif schema.get("type") in ("string", "number", "integer", "boolean"):
        out.append((path, schema))
    return out


def _mutate(doc: dict[str, Any], path: tuple[Any, ...], schema: dict[str, Any], how: int) -> dict[str, Any] | None:
    bad = copy.deepcopy(doc)
    parent: Any = bad
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    if last == "<new key>":
        parent["zz_not_a_key"] = 1
        return bad
    kind = schema["type"]
    options = [{"string": 12345, "boolean": "yes"}.get(kind, "not a number")]
    if "enum" in schema:
        options.append("not-one-of-the-choices")
    if "maximum" in schema:
        options.append(schema["maximum"] + 1)
    if "minimum" in schema:
        options.append(schema["minimum"] - 1)
    parent[last] = options[how % len(options)]
    return bad


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_a_bad_key_is_rejected_by_the_loader_and_by_the_schema(kind: str, data: st.DataObject) -> None:
    schema = json.loads(schema_path(kind).read_text(encoding="utf-8"))
    file, doc = data.draw(st.sampled_from(DOCUMENTS[kind]))
    leaves = _leaves(doc, schema)
    path, at = data.draw(st.sampled_from(leaves))
    bad = _mutate(doc, path, at, data.draw(st.integers(0, 3)))
    loader_error = validate_with_loader(kind, bad, file)
    schema_errors = list(Draft202012Validator(schema).iter_errors(bad))
    if path[-1] == "<new key>":
        # a table the loader closes refuses the key by name; the schema must refuse it too, and
        # must not refuse a key the loader takes (a free-form table such as journeys.personas)
        refused_by_name = loader_error is not None and loader_error.key.endswith("zz_not_a_key")
        assert bool(schema_errors) == refused_by_name or (schema_errors and loader_error is not None), \
            (path, loader_error, [e.message for e in schema_errors][:2])
        return
    assert loader_error is not None, (path, "the loader accepted it")
    assert schema_errors, (path, f"the schema accepted what the loader refused: {loader_error}")
