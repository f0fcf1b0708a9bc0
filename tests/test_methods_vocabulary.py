"""One vocabulary of payment-method names (scenarios/methods.py): the page draws exactly the methods
it says are on the page, the gateway takes every name in it, a shopper recognises each page label
as its method, and a variant offering a method the page cannot draw is refused when loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_gateway.checkout.methods import PAGE_METHODS
from mock_gateway.core.methods import PAYMENT_METHOD_TYPES
from scenarios import methods
from scenarios.errors import ScenarioError
from scenarios.variants import VARIANT_DIR, list_variants, load_variant


def test_the_page_draws_exactly_the_methods_the_vocabulary_puts_on_it() -> None:
    assert tuple(PAGE_METHODS) == methods.ON_PAGE


def test_the_gateway_takes_every_method_the_lab_names() -> None:
    assert set(methods.NAMES) <= set(PAYMENT_METHOD_TYPES)


@pytest.mark.parametrize("name", sorted(PAGE_METHODS))
def test_a_shopper_recognises_each_page_label_as_its_method(name: str) -> None:
    for locale, label in PAGE_METHODS[name].label.items():
        recognised = next((method for method, words in methods.LABEL_WORDS if words.search(label)), None)
        assert recognised == name, (locale, label)


def test_the_lists_elsewhere_are_the_vocabulary() -> None:
    from harness.journeys.paying import METHOD_WORDS
    from harness.load.order import REDIRECT_ACTIONS
    from scenarios.load import METHOD_KEYS
    from scenarios.personas import PAID_LATER, PAYMENT_METHODS

    assert PAYMENT_METHODS is methods.NAMES and PAID_LATER is methods.PAID_LATER
    assert METHOD_KEYS is methods.LOAD_KEYS and REDIRECT_ACTIONS is methods.REDIRECT_ACTIONS
    assert METHOD_WORDS is methods.LABEL_WORDS


def test_every_shipped_variant_offers_only_what_the_page_draws() -> None:
    for name in list_variants():
        assert set(load_variant(name).payment_methods) <= set(methods.ON_PAGE), name


@pytest.mark.parametrize("method", [m for m in methods.NAMES if m not in methods.ON_PAGE])
def test_a_variant_offering_a_method_the_page_cannot_draw_is_refused(tmp_path: Path, method: str) -> None:
    base = (VARIANT_DIR / "baseline.toml").read_text(encoding="utf-8")
    assert 'offered = ["card"]' in base
    path = tmp_path / "v.toml"
    path.write_text(base.replace('offered = ["card"]', f'offered = ["card", "{method}"]', 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_variant(path)
    assert err.value.file == str(path) and err.value.key == "payment_methods.offered" and err.value.found == method
    assert "the reference page can show (card, konbini)" in str(err.value)
