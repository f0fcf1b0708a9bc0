"""Stripe's bracket form encoding: what the harness's encoder writes, the gateway's parser reads back."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.stripe_api import encode
from mock_gateway.api.forms import MAX_DEPTH, parse_form
from mock_gateway.core.errors import StripeError

# Names as Stripe's SDKs may send them: anything but brackets, not all digits (an all-digit name
# inside brackets is a list index, as Stripe reads it), and at least one character.
names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="[]"), min_size=1, max_size=12).filter(
    lambda s: not (s.isascii() and s.isdigit())
)
scalars = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
leaf_lists = st.lists(scalars, min_size=1, max_size=4)


def _objects(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.dictionaries(names, children, min_size=1, max_size=4)


# Nested params: objects of scalars, lists of scalars, lists of objects, objects of those, ...
params = st.recursive(
    scalars | leaf_lists,
    lambda children: _objects(children) | st.lists(_objects(children), min_size=1, max_size=3),
    max_leaves=8,
)
top_level = st.dictionaries(names, params, max_size=6)


@given(top_level)
def test_encode_then_parse_is_the_identity(p):
    assert parse_form(urlencode(encode(p))) == p
    # Stripe's SDKs leave brackets unencoded (urlencode encodes them): both read the same, as bytes too.
    body = "&".join(f"{quote(k, safe='[]')}={quote(v)}" for k, v in encode(p))
    assert parse_form(body.encode()) == p


@given(st.lists(scalars, min_size=1, max_size=5), names)
def test_append_notation_is_a_list_in_order(values, name):
    body = urlencode([(f"{name}[]", v) for v in values])
    assert parse_form(body) == {name: values}


@given(names, st.integers(0, 50), st.integers(0, 50))
def test_indices_sort_numerically(name, a, b):
    if a == b:
        return
    body = urlencode([(f"{name}[{a}]", "first"), (f"{name}[{b}]", "second")])
    expected = ["first", "second"] if a < b else ["second", "first"]
    assert parse_form(body) == {name: expected}


def test_top_level_digit_names_stay_names():
    assert parse_form("0=a&1=b") == {"0": "a", "1": "b"}


malformed_keys = st.one_of(
    st.builds(lambda n, tail: n + tail, names, st.sampled_from(["[", "]", "[a", "a]", "][", "[[a]]", "[a]b", "[a]]"])),
    st.builds(lambda n: "[" + n + "]", names),
)


@given(malformed_keys, scalars)
def test_malformed_keys_are_400s_naming_the_param(key, value):
    with pytest.raises(StripeError) as err:
        parse_form(urlencode([(key, value)]))
    assert err.value.status == 400 and err.value.type == "invalid_request_error"
    assert err.value.param == key
    assert err.value.envelope()["error"]["param"] == key


@pytest.mark.parametrize(
    "body, param",
    [
        ("a=1&a=2", "a"),  # a value given twice
        ("a=1&a[b]=2", "a[b]"),  # a value and an object
        ("a[b]=1&a=2", "a"),
        ("a[]=1&a[b]=2", "a[b]"),  # a list and an object
        ("a[b]=1&a[]=2", "a[]"),
        ("a[b][]=1&a[b][c]=2", "a[b][c]"),
    ],
)
def test_conflicting_notations_name_the_param(body, param):
    with pytest.raises(StripeError) as err:
        parse_form(body)
    assert err.value.status == 400 and err.value.param == param


@given(st.integers(MAX_DEPTH, 400))
def test_nesting_deeper_than_the_limit_is_refused(depth):
    key = "metadata" + "[a]" * depth
    with pytest.raises(StripeError) as err:
        parse_form(f"{key}=x")
    assert err.value.status == 400 and err.value.param


@pytest.mark.parametrize("body", [b"a=%FF", b"a=\xff", b"%C3=1", b"a=%ED%A0%80"])
def test_bodies_that_are_not_utf8_are_400s(body):
    with pytest.raises(StripeError) as err:
        parse_form(body)
    assert err.value.status == 400 and err.value.type == "invalid_request_error"
