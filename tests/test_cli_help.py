"""The command line explains itself: every command and argument has help, exit codes are in --help,
`validate --list` names every kind of shipped file, and shells complete commands and scenarios."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

import pytest

from harness.cli import build_parser


def _parser() -> argparse.ArgumentParser:
    return build_parser()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120)


def test_every_command_and_argument_has_help() -> None:
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    missing = [name for name in sub.choices if not helps.get(name)]
    for name, p in sub.choices.items():
        if name == "gateway":
            continue  # its own program: `checkout-harness gateway --help`
        missing += [f"{name} {a.option_strings or a.dest}" for a in p._actions
                    if not isinstance(a, argparse._HelpAction) and not (a.help and a.help.strip())]
    assert not missing, missing


def test_exit_codes_are_in_help() -> None:
    out = _run("--help").stdout
    for code in ("0", "1", "2", "3", "130"):
        assert f"\n  {code} " in out, out


def test_validate_list_names_every_kind_of_shipped_file() -> None:
    done = _run("validate", "--list")
    assert done.returncode == 0, done.stderr
    kinds = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    assert set(kinds) == {"scenarios", "variants", "personas", "fault-profiles"}
    assert "quickstart" in kinds["scenarios"].split() and "phone-typical" in kinds["personas"].split()
    assert "flaky" in kinds["fault-profiles"].split() and "baseline" in kinds["variants"].split()
    assert _run("validate", "--list", "variants").stdout.split() == kinds["variants"].split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completes_commands_and_shipped_scenarios() -> None:
    script = _run("completion", "bash")
    assert script.returncode == 0, script.stderr

    def complete(*words: str) -> list[str]:
        line = " ".join(("checkout-harness",) + words)
        program = (f"{script.stdout}\nCOMP_WORDS=(checkout-harness {' '.join(words)}); COMP_CWORD={len(words)}; "
                   f"COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; "
                   f"_shtab_checkout_harness checkout-harness {words[-1]} {words[-2] if len(words) > 1 else 'checkout-harness'}; "
                   "printf '%s\\n' \"${COMPREPLY[@]}\"")
        return subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=60).stdout.split()

    assert complete("val") == ["validate"]
    assert "flash-sale" in complete("run", "fla")
    assert "soak" in complete("validate", "so")
