"""The persona loader: shipped personas load, and bad input names the file and the key."""

from __future__ import annotations

import dataclasses
import random
import statistics
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.errors import ScenarioError
from scenarios.personas import PERSONA_DIR, Dist, list_personas, load_persona

REQUIRED = ("desktop-typical", "phone-typical", "hurried", "older-careful", "japan-mix")


def test_required_personas_are_shipped_and_load() -> None:
    names = list_personas()
    for name in REQUIRED:
        assert name in names
        p = load_persona(name)
        assert p.name == name
        assert abs(sum(d.share for d in p.devices) - 1.0) < 1e-9


def test_load_by_path_equals_load_by_name() -> None:
    assert load_persona(PERSONA_DIR / "hurried.toml") == load_persona("hurried")


def test_persona_is_frozen() -> None:
    p = load_persona("desktop-typical")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.locale = "ja_JP"  # type: ignore[misc]


def test_published_figures_are_in_the_typical_personas() -> None:
    d = load_persona("desktop-typical").device("desktop")
    assert (d.typing.wpm.mean, d.typing.wpm.sd) == (51.56, 20.20)  # Dhakal et al. 2018
    assert d.typing.uncorrected_error_rate.mean == 0.0117
    assert d.typing.corrected_error_rate.expected == 0.0631
    assert d.viewport == (1280, 800) and d.input == "keyboard+mouse"
    ph = load_persona("phone-typical").device("phone")
    assert ph.typing.wpm.mean == 36.2 and ph.typing.uncorrected_error_rate.mean == 0.023  # Palin et al. 2019
    assert ph.viewport == (390, 844) and ph.input == "thumbs"
    p = load_persona("desktop-typical")
    assert p.reading_wpm.mean == 238  # Brysbaert 2019
    assert p.abandonment_map["forced_account"] == 0.26  # Baymard 2024, stated
    assert p.klm.mental_s.expected == 1.35 and p.klm.homing_s.expected == 0.40


def test_japan_mix_is_japanese_phone_heavy_and_likes_konbini() -> None:
    p = load_persona("japan-mix")
    assert p.locale == "ja_JP"
    assert p.device("phone").share > 0.5
    assert dict(p.payment.preferred)["konbini"] > 0
    assert p.payment.leave_if_preferred_missing == 0.60  # SB Payment 2025


@pytest.mark.parametrize("name", REQUIRED)
def test_every_persona_file_cites_its_sources(name: str) -> None:
    text = (PERSONA_DIR / f"{name}.toml").read_text(encoding="utf-8")
    for source in ("Brysbaert", "Baymard", "Akamai", "Card, Moran & Newell"):
        assert source in text or source.split(",")[0] in text, (name, source)
    assert "Dhakal" in text or "Palin" in text
    # every wpm/error parameter line carries a comment (its source or "assumption")
    for line in text.splitlines():
        if line.startswith(("wpm", "uncorrected_error_rate", "leave_if_preferred_missing",
                            "abandon_per_100ms_over_tolerance", "mental_s", "throughput_bits_s")):
            assert "#" in line or _previous_is_comment(text, line), (name, line)


def _previous_is_comment(text: str, line: str) -> bool:
    lines = text.splitlines()
    i = lines.index(line)
    return i > 0 and lines[i - 1].lstrip().startswith("#")


def test_bounded_normal_has_the_published_moments() -> None:
    d = Dist("normal", mean=51.56, sd=20.20, min=10, max=150)
    rng = random.Random(7)
    xs = [d.sample(rng) for _ in range(50_000)]
    assert min(xs) >= 10 and max(xs) <= 150
    assert statistics.fmean(xs) == pytest.approx(51.56, rel=0.01)
    assert statistics.pstdev(xs) == pytest.approx(20.20, rel=0.02)


# -- bad input ----------------------------------------------------------------------------------

BASE = (PERSONA_DIR / "desktop-typical.toml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "broken.toml"
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('locale = "en_US"', 'locale = "fr_FR"', "locale"),
        ("returning_share = 0.30", "returning_share = 1.5", "returning_share"),
        ("returning_share = 0.30", 'returning_share = "many"', "returning_share"),
        ('viewport = "1280x800"', 'viewport = "big"', "device.desktop.viewport"),
        ('input = "keyboard+mouse"', 'input = "thumbs"', "device.desktop.input"),
        ("share = 1.0", "share = 0.6", "device"),
        ('wpm = {dist="normal", mean=51.56', 'wpm = {dist="gaussian", mean=51.56', "device.desktop.typing.wpm.dist"),
        ("sd=20.20, min=10, max=150}", "sd=20.20, min=10, max=150, median=3}", "device.desktop.typing.wpm.median"),
        ("sd=20.20, min=10, max=150}", "min=10, max=150}", "device.desktop.typing.wpm.sd"),
        ("sd=20.20, min=10, max=150}", "sd=20.20, min=160, max=150}", "device.desktop.typing.wpm.max"),
        ("sd=20.20, min=10, max=150}", "sd=20.20, min=0, max=150}", "device.desktop.typing.wpm.min"),
        ("error_kinds = {substitution=1.65", "error_kinds = {typo=1.65", "device.desktop.typing.error_kinds.typo"),
        ("keystroke_cv = 0.30", "keystroke_cv = 0.30\nspeed = 3", "device.desktop.typing.speed"),
        ("mental_s = 1.35", "mental_s = -1", "klm.mental_s"),
        ('preferred = {card=0.85, paypal=0.15}', 'preferred = {card=0.85, konbini=0.15}', "payment.preferred.konbini"),
        ('accepts = ["card", "paypal"]', 'accepts = ["card", "cash"]', "payment.accepts[1]"),
        ('outcomes = {good=0.90, declined=0.07, "3ds"=0.03}', 'outcomes = {good=0.9, fraud=0.1}', "card.outcomes.fraud"),
        ("forced_account = 0.26", "forced_acount = 0.26", "abandonment.forced_acount"),
        ("[noticing]", "[noticng]", "noticng"),
        ("[device.desktop]", "[device.tablet]", "device.tablet"),
    ],
)
def test_bad_persona_names_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in BASE
    f = _write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(ScenarioError) as e:
        load_persona(f)
    assert e.value.file == str(f)
    assert e.value.key == key
    assert str(e.value).startswith(f"{f}: {key}: expected ")


