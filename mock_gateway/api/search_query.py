"""Stripe's search query language, parsed by recursive descent into a small tree.

    query      := clause (connective clause)*        up to 10 clauses; AND and OR not mixed
    connective := "AND" | "OR" | whitespace            (whitespace alone means AND; keywords any case)
    clause     := ["-"] field op value
    field      := name ("." name)* | "metadata" "[" string "]"
    op         := ":" | "~" | ">=" | "<=" | ">" | "<"
    value      := string | integer
    string     := '"' chars '"' | "'" chars "'"          (backslash escapes the quote and itself)

What each resource may search (fields, which take comparisons or `~`) is the caller's table
(api/search.py); this module knows only the language. Errors name the position and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CLAUSES = 10
OPERATORS = (">=", "<=", ":", "~", ">", "<")  # two-character ones first


class QueryError(ValueError):
    """A query that is not in the language; the message says where and what was expected."""


@dataclass(frozen=True)
class Clause:
    field: str  # dotted name, or "metadata" with `key` set
    op: str
    value: str | int
    negated: bool = False
    key: str | None = None  # metadata["key"]

    def text(self) -> str:
        """The clause written back in the language (quotes escaped)."""
        name = f"metadata[{_quote(self.key)}]" if self.key is not None else self.field
        value = str(self.value) if isinstance(self.value, int) else _quote(self.value)
        return f"{'-' if self.negated else ''}{name}{self.op}{value}"


@dataclass(frozen=True)
class Query:
    connective: str  # "AND" or "OR"
    clauses: tuple[Clause, ...]

    def text(self) -> str:
        return f" {self.connective} ".join(c.text() for c in self.clauses)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def fail(self, expected: str) -> QueryError:
        found = repr(self.text[self.pos:self.pos + 12]) if self.pos < len(self.text) else "the end of the query"
        return QueryError(f"Invalid search query at position {self.pos}: expected {expected}, found {found}.")

    def skip_spaces(self) -> bool:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos > start

    def query(self) -> Query:
        self.skip_spaces()
        if self.pos >= len(self.text):
            raise QueryError("The search query is empty: expected at least one clause such as status:\"succeeded\".")
        clauses = [self.clause()]
        connectives: set[str] = set()
        while True:
            spaced = self.skip_spaces()
            if self.pos >= len(self.text):
                break
            word = self._keyword()
            if word is not None:
                connectives.add(word)
                if not self.skip_spaces():
                    raise self.fail(f"a space after {word}")
            elif not spaced:
                raise self.fail("AND, OR or a space between clauses")
            else:
                connectives.add("AND")
            clauses.append(self.clause())
        if len(connectives) > 1:
            raise QueryError("A search query cannot combine AND and OR; use one of them throughout.")
        if len(clauses) > MAX_CLAUSES:
            raise QueryError(f"A search query can have at most {MAX_CLAUSES} clauses; found {len(clauses)}.")
        return Query(connectives.pop() if connectives else "AND", tuple(clauses))

    def _keyword(self) -> str | None:
        for word in ("AND", "OR"):
            end = self.pos + len(word)
            if self.text[self.pos:end].upper() == word and (end >= len(self.text) or self.text[end].isspace()):
                self.pos = end
                return word
        return None

    def clause(self) -> Clause:
        negated = self.text.startswith("-", self.pos)
        if negated:
            self.pos += 1
        field = self.name()
        key = None
        if field == "metadata":
            if not self.text.startswith("[", self.pos):
                raise self.fail('[ after metadata, as in metadata["order_id"]')
            self.pos += 1
            key = self.string()
            if not self.text.startswith("]", self.pos):
                raise self.fail("] to close metadata[...]")
            self.pos += 1
        op = next((o for o in OPERATORS if self.text.startswith(o, self.pos)), None)
        if op is None:
            raise self.fail("an operator (:, ~, >, <, >=, <=)")
        self.pos += len(op)
        return Clause(field, op, self.value(), negated, key)

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "._"):
            self.pos += 1
        name = self.text[start:self.pos]
        if not name or not name[0].isalpha() or ".." in name or name.endswith("."):
            self.pos = start
            raise self.fail("a field name such as status or metadata[\"key\"]")
        return name

    def value(self) -> str | int:
        if self.pos < len(self.text) and self.text[self.pos] in "\"'":
            return self.string()
        start = self.pos
        if self.text.startswith("-", self.pos):
            self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            self.pos += 1
        digits = self.text[start:self.pos]
        if digits in ("", "-"):
            self.pos = start
            raise self.fail('a quoted value such as "succeeded" or a whole number such as 1000')
        return int(digits)

    def string(self) -> str:
        if self.pos >= len(self.text) or self.text[self.pos] not in "\"'":
            raise self.fail("a quoted string")
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] in (quote, "\\"):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if ch == quote:
                self.pos += 1
                return "".join(out)
            out.append(ch)
            self.pos += 1
        raise self.fail(f"the closing {quote}")


def parse(text: str) -> Query:
    """The query's tree, or QueryError."""
    return _Parser(text).query()
