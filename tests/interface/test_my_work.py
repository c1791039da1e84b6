"""What is mine, through HTTP: the creator of a lead keeps reading it wherever it was routed;
a lead shows its open problems and open requests; GET /me/work per role gives the clocks
running against me (overdue, due soon), my projects as project lead or service-group member,
and my team's or department's queue."""
from datetime import datetime, timedelta, timezone

import pytest

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.policy.service import PolicyService
from services.sla.service import SlaService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from tests.interface.helpers import eventually, login, user

LAND, POWER = "县自然资源和规划局", "县供电公司"
SOLAR = {"title": "高效太阳能电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 13_000_000_000}
FOUR_ONES = {"project_lead": {"name": "王县长", "username": "wangxm"},
             "service_group": {"members": [{"name": "赵磊", "username": "zhaolei"}]},
             "plan": [{"milestone": "signed", "planned_date": "2026-12-20"}]}


@pytest.fixture
def admin(config, web_config, runner_factory, web_session):
    runner = runner_factory({**config, **web_config, "SLA_SCAN_SECONDS": 0.2,
                             "SUPERVISION_REPORT_SECONDS": 3600},
                            GatewayService, LeadsService, TeamsService, PolicyService,
                            SlaService, SupervisionService)
    runner.start()
    return login(web_session, "admin", "admin-password-for-tests")


def test_the_creator_of_a_lead_routed_to_another_team_still_reads_it(web_session, admin):
    creator = user(web_session, admin, "food-member", "team_member", team_id="food-liquor")
    colleague = user(web_session, admin, "food-member2", "team_member", team_id="food-liquor")
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=creator).json()
    routed = eventually(lambda: (doc := web_session.get(
        f"/api/v1/leads/{lead['id']}", headers=admin).json())["team_id"] and doc)
    assert routed["team_id"] == "new-energy"
    mine = web_session.get(f"/api/v1/leads/{lead['id']}", headers=creator)
    assert mine.status_code == 200 and mine.json()["created_by"] == "food-member"
    assert web_session.get(f"/api/v1/leads/{lead['id']}/progress",
                           headers=creator).status_code == 200
    # Reading only: the new team acts on it; the creator's team does not.
    assert web_session.patch(f"/api/v1/leads/{lead['id']}", headers=creator,
                             json={"land_mu": 879}).status_code == 404
    assert web_session.get(f"/api/v1/leads/{lead['id']}", headers=colleague).status_code == 404


