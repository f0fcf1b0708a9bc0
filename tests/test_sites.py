"""`[journeys.site]`: a user's own checkout as a journey site (scenarios/sites.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios.errors import ScenarioError
from scenarios.scenario import parse_scenario
from scenarios.sites import SitePlan


def _scenario(site: dict, variants=("a", "b")) -> dict:
    return {"journeys": {"variants": list(variants), "personas": ["desktop-typical"], "count": 2, "site": site}}


GOOD = {
    "start": "http://127.0.0.1:3000/product/tea",
    "steps": [{"click": "Add to cart"}, {"goto": "/checkout"}, {"fill": "Coupon", "value": ""}],
    "success": {"url": "/thank-you"},
    "variants": {"a": "", "b": "?layout=steps"},
}


def test_a_site_scenario_loads_with_the_sites_own_variant_names() -> None:
    s = parse_scenario(_scenario(GOOD), "own.toml")
    site = s.journeys.site
    assert [x.action for x in site.steps] == ["click", "goto", "fill"]
    assert site.success.kind == "url" and site.stripe_js
    assert site.url_for("a", "j00001-a", 7) == "http://127.0.0.1:3000/product/tea"
    assert site.url_for("b", "j00001-b", 7) == "http://127.0.0.1:3000/product/tea?layout=steps"
    assert SitePlan.from_dict(site.as_dict()) == site


def test_a_variant_may_have_its_own_start_and_steps() -> None:
    site = parse_scenario(_scenario({**GOOD, "variants": {"a": "", "b": {"start": "?x=1", "steps": [{"goto": "/pay"}]}}}),
                          "own.toml").journeys.site
    assert [s.target for s in site.steps_for("a")] == ["Add to cart", "/checkout", "Coupon"]
    assert [s.target for s in site.steps_for("b")] == ["/pay"]
    assert site.url_for("b", "j", 1).endswith("/product/tea?x=1")
    assert SitePlan.from_dict(site.as_dict()) == site


def test_without_a_site_variants_are_the_shipped_ones() -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario({"journeys": {"variants": ["a"], "personas": ["desktop-typical"]}}, "x.toml")
    assert err.value.key == "journeys.variants"


@pytest.mark.parametrize("change, key", [
    ({"start": "javascript:alert(1)"}, "journeys.site.start"),
    ({"start": "//host/x"}, "journeys.site.start"),
    ({"start": "http://h/{nope}"}, "journeys.site.start"),
    ({"steps": [{"click": "A", "goto": "/b"}]}, "journeys.site.steps[0]"),
    ({"steps": [{"press": "A"}]}, "journeys.site.steps[0]"),
    ({"steps": [{"click": "A", "value": "x"}]}, "journeys.site.steps[0].value"),
    ({"steps": [{"click": "x"}] * 21}, "journeys.site.steps"),
    ({"success": {"url": "("}}, "journeys.site.success.url"),
    ({"success": {"payment": "paid"}}, "journeys.site.success.payment"),
    ({"success": {}}, "journeys.site.success"),
    ({"variants": {"a": "layout=steps", "b": ""}}, "journeys.site.variants.a"),
    ({"variants": {"a": 3, "b": ""}}, "journeys.site.variants.a"),
    ({"variants": {"a": {"steps": [{"go": "/x"}]}, "b": ""}}, "journeys.site.variants.a.steps[0]"),
    ({"variants": {"a": {"colour": "red"}, "b": ""}}, "journeys.site.variants.a.colour"),
    ({"colour": "red"}, "journeys.site.colour"),
])
def test_bad_site_input_names_the_key(change: dict, key: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_scenario({**GOOD, **change}), "own.toml")
    assert err.value.key == key and err.value.file == "own.toml"


def test_a_journeys_variant_the_site_does_not_name_is_an_error() -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_scenario(GOOD, variants=("a", "c")), "own.toml")
    assert err.value.key == "journeys.variants" and err.value.found == "c"


@given(query=st.from_regex(r"\?[a-z]{1,8}=[a-z0-9]{1,8}", fullmatch=True), has_query=st.booleans())
def test_a_query_variant_keeps_the_start_urls_own_query(query: str, has_query: bool) -> None:
    start = "http://127.0.0.1:3000/p" + ("?ref=ad" if has_query else "")
    site = parse_scenario(_scenario({**GOOD, "start": start, "variants": {"a": query, "b": ""}}), "f").journeys.site
    url = site.url_for("a", "j", 1)
    assert url.count("?") == 1 and url.startswith(start) and url.endswith(query[1:])
