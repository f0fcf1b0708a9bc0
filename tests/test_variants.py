"""The variant loader: shipped variants load, bad files fail naming file, key and expected values."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.errors import ScenarioError
from scenarios.variants import VARIANT_DIR, list_variants, load_variant


def test_the_shipped_variants_and_their_designs():
    assert {"baseline", "inline-best", "steps", "forced-account"} <= set(list_variants())
    baseline = load_variant("baseline")
    assert (baseline.validation_timing, baseline.error_placement, baseline.layout) == ("submit", "summary", "one-page")
    assert baseline.phone == "required" and baseline.kana and baseline.name_fields == "split"
    best = load_variant("inline-best")
    assert (best.validation_timing, best.error_placement, best.card_number_format) == ("live", "inline", "groups")
    assert best.postal_autofill and best.account == "guest" and best.phone == "absent" and best.after_decline == "keep"
    assert load_variant("steps").layout == "steps"
    forced = load_variant("forced-account")
    assert forced.account == "forced" and forced.default_payment_method is None
    for name in list_variants():
        variant = load_variant(name)
        assert variant.payment_methods[0] and variant.name == name


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "v.toml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = (VARIANT_DIR / "baseline.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "old, new, key, expected",
    [
        ('timing = "submit"', 'timing = "onchange"', "validation.timing", "'submit', 'blur', 'live'"),
        ('placement = "summary"', 'placement = "top"', "validation.placement", "'inline', 'summary', 'both'"),
        ('layout = "one-page"', 'layout = "wizard"', "layout", "'one-page', 'steps'"),
        ('kana = true', 'kana = "yes"', "fields.kana", "true or false"),
        ('phone = "required"', 'phone = "maybe"', "fields.phone", "'required', 'optional', 'absent'"),
        ('offered = ["card"]', 'offered = ["card", "cash"]', "payment_methods.offered", "payment method types among"),
        ('default = "card"', 'default = "paypal"', "payment_methods.default", "one of the offered methods"),
        ('show_brand = false', 'show_brand = false\nshow_logo = true', "card.show_logo", "one of the known keys"),
        ('after_decline = "clear"', '', "after_decline", "'keep', 'clear'"),
        ('password_min_length = 8', 'password_min_length = 2', "account.password_min_length", "between 6 and 64"),
    ],
)
def test_a_bad_variant_names_file_key_and_expected_values(tmp_path, old, new, key, expected):
    assert old in BASE
    path = _write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(ScenarioError) as err:
        load_variant(path)
    assert err.value.file == str(path) and err.value.key == key and expected in err.value.expected, str(err.value)
    assert str(path) in str(err.value)


def test_syntax_errors_and_unknown_names(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_variant(_write(tmp_path, "layout = "))
    assert err.value.key == "(syntax)"
    with pytest.raises(ScenarioError) as err:
        load_variant("no-such-variant")
    assert err.value.key == "(file)" and "inline-best" in err.value.expected


def test_a_variant_file_elsewhere_is_read_fresh_after_an_edit(tmp_path):
    path = _write(tmp_path, BASE)
    assert load_variant(path).validation_timing == "submit"
    path.write_text(BASE.replace('timing = "submit"', 'timing = "live"').replace("\n", "\n\n", 1), encoding="utf-8")
    assert load_variant(path).validation_timing == "live"
