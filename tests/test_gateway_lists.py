"""Lists as Stripe pages them: limit 1..100, starting_after / ending_before cursors, has_more, url."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mock_gateway.app  # noqa: F401  (registers every API route)
from mock_gateway.app import ROUTES

AUTH = {"Authorization": "Bearer sk_test_lists"}
LIST_PATHS = sorted(r.path for r in ROUTES if r.method == "GET" and "limit" in r.spec)
# Lists this test can fill in: no placeholder but {customer} (a customer it creates), no other required
# parameter (subscription items need their subscription: test_api_versions.py); searches answer
# search_result pages with next_page instead of cursors (tests/test_search.py)
_NEEDS_MORE = {r.path for r in ROUTES if r.method == "GET" and any(f.required for f in r.spec.values())}
FILLABLE = [p for p in LIST_PATHS if set(re.findall(r"\{(\w+)\}", p)) <= {"customer"} and not p.endswith("/search")
            and p not in _NEEDS_MORE]
PAGE_OF = 7


@pytest.fixture(scope="module")
def client(gateway):
    with httpx.Client(base_url=gateway.url, headers=AUTH, timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def customer_with_intents(client) -> tuple[str, list[str]]:
    """A customer with PAGE_OF intents; returns the customer and the intents newest first."""
    cus = client.post("/v1/customers", data={"name": "Lists"}).json()["id"]
    made = [client.post("/v1/payment_intents", data={"amount": str(100 + i), "currency": "usd", "customer": cus}).json()["id"]
            for i in range(PAGE_OF)]
    return cus, list(reversed(made))


def _fill(path: str, customer: str) -> str:
    return re.sub(r"\{\w+\}", customer, path)


@pytest.mark.parametrize("path", LIST_PATHS)
@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5"])
def test_limit_out_of_range_is_a_400_naming_limit(client, customer_with_intents, path, limit):
    answer = client.get(_fill(path, customer_with_intents[0]), params={"limit": limit})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == "limit"


@pytest.mark.parametrize("path", FILLABLE)
def test_every_list_is_a_list_object_with_its_url(client, customer_with_intents, path):
    url = _fill(path, customer_with_intents[0])
    for limit in ("1", "100"):
        answer = client.get(url, params={"limit": limit})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["object"] == "list" and page["url"] == url
        assert isinstance(page["has_more"], bool) and len(page["data"]) <= int(limit)


@pytest.mark.parametrize("path", FILLABLE)
def test_unknown_cursor_and_both_cursors_are_400s(client, customer_with_intents, path):
    url = _fill(path, customer_with_intents[0])
    unknown = client.get(url, params={"starting_after": "obj_does_not_exist"})
    assert unknown.status_code in (400, 404) and unknown.json()["error"]["param"] == "starting_after"
    _, intents = customer_with_intents
    both = client.get(url, params={"starting_after": intents[0], "ending_before": intents[1]})
    assert both.status_code == 400 and both.json()["error"]["param"] in ("starting_after", "ending_before")


def test_default_limit_is_ten(client):
    for i in range(11):
        client.post("/v1/customers", data={"name": f"Default {i}"})
    page = client.get("/v1/customers").json()
    assert len(page["data"]) == 10 and page["has_more"] is True


@settings(max_examples=40, deadline=None)
@given(limit=st.integers(1, PAGE_OF + 2), start=st.integers(0, PAGE_OF - 1))
def test_pages_forward_and_back(client, customer_with_intents, limit, start):
    cus, intents = customer_with_intents
    # Forward from intents[start]: the next `limit` older ones, has_more while some remain.
    forward = client.get("/v1/payment_intents", params={"customer": cus, "limit": limit, "starting_after": intents[start]}).json()
    expected = intents[start + 1:start + 1 + limit]
    assert [pi["id"] for pi in forward["data"]] == expected
    assert forward["has_more"] is (start + 1 + limit < PAGE_OF)
    # Back from intents[start]: the `limit` newer ones just before it, still newest first.
    back = client.get("/v1/payment_intents", params={"customer": cus, "limit": limit, "ending_before": intents[start]}).json()
    assert [pi["id"] for pi in back["data"]] == intents[max(0, start - limit):start]
    assert back["has_more"] is (start - limit > 0)


@pytest.mark.parametrize("limit", [1, 2, 3, PAGE_OF, 100])
def test_walking_every_page_yields_each_object_once(client, customer_with_intents, limit):
    cus, intents = customer_with_intents
    seen, params = [], {"customer": cus, "limit": limit}
    for _ in range(PAGE_OF + 1):
        page = client.get("/v1/payment_intents", params=params).json()
        seen += [pi["id"] for pi in page["data"]]
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert seen == intents
