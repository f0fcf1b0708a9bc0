"""Bad scenario files: exit code 2, a message naming the file and the key, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main

GOOD_JOURNEYS = """
[journeys]
variants = ["baseline", "inline-best"]
personas = ["desktop-typical"]
count = 2
"""

MISTAKES = [
    ("toml syntax", 'name = "x"\n[journeys\n', "(syntax)"),
    ("unknown top-level key", 'lod = 3\n' + GOOD_JOURNEYS, "lod"),
    ("seed not a number", 'seed = "abc"\n' + GOOD_JOURNEYS, "seed"),
    ("target not a URL", 'target = "localhost:12111"\n' + GOOD_JOURNEYS, "target"),
    ("duration not a duration", 'max_duration = "soon"\n' + GOOD_JOURNEYS, "max_duration"),
    ("nothing to run", 'name = "empty"\n', "load"),
    ("unknown variant", GOOD_JOURNEYS.replace('"inline-best"', '"inline-bset"'), "journeys.variants"),
    ("unknown persona", GOOD_JOURNEYS.replace("desktop-typical", "robot"), "journeys.personas"),
    ("negative count", GOOD_JOURNEYS.replace("count = 2", "count = -1"), "journeys.count"),
    ("unknown pace", GOOD_JOURNEYS + 'pace = "fast"\n', "journeys.pace"),
    ("unknown key in journeys", GOOD_JOURNEYS + "concurency = 3\n", "journeys.concurency"),
    ("malformed gate", 'gates = ["p99 below 800"]\n' + GOOD_JOURNEYS, "gates[0]"),
    ("gate on a variant not run", 'gates = [\'conversion["steps"] >= 0.5\']\n' + GOOD_JOURNEYS, "gates"),
    ("gate with unknown metric name", 'gates = ["latency <= 3"]\n' + GOOD_JOURNEYS, "gates[0]"),
    ("unknown start fault profile", GOOD_JOURNEYS + '[faults]\nprofile = "flakey"\n', "faults.profile"),
    ("unknown fault profile in the timeline",
     GOOD_JOURNEYS + '[[faults.timeline]]\nat = "5s"\nprofile = "slow-confrim"\n', "faults.timeline[0].profile"),
    # hostile or out-of-range input (issue 16, item 8)
    ("deeply nested array", "deep = " + "[" * 5000 + "]" * 5000 + "\n" + GOOD_JOURNEYS, "deep"),
    ("deeply nested inline table", "[journeys]\nextra = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n", "journeys.extra"),
    ("deeply nested dotted key", ".".join(["k"] * 3000) + " = 1\n" + GOOD_JOURNEYS, ".".join(["k"] * 33)),
    ("fault profile outside the scenario's folder", GOOD_JOURNEYS + '[faults]\nprofile = "../../../../etc/passwd"\n', "faults.profile"),
    ("fault profile by absolute path elsewhere", GOOD_JOURNEYS + '[faults]\nprofile = "/etc/hostname.toml"\n', "faults.profile"),
    ("timeline profile outside the scenario's folder",
     GOOD_JOURNEYS + '[[faults.timeline]]\nat = "5s"\nprofile = "../x/../../etc/passwd"\n', "faults.timeline[0].profile"),
    ("bare profile name that is not shipped", GOOD_JOURNEYS + '[faults]\nprofile = ".."\n', "faults.profile"),
    ("fault timeline with no load to apply it",
     GOOD_JOURNEYS + '[[faults.timeline]]\nat = "5s"\nprofile = "slow-confirm"\n', "faults.timeline"),
    ("fault change after the load ends",
     '[load]\nmodel = "open"\nshape = "soak"\nduration = "10s"\n[load.soak]\nrate = 1\n'
     '[[faults.timeline]]\nat = "30s"\nprofile = "slow-confirm"\n', "faults.timeline[0].at"),
    ("huge max_duration", 'max_duration = "99999999999999h"\n' + GOOD_JOURNEYS, "max_duration"),
    ("infinite max_duration", "max_duration = inf\n" + GOOD_JOURNEYS, "max_duration"),
    ("NaN timeout", GOOD_JOURNEYS + "timeout = nan\n", "journeys.timeout"),
    ("20-digit seed", "seed = 12345678901234567890\n" + GOOD_JOURNEYS, "seed"),
    ("seed past 2**32", "seed = 5000000000\n" + GOOD_JOURNEYS, "seed"),
    ("fault profile seed past 2**32",
     GOOD_JOURNEYS + '[[faults.timeline]]\nat = "5s"\nseed = 99999999999\nrules = [{latency = "10ms"}]\n', "faults.timeline[0].seed"),
]


@pytest.mark.parametrize("label, text, key", [m for m in MISTAKES if m[2] is not None], ids=[m[0] for m in MISTAKES if m[2] is not None])
def test_bad_scenario_exit_2_names_file_and_key(tmp_path: Path, capsys, label: str, text: str, key: str):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and f": {key}:" in err and "expected" in err
    runs = tmp_path / "runs"
    assert main(["run", str(path), "--out", str(runs / "x"), "--quiet"]) == 2
    assert not runs.exists()  # nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_oversized_scenario_file_is_bad_input(tmp_path: Path, capsys):
    path = tmp_path / "big.toml"
    path.write_text(GOOD_JOURNEYS + "# " + "x" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "(file)" in err and "at most" in err


def test_profile_inside_the_scenario_folder_is_allowed(tmp_path: Path, capsys):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "mine.toml").write_text('[[rules]]\nlatency = "5ms"\n', encoding="utf-8")
    path = tmp_path / "ok.toml"
    path.write_text(GOOD_JOURNEYS + '[faults]\nprofile = "profiles/mine.toml"\n', encoding="utf-8")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("as_file", [True, False], ids=["--out is a file", "--out under a file"])
def test_out_naming_an_existing_file_is_bad_input_up_front(tmp_path: Path, capsys, as_file: bool):
    path = tmp_path / "good.toml"
    path.write_text(GOOD_JOURNEYS, encoding="utf-8")
    existing = tmp_path / "existing"
    existing.write_text("keep me\n", encoding="utf-8")
    out = existing if as_file else existing / "run"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and str(existing) in err and "Traceback" not in err
    assert existing.read_text() == "keep me\n"


def test_seed_flag_out_of_range_exit_2(tmp_path: Path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "quickstart", "--seed", "99999999999999999999"])
    assert exit_info.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_good_scenario_validates(tmp_path: Path, capsys):
    path = tmp_path / "good.toml"
    path.write_text('gates = ["integrity == true", \'conversion["inline-best"] >= 0.5\']\n' + GOOD_JOURNEYS, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert "valid" in capsys.readouterr().out


def test_missing_file_is_bad_input(tmp_path: Path, capsys):
    assert main(["validate", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml" in capsys.readouterr().err


def test_bad_flags_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--workers", "many"])
    assert exit_info.value.code == 2
    assert "--workers" in capsys.readouterr().err


@pytest.mark.parametrize("shipped", ["quickstart", "ab-validation", "flash-sale", "ci", "soak"])
def test_shipped_scenarios_validate(shipped: str, capsys):
    assert main(["validate", shipped]) == 0, capsys.readouterr().err
