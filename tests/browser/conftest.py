"""The browser tier: the platform as `make run` starts it (the e2e tier's launcher fixture), the
workspace built, and a way to run a Playwright scenario against it in its own process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import ROOT
from shared.embedded_db import free_port
from tests.e2e.conftest import Launched, e2e_vhost_uri  # noqa: F401  (the launcher, its vhost)

SHOTS = Path(os.environ.get("KUAIBAN_SHOTS", ROOT / ".data" / "screens"))
PASSWORD = "county-pass-2026"
# One account of each role, made by the admin as the county would (see test_admin_makes_users).
ROLE_USERS = {
    "team_member": {"username": "xny.wang", "display_name": "王晓", "role": "team_member", "team_id": "new-energy"},
    "leader": {"username": "leader.chen", "display_name": "陈国华", "role": "leader", "team_id": "new-energy"},
    "department": {"username": "zrzy.li", "display_name": "李敏", "role": "department", "department": "县自然资源和规划局"},
    "branch_member": {"username": "sh.zhou", "display_name": "周洁", "role": "branch_member", "branch_id": "shanghai"},
    "inspector": {"username": "dcs.sun", "display_name": "孙立", "role": "inspector"},
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory, e2e_vhost_uri):  # noqa: F811 (the fixture imported above)
    """The platform as `make run` starts it, this tier's own: the journeys change its data."""
    launched = Launched(tmp_path_factory.mktemp("browser") / "data", e2e_vhost_uri, free_port())
    launched.startup_seconds = launched.start()
    yield launched
    launched.stop()


@pytest.fixture(scope="module")
def built():
    index = ROOT / "web" / "dist" / "index.html"
    assert index.is_file(), "the workspace is not built: run `make web` (make test does)"
    return index.parent


def run_scenario(name: str, launched, tmp_path: Path, **extra) -> dict:
    """Runs one scenario in a plain Python process; returns what it reported."""
    admin_password = (launched.data_dir / "admin_password").read_text().strip()
    job = {"base": launched.url, "shots": str(SHOTS), "admin_password": admin_password,
           "users": {role: {"username": u["username"], "password": PASSWORD}
                     for role, u in ROLE_USERS.items()}, **extra}
    job_file = tmp_path / f"{name}.json"
    job_file.write_text(json.dumps(job, ensure_ascii=False))
    done = subprocess.run([sys.executable, "-m", "tests.browser.run", name, str(job_file)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"scenario {name} printed nothing:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    result = json.loads(lines[-1])
    print(f"\n{name}: {result['seconds']} s, figures {result['figures']}")
    assert result["ok"], f"{result['error']}\n{result['traceback']}"
    assert result["console_errors"] == [], result["console_errors"]
    assert result["axe"] == [], json.dumps(result["axe"], ensure_ascii=False, indent=1)
    assert not result["figures"].get("overflow"), f"wider than the screen: {result['figures']['overflow']}"
    return result


def make_users(launched) -> None:
    """The accounts the journeys log in with, made over the API (the admin's own journey makes
    them through the screens in test_admin_makes_users)."""
    for user in ROLE_USERS.values():
        status, body = launched.request("POST", "/api/v1/users", {**user, "password": PASSWORD})
        assert status in (201, 409), body
