"""The shipped design-sensitivity scenario and its one-dimension variants.

Each variant must differ from the reference in exactly ONE design dimension, or a difference in
the report could not be put down to that dimension.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.cli import main
from scenarios.personas import load_persona
from scenarios.scenario import SCENARIO_DIR, load_scenario
from scenarios.variants import VARIANT_DIR, Variant, load_variant

SCENARIO = SCENARIO_DIR / "design-sensitivity.toml"
NOT_DESIGN = {"name", "description", "file"}  # what every file has of its own
# The dimension each variant changes, and to what.
EXPECTED = {
    "reference-submit": ("validation_timing", "submit"),
    "reference-live": ("validation_timing", "live"),
    "reference-summary": ("error_placement", "summary"),
    "reference-steps": ("layout", "steps"),
    "reference-autofill": ("postal_autofill", True),
}


def design_differences(a: Variant, b: Variant) -> dict[str, tuple[object, object]]:
    return {
        f.name: (getattr(a, f.name), getattr(b, f.name))
        for f in dataclasses.fields(Variant)
        if f.name not in NOT_DESIGN and getattr(a, f.name) != getattr(b, f.name)
    }


def test_each_variant_differs_from_the_reference_in_exactly_one_dimension():
    reference = load_variant("reference")
    shipped = sorted(p.stem for p in VARIANT_DIR.glob("reference-*.toml"))
    assert shipped == sorted(EXPECTED)
    for name in shipped:
        diff = design_differences(reference, load_variant(name))
        assert len(diff) == 1, f"{name} differs from reference in {sorted(diff)}"
        (dimension, (_, value)), = diff.items()
        assert (dimension, value) == EXPECTED[name], f"{name}: {dimension} = {value!r}"


def test_the_check_notices_a_second_difference(tmp_path: Path):
    text = (VARIANT_DIR / "reference-live.toml").read_text(encoding="utf-8")
    twice = tmp_path / "reference-live.toml"
    twice.write_text(text.replace('layout = "one-page"', 'layout = "steps"'), encoding="utf-8")
    assert len(design_differences(load_variant("reference"), load_variant(twice))) == 2


def test_every_dimension_value_is_covered_once():
    reference = load_variant("reference")
    covered = {(dim, getattr(reference, dim)) for dim, _ in EXPECTED.values()} | set(EXPECTED.values())
    assert {v for d, v in covered if d == "validation_timing"} == {"submit", "blur", "live"}
    assert {v for d, v in covered if d == "error_placement"} == {"inline", "summary"}
    assert {v for d, v in covered if d == "layout"} == {"one-page", "steps"}
    assert {v for d, v in covered if d == "postal_autofill"} == {True, False}


def test_the_scenario_compares_every_variant_with_the_reference():
    s = load_scenario(SCENARIO)
    j = s.journeys
    assert j is not None and s.load is None and s.churn is None
    assert j.variants[0] == "reference" and set(j.variants[1:]) == set(EXPECTED)
    assert j.pace == "instant" and j.count >= 100
    weights = dict(j.personas)
    total = sum(weights.values())
    phone = sum(w / total * next((d.share for d in load_persona(p).devices if d.kind == "phone"), 0.0)
                for p, w in weights.items())
    assert phone == pytest.approx(0.60, abs=0.02)
    assert "japan-mix" in weights
    assert {g.metric for g in s.gates} >= {"failed_journeys", "integrity", "conversion"}


def test_validate_passes(capsys):
    assert main(["validate", str(SCENARIO)]) == 0
    assert "valid" in capsys.readouterr().out
