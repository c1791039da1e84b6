"""Another team's lead is 404 to read and to change; the audit names each change's author."""
import pytest

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.teams.service import TeamsService
from tests.waiting import wait_until

JUSHI = {"title": "巨石集团零碳智能制造基地", "company": {"name": "巨石集团有限公司"},
         "industry": "玻璃纤维", "investment_cny": 10_000_000_000}


@pytest.fixture
def people(config, web_config, runner_factory, web_session):
    runner_factory({**config, **web_config}, GatewayService, LeadsService, TeamsService).start()

    def login(username, password):
        token = web_session.post("/api/v1/auth/token", json={
            "username": username, "password": password}).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    admin = login("admin", "admin-password-for-tests")
    people = {"admin": admin}
    for username, role, team in (("xcl.wang", "team_member", "new-materials"),
                                 ("spj.zhou", "team_member", "food-liquor"),
                                 ("zhou.lixin", "leader", "new-materials")):
        assert web_session.post("/api/v1/users", headers=admin, json={
            "username": username, "password": f"{username}-password", "display_name": username,
            "role": role, "team_id": team}).status_code == 201
        people[username] = login(username, f"{username}-password")
    return people


@pytest.fixture
def lead(web_session, people):
    lead = web_session.post("/api/v1/leads", json=JUSHI, headers=people["admin"]).json()
    wait_until(lambda: web_session.get(f"/api/v1/leads/{lead['id']}", headers=people["admin"])
               .json()["team_id"] == "new-materials", reason="the lead to reach new-materials")
    return lead


def test_another_teams_lead_is_404_to_read_and_to_change(web_session, people, lead):
    url = f"/api/v1/leads/{lead['id']}"
    outsider = people["spj.zhou"]
    assert web_session.get(url, headers=outsider).status_code == 404
    assert web_session.patch(url, json={"notes": "改一下"}, headers=outsider).status_code == 404
    assert web_session.post(f"{url}/stage", json={"stage": "negotiating"},
                            headers=outsider).status_code == 404
    assert web_session.get(url, headers=people["admin"]).json()["stage"] == "lead"  # unchanged
    # The own team's member may.
    moved = web_session.post(f"{url}/stage", json={"stage": "negotiating"},
                             headers=people["xcl.wang"])
    assert moved.status_code == 200, moved.text


def test_the_audit_shows_a_leads_changes_with_their_authors(web_session, people, lead):
    url = f"/api/v1/leads/{lead['id']}"
    assert web_session.post(f"{url}/stage", json={"stage": "negotiating"},
                            headers=people["xcl.wang"]).status_code == 200
    assert web_session.patch(url, json={"notes": "县领导已约谈"},
                             headers=people["zhou.lixin"]).status_code == 200

    trail = web_session.get(f"/api/v1/audit?object_id={lead['id']}",
                            headers=people["admin"]).json()["items"]
    assert [(e["actor"], e["method"], e["route"]) for e in trail] == [
        ("zhou.lixin", "PATCH", "/api/v1/leads/<string:lead_id>"),
        ("xcl.wang", "POST", "/api/v1/leads/<string:lead_id>/stage"),
        ("admin", "POST", "/api/v1/leads"),
    ]
    patch, stage, created = trail
    assert stage["before"]["stage"] == "lead" and stage["after"]["stage"] == "negotiating"
    assert patch["after"]["notes"] == "县领导已约谈" and patch["before"]["stage"] == "negotiating"
