"""Each role's journey through the workspace in the real Chromium, against the platform as
`make run` starts it: the screens, their field errors, no console errors and no serious or
critical accessibility violation on any screen visited (axe-core), at desk and phone width."""
from __future__ import annotations

import pytest

from tests.browser.conftest import ROLE_USERS, make_users, run_scenario

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def county(platform, built):
    """The platform with one account of each role (made over the API; the admin's journey makes
    its own through the screens)."""
    make_users(platform)
    return platform


def test_admin_makes_one_user_of_each_role_through_the_screens(county, tmp_path):
    result = run_scenario("admin_makes_users", county, tmp_path)
    assert result["figures"]["field_error"]  # the server's 422 on the username, beside the field
    status, users = county.request("GET", "/api/v1/users?page_size=200")
    made = {u["username"]: u for u in users["items"]}
    assert made["ui.team-member"]["team_id"] == "new-energy"
    assert made["ui.department"]["department"] == "县自然资源和规划局"
    assert made["ui.branch-member"]["branch_id"] == "shanghai"
    assert {made[f"ui.{r.replace('_', '-')}"]["role"] for r in ROLE_USERS} == set(ROLE_USERS)
    assert "坏 名字" not in made


def test_the_session_survives_a_reload_and_an_expired_token_returns_to_the_login(county, tmp_path):
    run_scenario("session_survives_reload", county, tmp_path)
