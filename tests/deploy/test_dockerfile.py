"""deploy/Dockerfile builds the one image every service runs from (parsed, not built)."""
from __future__ import annotations

import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            keyword, _, args = current.strip().partition(" ")
            lines.append((keyword.upper(), args.strip()))
        current = ""
    return lines


def args_of(keyword: str) -> list[str]:
    return [args for kw, args in instructions() if kw == keyword]


def test_base_image_is_python_311():
    froms = args_of("FROM")
    assert froms and froms[0].split()[0].startswith("python:3.11")


def test_installs_the_lock_file_and_then_the_project_without_deps():
    runs = args_of("RUN")
    assert any("pip install" in r and "-r requirements.lock" in r for r in runs)
    assert any("pip install" in r and "--no-deps ." in r for r in runs)
    assert any("requirements.lock" in c.split() for c in args_of("COPY"))


def test_copies_the_code_and_configuration():
    copied = set()
    for args in args_of("COPY"):
        copied |= {s.rstrip("/") for s in shlex.split(args)[:-1]}
    assert {"services", "shared", "config.yaml", "pyproject.toml"} <= copied


def test_runs_as_a_non_root_user():
    users = args_of("USER")
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_exposes_8000_and_runs_the_gateway_by_default():
    assert any("8000" in e.split() for e in args_of("EXPOSE"))
    assert any("PYTHONUNBUFFERED=1" in e.split() for e in args_of("ENV"))
    cmd = args_of("CMD")[-1]
    assert "services.gateway.service:GatewayService" in cmd


def test_dockerignore_keeps_local_state_out_of_the_build_context():
    ignored = {line.strip().strip("/") for line in
               (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    assert {".venv", ".data", ".git"} <= ignored
