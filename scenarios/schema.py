"""JSON Schemas of the scenario, variant, persona and fault-profile files, made from the loaders.

Why from the loaders and not by hand: the loaders (scenario.py, variants.py, personas.py,
faults.py, through reading.Table) are the one definition of what a file may say. A hand-written
schema would drift from them. So the schema is *recorded*: every loader runs over every shipped
file and over the exemplars in scenarios/schema/exemplars/ (which take the branches no shipped
file takes), while each typed read of a Table is noted (key, type, choices, bounds, required,
closed tables). The result is written to scenarios/schema/<kind>.schema.json for editors
(docs/editor-support.md); tests/test_schema.py checks that the files are what the loaders give
today and that the schema rejects what the loaders reject.

    python -m scenarios.schema          # check: exit 1 if a schema file is out of date
    python -m scenarios.schema --write  # write them anew after a loader changed

The schema is a helper for editors, not the validator: what a loader checks beyond one key
(gates naming a variant, shares adding up to 1, a profile file existing) only the loader checks.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ScenarioError
from .reading import Table

reading_file = Table.__init__.__code__.co_filename

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
EXEMPLAR_DIR = SCHEMA_DIR / "exemplars"
KINDS = ("scenario", "variant", "persona", "fault-profile")
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_INDEX = re.compile(r"\[\d+\]")
_DURATION_TEXT = r"^\s*(\d+(\.\d+)?h)?\s*(\d+(\.\d+)?m(?!s))?\s*(\d+(\.\d+)?s)?\s*(\d+(\.\d+)?ms)?\s*$"


@dataclass
class _Node:
    """One table as the loaders read it: its keys' schemas, required keys, whether it is closed."""

    props: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    untyped: set[str] = field(default_factory=set)  # read with get() only: any value
    scalars: set[str] = field(default_factory=set)  # read with get() and found holding a value, not a table
    required_runs: list[set[str]] = field(default_factory=list)
    allowed: set[str] = field(default_factory=set)
    closed: bool = False

    def absorb(self, other: _Node) -> None:
        """Add what another recording of the same kind of table saw."""
        for name, schemas in other.props.items():
            self.props[name] += [x for x in schemas if x not in self.props[name]]
        self.untyped |= other.untyped
        self.scalars |= other.scalars
        self.allowed |= other.allowed
        self.closed = self.closed or other.closed
        self.required_runs += other.required_runs


