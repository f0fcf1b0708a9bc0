"""examples/github-actions.yml works in a user's own repository: it installs the package (not this
repository's Makefile), fetches main's baseline from another workflow run for real (gh run
download), and passes the run's exit code through with what it means.

The steps' shell scripts are run here with stand-ins for `gh` and `checkout-harness` on PATH that
record how they were called."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

WORKFLOW = Path(__file__).resolve().parent.parent / "examples" / "github-actions.yml"


def _steps() -> dict[str, dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return {step.get("name") or step.get("uses"): step for step in workflow["jobs"]["checkout-harness"]["steps"]}


def _step(prefix: str) -> dict:
    return next(step for name, step in _steps().items() if name.startswith(prefix))


def _script(step: dict) -> str:
    """The step's run script with the GitHub expressions it uses filled in."""
    return re.sub(r"\$\{\{\s*github\.workflow\s*\}\}", "checkout", step["run"])


def _stand_in(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


def _run_step(step: dict, cwd: Path, bin_dir: Path) -> subprocess.CompletedProcess:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    env = {**os.environ, **{k: str(v) for k, v in workflow["env"].items()}, **{k: str(v) for k, v in (step.get("env") or {}).items()},
           "PATH": f"{bin_dir}:{os.environ['PATH']}", "GITHUB_REPOSITORY": "someone/their-shop"}
    return subprocess.run(["bash", "-e", "-c", _script(step)], cwd=cwd, env=env, capture_output=True, text=True, timeout=30)


def test_installs_the_package_and_needs_nothing_of_this_repository():
    text = WORKFLOW.read_text()
    install = _step("Install")["run"]
    assert 'pip" install --quiet "$CHECKOUT_HARNESS_PACKAGE"' in install
    assert "make " not in text and ".venv" not in text and "scripts/" not in text
    # actions/download-artifact only sees the current run's artifacts: it never finds main's baseline
    assert "actions/download-artifact" not in text


def test_baseline_is_downloaded_from_mains_last_successful_run(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "gh-calls"
    _stand_in(bin_dir, "gh", f"""echo "$*" >> {calls}
if [ "$1 $2" = "run list" ]; then echo 4242; fi
if [ "$1 $2" = "run download" ]; then
  while [ $# -gt 0 ]; do if [ "$1" = "--dir" ]; then mkdir -p "$2"; echo '{{}}' > "$2/run.json"; fi; shift; done
fi
""")
    done = _run_step(_step("Baseline"), tmp_path, bin_dir)
    assert done.returncode == 0, done.stderr
    listed, downloaded = calls.read_text().splitlines()
    assert "run list" in listed and "--branch main" in listed and "--status success" in listed
    assert "--workflow checkout" in listed and "--repo someone/their-shop" in listed
    assert downloaded.startswith("run download 4242") and "--name checkout-baseline" in downloaded
    assert (tmp_path / "baseline" / "run.json").exists()


def test_no_baseline_yet_is_a_notice_not_a_failure(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stand_in(bin_dir, "gh", 'if [ "$1 $2" = "run list" ]; then echo ""; fi\n')
    done = _run_step(_step("Baseline"), tmp_path, bin_dir)
    assert done.returncode == 0 and "no baseline from main yet" in done.stdout
    assert not (tmp_path / "baseline").exists()


@pytest.mark.parametrize("code, says", [(0, None), (1, "a gate failed"), (2, "bad input"), (3, "the lab itself failed"),
                                        (143, "interrupted")])
def test_run_step_passes_the_exit_code_through_and_says_what_it_means(tmp_path: Path, code: int, says: str | None):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "run.json").write_text("{}")
    _stand_in(bin_dir, "checkout-harness", f'echo "$*" > {tmp_path / "args"}\nexit {code}\n')
    done = _run_step(_step("Run the scenario"), tmp_path, bin_dir)
    assert done.returncode == code, done.stdout + done.stderr
    assert (tmp_path / "args").read_text().split() == ["run", "ci", "--out", "run", "--quiet", "--baseline", "baseline"]
    if says:
        assert "::error::" in done.stdout and says in done.stdout
    else:
        assert "::error::" not in done.stdout