def test_missing_table_is_named(tmp_path: Path) -> None:
    text = BASE[: BASE.index("[patience]")] + BASE[BASE.index("[noticing]"):]
    with pytest.raises(ScenarioError) as e:
        load_persona(_write(tmp_path, text))
    assert e.value.key == "patience"


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    f = _write(tmp_path, BASE + "\nthis is not toml\n")
    with pytest.raises(ScenarioError) as e:
        load_persona(f)
    assert str(f) in str(e.value)


def test_unknown_persona_name_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError) as e:
        load_persona("nobody-like-this")
    assert "desktop-typical" in e.value.expected


def test_scenario_error_message_format() -> None:
    e = ScenarioError("a.toml", "x.y", "a number", "z")
    assert str(e) == "a.toml: x.y: expected a number, found 'z'"
    assert (e.file, e.key, e.expected, e.found) == ("a.toml", "x.y", "a number", "z")


@given(st.floats(-50, 50), st.floats(0.5, 20), st.floats(-3, 1), st.floats(0.5, 4))
@settings(max_examples=150, deadline=None)
def test_bounded_normal_is_fitted_back_from_its_own_moments(loc, scale, lo_z, width_z) -> None:
    """The fit finds the underlying normal whose part inside the bounds has the stated mean and sd."""
    from scenarios.personas import _truncated_normal_moments

    lo, hi = loc + lo_z * scale, loc + (lo_z + width_z) * scale
    mean, sd = _truncated_normal_moments(loc, scale, lo, hi)
    d = Dist("normal", mean=mean, sd=sd, min=lo, max=hi)
    assert d._a == pytest.approx(loc, abs=1e-4 * scale) and d._b == pytest.approx(scale, rel=1e-4)
    rng = random.Random(1)
    draws = [d.sample(rng) for _ in range(4000)]
    assert lo <= min(draws) and max(draws) <= hi
    assert statistics.fmean(draws) == pytest.approx(mean, abs=0.1 * sd)


# -- the second edition's tables: [intent], [intent.rates], [keyboards] ------------------------------

@pytest.mark.parametrize("name", REQUIRED)
def test_every_intent_and_keyboard_parameter_cites_a_source_or_says_assumption(name: str) -> None:
    """Each parameter line of [intent], [intent.rates] and [keyboards] carries its source or
    "assumption", on the line or in the comment block right above it."""
    lines = (PERSONA_DIR / f"{name}.toml").read_text(encoding="utf-8").splitlines()
    section = ""
    for i, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip()
            continue
        if section not in ("[intent]", "[intent.rates]", "[keyboards]") or "=" not in line or line.startswith("#"):
            continue
        block = [line]
        j = i - 1
        while j >= 0 and lines[j].startswith("#"):
            block.append(lines[j])
            j -= 1
        text = " ".join(block).lower()
        assert "#" in text and any(w in text for w in ("assumption", "baymard", "baltasar", "bounceshift",
                                                          "zerobounce", "ren,", "sandnes", "itmedia", "yomiuri",
                                                          "see ")), (name, line)


def test_shipped_personas_have_intent_and_keyboard_tables() -> None:
    for name in REQUIRED:
        p = load_persona(name)
        assert p.intent.rates and 0 < p.keyboards.ime_not_first < 1, name
    assert dict(load_persona("japan-mix").intent.rates)["fullwidth_digits"] > 0
    assert dict(load_persona("phone-typical").intent.rates).get("fullwidth_digits", 0) == 0


def test_a_persona_without_the_new_tables_loads_with_no_format_habits(tmp_path: Path) -> None:
    text = BASE[: BASE.index("[intent]")]
    p = load_persona(_write(tmp_path, text))
    assert p.intent.rates == () and p.keyboards.keypad_factor.expected == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("zip_plus4 = 0.02", "zip_plus_four = 0.02", "intent.rates.zip_plus_four"),
        ("zip_plus4 = 0.02", "zip_plus4 = 1.2", "intent.rates.zip_plus4"),
        ("phone_digits_only = 0.45", "phone_digits_only = 0.75", "intent.rates"),
        ('fix_vague = {dist="uniform", min=0.25, max=0.55}', 'fix_vague = {dist="uniform", min=0.25, max=1.5}',
         "intent.fix_vague.max"),
        ("ime_not_first = 0.2", "ime_not_first = -0.1", "keyboards.ime_not_first"),
        ("ime_not_first = 0.2", "ime_first = 0.2", "keyboards.ime_first"),
        ("[intent.rates]", "[intent.rate]", "intent.rate"),
    ],
)
def test_bad_intent_or_keyboard_tables_name_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in BASE
    f = _write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(ScenarioError) as e:
        load_persona(f)
    assert e.value.key == key, str(e.value)
