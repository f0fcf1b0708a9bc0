"""Search (/v1/<resource>/search): Stripe's query language parsed for real (api/search_query.py),
checked per resource, evaluated newest first with next_page; bad queries are 400s naming `query`."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_gateway.api.search_query import Clause, Query, QueryError, parse
from mock_gateway.app import create_app
from mock_gateway.store.db import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

H = {"Authorization": "Bearer sk_test_search"}

names = st.sampled_from(["status", "amount", "created", "customer", "email", "billing_details.address.postal_code"])
text_values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
clauses = st.builds(
    Clause,
    field=names,
    op=st.sampled_from([":", "~", ">", "<", ">=", "<="]),
    value=st.one_of(text_values, st.integers(-10**12, 10**12)),
    negated=st.booleans(),
    key=st.none(),
) | st.builds(Clause, field=st.just("metadata"), op=st.just(":"), value=text_values, negated=st.booleans(),
              key=text_values)
queries = st.builds(Query, connective=st.sampled_from(["AND", "OR"]), clauses=st.lists(clauses, min_size=1, max_size=10).map(tuple))


@given(queries)
def test_a_query_written_out_parses_back_to_itself(query: Query) -> None:
    parsed = parse(query.text())
    assert parsed.clauses == query.clauses
    assert parsed.connective == query.connective or len(query.clauses) == 1


@given(st.text(max_size=60))
def test_any_text_parses_or_is_a_query_error(text: str) -> None:
    try:
        query = parse(text)
    except QueryError as err:
        assert "query" in str(err).lower() or "clause" in str(err).lower() or "AND" in str(err)
    else:
        assert 1 <= len(query.clauses) <= 10


def test_the_language_details() -> None:
    q = parse("status:'succeeded'  and  -metadata[\"order id\"]:\"a\\\"b\"")
    assert q.connective == "AND"
    assert q.clauses == (Clause("status", ":", "succeeded"), Clause("metadata", ":", 'a"b', True, "order id"))
    assert parse('email~"abc" status:"x"').connective == "AND"  # a space alone means AND
    assert parse("amount>=-5").clauses == (Clause("amount", ">=", -5),)
    for bad in ("", "   ", "status", "status:", "status:\"open", "a:1 AND", "a:1 AND b:2 OR c:3", "metadata:\"x\"",
                "1abc:\"x\"", " OR a:1", "a:1ANDb:2", " ".join(f"a:{i}" for i in range(11))):
        with pytest.raises(QueryError):
            parse(bad)


AMOUNTS = [300, 1000, 1000, 2500, 9999, 50, 7000]


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(create_app(Store(":memory:"))) as c:
        for i, amount in enumerate(AMOUNTS):
            r = c.post("/v1/payment_intents", data={"amount": amount, "currency": "jpy" if i % 2 else "usd",
                                                    "metadata[n]": str(i)}, headers=H)
            assert r.status_code == 200, r.text
        yield c


def _search(client: Any, resource: str, query: str, **params: Any) -> Any:
    return client.get(f"/v1/{resource}/search", params={"query": query, **params}, headers=H)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from([">", "<", ">=", "<=", ":"]), bound=st.sampled_from([0, 50, 999, 1000, 1001, 7000, 10_000]),
       negated=st.booleans())
def test_amount_comparisons_select_what_python_selects(client: Any, op: str, bound: int, negated: bool) -> None:
    r = _search(client, "payment_intents", f"{'-' if negated else ''}amount{op}{bound}", limit=100)
    assert r.status_code == 200, r.text
    compare = {">": bound.__lt__, "<": bound.__gt__, ">=": bound.__le__, "<=": bound.__ge__, ":": bound.__eq__}[op]
    want = sorted(a for a in AMOUNTS if compare(a) != negated)
    assert sorted(pi["amount"] for pi in r.json()["data"]) == want


def test_and_or_metadata_and_pages(client: Any) -> None:
    got = _search(client, "payment_intents", 'currency:"jpy" AND amount>=1000', limit=100).json()
    assert got["object"] == "search_result" and got["url"] == "/v1/payment_intents/search"
    assert sorted(pi["amount"] for pi in got["data"]) == sorted(a for i, a in enumerate(AMOUNTS) if i % 2 and a >= 1000)
    got = _search(client, "payment_intents", 'metadata["n"]:"0" OR metadata["n"]:"6"').json()
    assert sorted(pi["metadata"]["n"] for pi in got["data"]) == ["0", "6"]
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = _search(client, "payment_intents", "amount>0", **params).json()
        seen += [pi["id"] for pi in page["data"]]
        if not page["has_more"]:
            assert page["next_page"] is None
            break
        params["page"] = page["next_page"]
    assert len(seen) == len(set(seen)) == len(AMOUNTS)
    assert [pi["created"] for pi in _search(client, "payment_intents", "amount>0", limit=100).json()["data"]] == sorted(
        pi["created"] for pi in _search(client, "payment_intents", "amount>0", limit=100).json()["data"])[::-1]


@pytest.mark.parametrize("query, fragment", [
    ("status:", "expected a quoted value"),
    ('nope:"x"', "cannot be searched"),
    ('amount:"abc"', "whole number"),
    ('status>"a"', "numeric fields"),
    ('status~"succ"', "Substring matching"),
    ("a:1 AND b:2 OR c:3", "cannot combine"),
    ('status:"x', "closing"),
])
def test_bad_queries_are_400_naming_query(client: Any, query: str, fragment: str) -> None:
    r = _search(client, "payment_intents", query)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "query" and fragment in error["message"]


def test_bad_page_and_missing_query(client: Any) -> None:
    r = _search(client, "payment_intents", "amount>0", page="not-a-page")
    assert r.status_code == 400 and r.json()["error"]["param"] == "page"
    r = client.get("/v1/payment_intents/search", headers=H)
    assert r.status_code == 400 and r.json()["error"]["param"] == "query"


def test_every_searchable_resource_answers(client: Any) -> None:
    cus = client.post("/v1/customers", data={"email": "hanako.search@example.jp", "name": "Hanako"}, headers=H).json()
    assert [c["id"] for c in _search(client, "customers", 'email~"ko.sea"').json()["data"]] == [cus["id"]]
    assert _search(client, "customers", 'name:"Hanako" AND -email:"x@example.jp"').json()["data"][0]["id"] == cus["id"]
    for resource in ("charges", "subscriptions", "invoices"):
        r = _search(client, resource, "created>0")
        assert r.status_code == 200 and r.json()["object"] == "search_result", (resource, r.text)
