"""deploy/Dockerfile builds the one image every service runs from (parsed, not built)."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
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


def test_base_image_is_python_311_pinned_by_digest():
    froms = args_of("FROM")
    assert froms and froms[0].split()[0].startswith("python:3.11")
    assert re.search(r"@sha256:[0-9a-f]{64}$", froms[0].split()[0]), froms[0]


def test_installs_the_runtime_lock_only_and_then_the_project_without_deps():
    runs = args_of("RUN")
    assert any("pip install" in r and "-r requirements.lock" in r for r in runs)
    assert any("pip install" in r and "--no-deps ." in r for r in runs)
    assert any("requirements.lock" in c.split() for c in args_of("COPY"))
    assert not any("requirements-dev.lock" in line for _, line in instructions())


def test_the_runtime_lock_holds_no_test_tool_and_no_embedded_database():
    runtime = lock_names("requirements.lock")
    assert {"nameko", "pymongo", "pydantic", "prometheus-client"} <= runtime
    assert not runtime & {"pytest", "hypothesis", "schemathesis", "pypdf", "secantusdb", "numpy",
                          "shapely", "kubernetes-validate"}
    dev = lock_names("requirements-dev.lock")
    assert {"pytest", "schemathesis", "secantusdb"} <= dev and not runtime & dev


def test_every_direct_dependency_is_pinned_in_one_lock():
    locks = {**lock_pins("requirements.lock"), **lock_pins("requirements-dev.lock")}
    for name, version in lock_pins("requirements.in").items():
        assert locks.get(name) == version, name


def test_make_installs_both_locks():
    makefile = (ROOT / "Makefile").read_text()
    assert "-r requirements.lock -r requirements-dev.lock" in makefile


def test_an_init_process_is_pid_1():
    entrypoint = json.loads(args_of("ENTRYPOINT")[-1])
    assert entrypoint[0].endswith("tini") and entrypoint[1] == "--"
    assert any("install" in r and "tini" in r.split() for r in args_of("RUN"))


def test_the_cli_finds_config_yaml_from_any_folder(tmp_path, rabbit_config):
    """The image's layout: the code in /app (PYTHONPATH), the package also installed into
    site-packages, `kuaiban` run from another folder."""
    env_line = " ".join(args_of("ENV"))
    assert "PYTHONPATH=/app" in env_line.split()
    app, site = tmp_path / "app", tmp_path / "site"
    for name in ("shared", "services"):
        shutil.copytree(ROOT / name, app / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("config.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, app / name)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(site), str(app)],
                   check=True, capture_output=True, cwd=tmp_path)
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"]}

    def dlq_list(pythonpath: str):
        return subprocess.run([sys.executable, "-m", "shared.cli", "dlq", "list"], cwd="/",
                              env={**env, "PYTHONPATH": pythonpath}, capture_output=True, text=True)

    without_app = dlq_list(str(site))  # the package alone: config.yaml is not beside it
    assert without_app.returncode != 0 and "config.yaml" in without_app.stderr
    listed = dlq_list(f"{app}:{site}")
    assert listed.returncode == 0, listed.stderr
    assert "dlq.evt-leads-lead_created--teams.assign_lead" in listed.stdout


def lock_pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            package, version = line.split("==")
            pins[package.lower().replace("_", "-")] = version
    return pins


def lock_names(name: str) -> set[str]:
    return set(lock_pins(name))


def test_copies_the_code_and_configuration():
    copied = set()
    for args in args_of("COPY"):
        copied |= {s.rstrip("/") for s in shlex.split(args)[:-1]}
    assert {"services", "shared", "config.yaml", "pyproject.toml"} <= copied


def test_runs_as_a_non_root_numeric_user():
    users = args_of("USER")
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in ("root", "0") and users[-1].split(":")[0].isdigit()


def test_exposes_8000_and_runs_the_gateway_by_default():
    assert any("8000" in e.split() for e in args_of("EXPOSE"))
    assert any("PYTHONUNBUFFERED=1" in e.split() for e in args_of("ENV"))
    cmd = args_of("CMD")[-1]
    assert "services.gateway.service:GatewayService" in cmd


def test_dockerignore_keeps_local_state_out_of_the_build_context():
    ignored = {line.strip().strip("/") for line in
               (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    assert {".venv", ".data", ".git"} <= ignored