def test_my_work_per_role_and_a_lead_with_its_open_problems_and_requests(web_session, admin):
    member = user(web_session, admin, "ne-member", "team_member", team_id="new-energy")
    land = user(web_session, admin, "zrj", "department", department=LAND)
    wang = user(web_session, admin, "wangxm", "leader")
    zhao = user(web_session, admin, "zhaolei", "team_member", team_id="new-energy")
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=member).json()
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin)
               .json()["team_id"])
    assert web_session.put(f"/api/v1/leads/{lead['id']}/four-ones", headers=admin,
                           json=FOUR_ONES).status_code == 200
    now = datetime.now(timezone.utc)
    late = web_session.post("/api/v1/policy-requests", headers=member, json={
        "lead_id": lead["id"], "enterprise": "捷泰新能源科技有限公司",
        "received_at": (now - timedelta(hours=49)).isoformat(),
        "items": [{"topic": "用地指标", "category": "land", "text": "879亩用地指标"}]}).json()
    soon = web_session.post("/api/v1/policy-requests", headers=member, json={
        "lead_id": lead["id"], "enterprise": "捷泰新能源科技有限公司",
        "received_at": (now - timedelta(hours=40)).isoformat(),
        "items": [{"topic": "双回路供电", "category": "power", "text": "双回路供电"},
                  {"topic": "临时用地", "category": "land", "text": "施工临时用地"}]}).json()
    problem = web_session.post("/api/v1/problems", headers=member, json={
        "lead_id": lead["id"], "title": "安置房建设滞后", "description": "居民搬迁安置房未开工",
        "owner_department": LAND, "complexity": "general"})
    assert problem.status_code == 201, problem.text

    # The lead shows its open problems and open requests.
    detail = web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin).json()
    assert [p["id"] for p in detail["open_problems"]] == [problem.json()["id"]]
    assert {r["id"] for r in detail["open_requests"]} == {late["id"], soon["id"]}

    def work(headers):
        answer = web_session.get("/api/v1/me/work", headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    # The land bureau: its late item overdue, its item at 83% due soon, its queue.
    mine = eventually(lambda: (w := work(land))["overdue"] and w["due_soon"] and w)
    assert [c["subject_id"] for c in mine["overdue"]] == [f"{late['id']}-1"]
    assert [c["subject_id"] for c in mine["due_soon"]] == [f"{soon['id']}-2"]
    assert mine["queue"]["kind"] == "department"
    assert {r["id"] for r in mine["queue"]["requests"]} == {late["id"], soon["id"]}
    assert [i["n"] for r in mine["queue"]["requests"] for i in r["items"]
            if r["id"] == soon["id"]] == [2]  # its own item only
    assert [p["title"] for p in mine["queue"]["problems"]] == ["安置房建设滞后"]
    # The submitter follows all three items; the team's queue holds the lead.
    submitted = work(member)
    assert len(submitted["overdue"]) == 1 and len(submitted["due_soon"]) == 2
    assert submitted["queue"]["kind"] == "team"
    assert [x["id"] for x in submitted["queue"]["leads"]] == [lead["id"]]
    # The project lead and the service group see their project.
    assert [(p["id"], p["my_role"]) for p in work(wang)["projects"]] == [
        (lead["id"], "project_lead")]
    assert [(p["id"], p["my_role"]) for p in work(zhao)["projects"]] == [
        (lead["id"], "service_group")]
    assert work(admin)["queue"]["kind"] == "triage"


def test_a_project_lead_picked_from_the_leaders_list_finds_the_project_in_my_work(
        web_session, admin):
    member = user(web_session, admin, "ne-member", "team_member", team_id="new-energy")
    chen = user(web_session, admin, "chen.gh", "leader")
    user(web_session, admin, "off.leader", "leader")
    assert web_session.patch("/api/v1/users/off.leader", headers=admin,
                             json={"disabled": True}).status_code == 200
    user(web_session, admin, "zrj", "department", department=LAND)
    # The leaders a team member picks from: enabled leaders' accounts, username and name only.
    leaders = web_session.get("/api/v1/leaders", headers=member)
    assert leaders.status_code == 200, leaders.text
    assert leaders.json() == [{"username": "chen.gh", "display_name": "chen.gh"}]
    assert web_session.get("/api/v1/leaders", headers=user(
        web_session, admin, "zrj2", "department", department=LAND)).status_code == 403
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=member).json()
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin)
               .json()["team_id"])
    url = f"/api/v1/leads/{lead['id']}/four-ones"
    # An account that is not a county leader's (a department's, a disabled one): 422 on the
    # field, and nothing recorded.
    for username in ("zrj", "off.leader", "nobody"):
        refused = web_session.put(url, headers=member, json={
            **FOUR_ONES, "project_lead": {"name": "某某", "username": username}})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", "project_lead", "username"]
        assert "不是县领导账户" in refused.json()["errors"][0]["msg"]
    assert web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin).json().get("four_ones") is None
    assert web_session.put(url, headers=member, json={
        **FOUR_ONES, "project_lead": {"name": "陈国华", "username": "chen.gh"}}).status_code == 200
    assert [p["id"] for p in web_session.get("/api/v1/me/work", headers=chen).json()[
        "projects"]] == [lead["id"]]
    # A project lead typed as a name alone (as older leads have it) is still accepted and shown.
    typed = web_session.put(url, headers=member, json={
        **FOUR_ONES, "project_lead": {"name": "王县长"}})
    assert typed.status_code == 200 and typed.json()["four_ones"]["project_lead"]["name"] == "王县长"