class _Recorder:
    """Notes the reads of the Tables of one file (tables of other files, such as a fault profile
    a scenario names, belong to that file's own schema)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes: dict[str, _Node] = defaultdict(_Node)
        self.sites: dict[str, str] = {}  # path -> the loader function that made its Table itself
        self._required: dict[int, set[str]] = {}
        self._site_of: dict[int, str] = {}

    def made(self, t: Table, site: str | None) -> None:
        """A new Table (its id may be a collected one's: forget what was noted under it)."""
        self._required[id(t)] = set()
        self._site_of.pop(id(t), None)
        if site is not None and t.file == self.file:
            self._site_of[id(t)] = site

    def node(self, t: Table) -> _Node | None:
        if t.file != self.file:
            return None
        path = _INDEX.sub("[]", t.path)
        self._required.setdefault(id(t), set())
        if id(t) in self._site_of:
            self.sites[path] = self._site_of[id(t)]
        return self.nodes[path]

    def typed(self, t: Table, name: str, schema: dict[str, Any], required: bool) -> None:
        node = self.node(t)
        if node is None:
            return
        if schema not in node.props[name]:
            node.props[name].append(schema)
        if required:
            self._required[id(t)].add(name)

    def untyped(self, t: Table, name: str) -> None:
        node = self.node(t)
        if node is not None:
            node.untyped.add(name)
            if name in t.data and not isinstance(t.data[name], (dict, list)):
                node.scalars.add(name)

    def done(self, t: Table, allowed_extra: tuple[str, ...]) -> None:
        node = self.node(t)
        if node is None:
            return
        node.closed = True
        node.allowed |= t._seen | set(allowed_extra)
        node.required_runs.append(self._required.get(id(t), set()))


def _bounded(kind: str, lo: float | None, hi: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind}
    if lo is not None:
        out["minimum"] = lo
    if hi is not None:
        out["maximum"] = hi
    return out


def _wrap(recorder: _Recorder) -> dict[str, Callable[..., Any]]:
    """Table methods that record and then do what they always do."""
    original = {name: getattr(Table, name) for name in
                ("__init__", "get", "text", "integer", "decimal", "number", "choice", "flag", "duration", "text_list", "table",
                 "done")}

    def init(self: Table, data: Any, file: str, path: str = "") -> None:
        original["__init__"](self, data, file, path)
        caller = sys._getframe(1)
        # A Table made by one line of a loader (a {dist = ...} value, a rule, a range) has the same
        # keys wherever that line is used; one made by Table.table() is a section of its own.
        code = caller.f_code
        recorder.made(self, None if code.co_filename == reading_file else f"{code.co_filename}:{caller.f_lineno}")

    def get(self: Table, name: str, default: Any = None) -> Any:
        recorder.untyped(self, name)
        return original["get"](self, name, default)

    def text(self: Table, name: str, default: str | None = None, choices: tuple[str, ...] | None = None) -> Any:
        recorder.typed(self, name, {"type": "string", **({"enum": list(choices)} if choices else {})}, False)
        return original["text"](self, name, default, choices)

    def integer(self: Table, name: str, default: int | None = None, min: int | None = None, max: int | None = None) -> Any:
        recorder.typed(self, name, _bounded("integer", min, max), False)
        return original["integer"](self, name, default, min, max)

    def decimal(self: Table, name: str, default: float | None = None, min: float | None = None,
               max: float | None = None) -> Any:
        recorder.typed(self, name, _bounded("number", min, max), False)
        return original["decimal"](self, name, default, min, max)

    def number(self: Table, name: str, min: float | None = None, max: float | None = None,
               default: float | None = None) -> Any:
        recorder.typed(self, name, _bounded("number", min, max), default is None)
        return original["number"](self, name, min, max, default)

    def choice(self: Table, name: str, choices: tuple[str, ...]) -> Any:
        recorder.typed(self, name, {"type": "string", "enum": list(choices)}, True)
        return original["choice"](self, name, choices)

    def flag(self: Table, name: str, default: bool | None = None) -> Any:
        recorder.typed(self, name, {"type": "boolean"}, False)
        return original["flag"](self, name, default)

    def duration(self: Table, name: str, default: Any = None) -> Any:
        recorder.typed(self, name, {"anyOf": [{"type": "number", "minimum": 0},
                                              {"type": "string", "pattern": _DURATION_TEXT}]}, False)
        return original["duration"](self, name, default)

    def text_list(self: Table, name: str, default: list[str] | None = None) -> Any:
        recorder.typed(self, name, {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}, False)
        return original["text_list"](self, name, default)

    def table(self: Table, name: str, required: bool = False) -> Any:
        recorder.typed(self, name, {"type": "object"}, required)
        return original["table"](self, name, required)

    def done(self: Table, allowed_extra: tuple[str, ...] = ()) -> None:
        recorder.done(self, allowed_extra)
        return original["done"](self, allowed_extra)

    return {"__init__": init, "get": get, "text": text, "integer": integer, "decimal": decimal, "number": number, "choice": choice,
            "flag": flag, "duration": duration, "text_list": text_list, "table": table, "done": done}


@contextlib.contextmanager
def _recording(file: str) -> Iterator[_Recorder]:
    """Record the Table reads of `file` while a loader runs (schema generation only; not thread-safe)."""
    recorder = _Recorder(file)
    saved = {name: getattr(Table, name) for name in _wrap(recorder)}
    for name, fn in _wrap(recorder).items():
        setattr(Table, name, fn)
    try:
        yield recorder
    finally:
        for name, fn in saved.items():
            setattr(Table, name, fn)


# -- the loaders, by kind ---------------------------------------------------------------------------
def _parse(kind: str, raw: dict[str, Any], file: str) -> Any:
    if kind == "scenario":
        from .scenario import parse_scenario

        return parse_scenario(raw, file, default_name=Path(file).stem)
    if kind == "variant":
        from .variants import parse_variant

        return parse_variant(raw, file, Path(file).stem)
    if kind == "persona":
        from .personas import parse_persona

        return parse_persona(raw, file, Path(file).stem)
    from .faults import parse_profile

    return parse_profile(raw, file, name=Path(file).stem)


def shipped_files(kind: str) -> list[Path]:
    """The files of a kind this package ships, and the exemplars that cover the other branches."""
    root = Path(__file__).resolve().parent
    shipped = {
        "scenario": sorted(root.glob("*.toml")),
        "variant": sorted((root / "variants").glob("*.toml")),
        "persona": sorted((root / "personas").glob("*.toml")),
        "fault-profile": sorted((root / "faults").glob("*.toml")),
    }[kind]
    return shipped + sorted((EXEMPLAR_DIR / kind).glob("*.toml"))


def _forms(kind: str, raw: dict[str, Any], file: str) -> list[dict[str, Any]]:
    """The document, and for a persona the same people written the other ways the loader reads
    them: every {dist = ...} table as a number, and every number that may be one as a table."""
    if kind != "persona":
        return [raw]

    def numbers(v: Any) -> Any:
        if isinstance(v, dict) and "dist" in v:
            if "value" in v:
                return v["value"]
            if "mean" in v:
                return v["mean"]
            return (v["min"] + v["max"]) / 2
        return {k: numbers(x) for k, x in v.items()} if isinstance(v, dict) else v

    as_numbers = numbers(raw)
    as_tables = json.loads(json.dumps(as_numbers))
    leaves = []

    def walk(v: dict[str, Any], path: tuple[str, ...]) -> None:
        for k, x in v.items():
            if isinstance(x, dict):
                walk(x, path + (k,))
            elif isinstance(x, (int, float)) and not isinstance(x, bool):
                leaves.append(path + (k,))

    walk(as_tables, ())
    for leaf in leaves:
        parent = as_tables
        for k in leaf[:-1]:
            parent = parent[k]
        number = parent[leaf[-1]]
        parent[leaf[-1]] = {"dist": "fixed", "value": number}
        if validate_with_loader(kind, as_tables, file) is not None:
            parent[leaf[-1]] = number  # a plain number there (a share, a weight): no table form
    return [raw, as_numbers, as_tables]


def validate_with_loader(kind: str, raw: dict[str, Any], file: str) -> ScenarioError | None:
    """What the loader says of a parsed document: None (accepted) or its error."""
    try:
        _parse(kind, raw, file)
    except ScenarioError as err:
        return err
    return None


# -- from records to a JSON Schema --------------------------------------------------------------
def _merge(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


def _same_site(nodes: dict[str, _Node], sites: dict[str, str]) -> dict[str, _Node]:
    """Tables one line of a loader makes are read alike wherever they stand (a {dist = ...} value
    under any key): each such table's schema is the union of what was recorded at all of them, so
    a form seen at one key is allowed at the others (the required keys are those required at all)."""
    by_site: dict[str, list[str]] = defaultdict(list)
    for path, site in sites.items():
        by_site[site].append(path)
    out = dict(nodes)
    for paths in by_site.values():
        union = _Node()
        for p in paths:
            union.absorb(nodes[p])
        for p in paths:
            out[p] = union
    return out


def _object(path: str, nodes: dict[str, _Node]) -> dict[str, Any]:
    node = nodes[path]
    props: dict[str, Any] = {}
    for name in sorted(set(node.props) | node.untyped | node.allowed):
        child = f"{path}.{name}" if path else name
        items = f"{child}[]"
        typed = [s for s in node.props.get(name, []) if s != {"type": "object"}]
        nested: list[dict[str, Any]] = []
        if child in nodes:
            nested.append(_object(child, nodes))
        if items in nodes:
            nested.append({"type": "array", "items": _object(items, nodes)})
        if nested and not typed and name in node.scalars:
            typed = [{"not": {"type": ["object", "array"]}}]  # a value here, a table elsewhere ("200ms" or {dist = ...})
        parts = typed + nested
        if not parts and {"type": "object"} in node.props.get(name, []):
            parts = [{"type": "object"}]
        props[name] = _merge(parts) if parts else {}
    out: dict[str, Any] = {"type": "object", "properties": props}
    required = set.intersection(*node.required_runs) if node.required_runs else set()
    if required:
        out["required"] = sorted(required)
    if node.closed:
        out["additionalProperties"] = False
    return out


def build_schema(kind: str) -> dict[str, Any]:
    """Run the kind's loader over every shipped file and exemplar, recording what it reads."""
    nodes: dict[str, _Node] = defaultdict(_Node)
    sites: dict[str, str] = {}
    for path in shipped_files(kind):
        file = str(path)
        for raw in _forms(kind, tomllib.loads(path.read_text(encoding="utf-8")), file):
            with _recording(file) as rec:
                error = validate_with_loader(kind, raw, file)
            if error is not None:
                raise RuntimeError(f"{file} does not load, so it cannot describe the {kind} files: {error}")
            _add(nodes, sites, rec)
    schema = _object("", _same_site(nodes, sites))
    return {"$schema": _DRAFT, "$id": f"https://checkout-harness.invalid/schema/{kind}.schema.json",
            "title": f"checkout-harness {kind} file", **schema}


def _add(nodes: dict[str, _Node], sites: dict[str, str], rec: _Recorder) -> None:
    """Add one loader run's records to what the other runs recorded."""
    for p, n in rec.nodes.items():
        nodes[p].absorb(n)
    sites.update(rec.sites)


def schema_path(kind: str) -> Path:
    return SCHEMA_DIR / f"{kind}.schema.json"


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    write = "--write" in args
    stale = []
    for kind in KINDS:
        text = render(build_schema(kind))
        path = schema_path(kind)
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
        elif not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(str(path))
    if stale:
        print("out of date (run `python -m scenarios.schema --write`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
