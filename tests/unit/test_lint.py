"""`make lint` is real: it runs ruff and mypy with the project's settings, fails on a finding,
and `make test` runs it first."""
import subprocess
import sys
from pathlib import Path

from shared.config import ROOT

BIN = Path(sys.executable).parent


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_fails_on_an_unused_import_and_the_tree_passes(tmp_path):
    sloppy = tmp_path / "sloppy.py"
    sloppy.write_text("import os\n\n\ndef f():\n    return undefined_name\n")
    found = run(str(BIN / "ruff"), "check", "--config", str(ROOT / "pyproject.toml"), str(sloppy))
    assert found.returncode == 1
    assert "F401" in found.stdout and "F821" in found.stdout
    tree = run(str(BIN / "ruff"), "check", ".")
    assert tree.returncode == 0, tree.stdout[-3000:]


def test_mypy_fails_on_a_type_error(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def days(n: int) -> int:\n    return n\n\n\ndays('three')\n")
    found = run(str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml"),
                "--no-incremental", str(wrong), cwd=tmp_path)
    assert found.returncode == 1 and "arg-type" in found.stdout, found.stdout


def test_make_test_runs_lint_first_and_lint_runs_both_checks():
    planned = run("make", "-n", "test").stdout.splitlines()
    ruff = next(i for i, line in enumerate(planned) if "-m ruff check ." in line)
    mypy = next(i for i, line in enumerate(planned) if "-m mypy shared" in line)
    suite = next(i for i, line in enumerate(planned) if "-m tests.tiers" in line)
    assert ruff < mypy < suite
    assert "services/leads/domain.py" in planned[mypy]  # the shell's glob: every domain module


def test_the_two_sessions_of_make_test_run_every_tier():
    from tests.tiers import SESSIONS

    tiers = {path.parent.relative_to(ROOT).as_posix() for path in (ROOT / "tests").glob("*/test_*.py")}
    planned = [path for paths in SESSIONS.values() for path in paths]
    assert sorted(planned) == sorted(tiers), "a tier missing from tests/tiers.py, or in both sessions"
