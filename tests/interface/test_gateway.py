"""The gateway over HTTP, with the services it calls running on the same vhost."""
import time

import pytest

from services.branches.service import BranchesService
from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.teams.service import TeamsService
from tests.waiting import wait_until

JUSHI = {
    "title": "巨石集团零碳智能制造基地",
    "company": {"name": "巨石集团有限公司", "credit_code": "91110000600037341L"},
    "industry": "玻璃纤维",
    "investment_cny": 10_000_000_000,
}


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, LeadsService,
                            TeamsService, BranchesService)
    runner.start()
    return runner


@pytest.fixture
def admin(gateway, web_session):
    response = web_session.post("/api/v1/auth/token",
                                json={"username": "admin", "password": "admin-password-for-tests"})
    assert response.status_code == 200, response.text
    web_session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return web_session


def test_a_posted_lead_is_assigned_to_its_team(admin):
    created = admin.post("/api/v1/leads", json=JUSHI)
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    assert created.json()["team_id"] is None

    posted = time.monotonic()
    lead = wait_until(lambda: (found := admin.get(f"/api/v1/leads/{lead_id}").json())["team_id"]
                      and found, reason="the teams service to assign the lead")
    # Promised "within a second" on a quiet machine: reported, not asserted (CI is not quiet).
    print(f"\nassigned {time.monotonic() - posted:.3f}s after the 201")
    assert lead["team_id"] == "new-materials"
    assert lead["title"] == "巨石集团零碳智能制造基地"  # Chinese round-trips unchanged


def test_a_missing_field_is_a_422_problem_naming_it_and_nothing_is_stored(admin, mongo, db_prefix):
    body = {k: v for k, v in JUSHI.items() if k != "industry"}
    response = admin.post("/api/v1/leads", json=body)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422 and problem["title"]
    assert {"loc": ["body", "industry"], "msg": "产业：必填"} in problem["errors"]
    assert mongo[f"{db_prefix}leads"].leads.count_documents({}) == 0
    assert mongo[f"{db_prefix}leads"].outbox.count_documents({}) == 0


def test_a_duplicate_is_a_409_with_the_existing_id(admin):
    first = admin.post("/api/v1/leads", json=JUSHI).json()
    again = admin.post("/api/v1/leads", json=JUSHI)
    assert again.status_code == 409
    assert again.json()["existing_id"] == first["id"]


def test_an_unknown_lead_is_404(admin):
    response = admin.get("/api/v1/leads/nope")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_a_body_that_is_not_json_is_400(admin):
    response = admin.post("/api/v1/leads", data=b"{not json",
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_six_teams_and_six_branches(admin):
    teams = admin.get("/api/v1/teams").json()
    branches = admin.get("/api/v1/branches").json()
    assert len(teams) == 6 and len(branches) == 6
    assert all(t["name_zh"] and t["leader"] and t["lead_department"] and t["industries"]
               for t in teams)
    assert all(b["name_zh"].endswith("区域招商局行动党支部") and b["regions"] for b in branches)


def test_a_wrong_password_is_401(gateway, web_session):
    response = web_session.post("/api/v1/auth/token",
                                json={"username": "admin", "password": "wrong"})
    assert response.status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic YWRtaW46eA=="])
def test_api_paths_need_a_valid_bearer_token(gateway, web_session, header):
    headers = {"Authorization": header} if header else {}
    assert web_session.get("/api/v1/leads", headers=headers).status_code == 401
    assert web_session.get("/api/v1/teams", headers=headers).status_code == 401


def test_a_role_without_the_right_gets_403(admin, web_session):
    created = admin.post("/api/v1/users", json={
        "username": "inspector1", "password": "inspector-password", "display_name": "督查室",
        "role": "inspector"})
    assert created.status_code == 201, created.text
    assert "password_hash" not in created.json()
    token = web_session.post("/api/v1/auth/token", json={
        "username": "inspector1", "password": "inspector-password"}).json()["access_token"]
    response = web_session.post("/api/v1/leads", json=JUSHI,
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_a_team_member_sees_only_the_own_team(admin, web_session):
    lead = admin.post("/api/v1/leads", json=JUSHI).json()  # new materials
    admin.post("/api/v1/users", json={
        "username": "liquor1", "password": "liquor-password", "display_name": "食品酒类组",
        "role": "team_member", "team_id": "food-liquor"})
    token = web_session.post("/api/v1/auth/token", json={
        "username": "liquor1", "password": "liquor-password"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert web_session.get(f"/api/v1/leads/{lead['id']}", headers=headers).status_code == 404
    assert web_session.get("/api/v1/leads", headers=headers).json()["total"] == 0


def test_health_and_readiness_need_no_token(gateway, web_session):
    assert web_session.get("/healthz").status_code == 200
    ready = web_session.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"broker": "ok", "database": "ok"}


def test_an_unknown_path_and_a_wrong_method_are_problems(admin):
    missing = admin.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    wrong = admin.delete("/api/v1/teams")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    # A path no route has (the item number is no number) is 404 for every method, although
    # the workspace's catch-all answers GET for any path.
    for method in ("post", "put", "delete"):
        nowhere = getattr(admin, method)("/api/v1/policy-requests/x/items/null,null/reply", json={})
        assert nowhere.status_code == 404, (method, nowhere.status_code)
        assert nowhere.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("field,value", [
    ("major", 0),                 # 0 is no boolean
    ("investment_cny", "5"),      # "5" is no number
    ("first_contact_at", 0),      # 0 is no date
    ("land_mu", True),
])
def test_a_body_value_of_the_wrong_type_is_422_not_a_guess(admin, field, value):
    response = admin.post("/api/v1/leads", json={**JUSHI, field: value})
    assert response.status_code == 422, response.text
    assert ["body", field] in [e["loc"] for e in response.json()["errors"]]


def test_query_strings_are_read_as_the_text_they_are(admin):
    assert admin.get("/api/v1/leads?page=2&page_size=5&major=true").status_code == 200
