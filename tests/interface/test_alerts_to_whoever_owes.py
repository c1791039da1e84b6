"""Alerts reach whoever owes, through HTTP with gateway, leads, teams, policy, sla and notifier:
a batch received already past its 48 hours alerts its departments at once (and the county
leader overseeing one, the submitter, the supervision office); the project lead hears of the
appointment; a lead that becomes major later gets its green-channel notice; a changed
industry routes the lead to another team, with the reason in its history."""
from datetime import datetime, timedelta, timezone

import pytest

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.notifier.service import NotifierService
from services.policy.service import PolicyService
from services.sla.service import SlaService
from services.teams.service import TeamsService
from tests.interface.helpers import eventually, login, user

LAND, POWER = "县自然资源和规划局", "县供电公司"
SOLAR = {"title": "高效太阳能电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 800_000_000}


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config, "SLA_SCAN_SECONDS": 0.2}, GatewayService,
                            LeadsService, TeamsService, PolicyService, SlaService,
                            NotifierService)
    runner.start()
    return runner


@pytest.fixture
def admin(gateway, web_session):
    return login(web_session, "admin", "admin-password-for-tests")


def inbox(web_session, headers, kind=None, **params):
    page = web_session.get("/api/v1/notifications", headers=headers,
                           params={"page_size": 200, **params})
    assert page.status_code == 200, page.text
    return [n for n in page.json()["items"] if kind in (None, n["kind"])]


def assigned_lead(web_session, headers, body=SOLAR):
    created = web_session.post("/api/v1/leads", json=body, headers=headers)
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    return eventually(lambda: (lead := web_session.get(
        f"/api/v1/leads/{lead_id}", headers=headers).json())["team_id"] and lead)


def test_a_batch_received_past_48_hours_alerts_the_owing_departments_at_once(
        web_session, admin):
    member = user(web_session, admin, "zhangsan", "team_member", team_id="new-energy")
    power = user(web_session, admin, "gdgs", "department", department=POWER)
    land = user(web_session, admin, "zrj", "department", department=LAND)
    overseer = user(web_session, admin, "li-fuxianzhang", "leader", department=POWER)
    inspector = user(web_session, admin, "ducha", "inspector")
    lead = assigned_lead(web_session, admin)
    received_at = datetime.now(timezone.utc) - timedelta(hours=49)
    submitted = web_session.post("/api/v1/policy-requests", headers=member, json={
        "lead_id": lead["id"], "enterprise": "捷泰新能源科技有限公司",
        "received_at": received_at.isoformat(),
        "items": [{"topic": "双回路供电", "category": "power", "text": "双回路供电接入"},
                  {"topic": "用地指标", "category": "land", "text": "879亩用地指标"},
                  {"topic": "临时用电", "category": "power", "text": "施工临时用电"}]})
    assert submitted.status_code == 201, submitted.text
    rid = submitted.json()["id"]

    # The department that owes the reply is told of the breach at once, once for its two items.
    [breach] = eventually(lambda: inbox(web_session, power, "sla_breached"))
    assert POWER in breach["body"] and breach["recipients"] == [
        f"department:{POWER}", f"department-leader:{POWER}"]
    eventually(lambda: inbox(web_session, power, "sla_breached")[0]["items"] == [1, 3])
    assert [n["data"]["context"]["departments"] for n in inbox(web_session, land, "sla_breached")
            ] == [[LAND]]
    # ... so is the county leader overseeing it, the submitter and the supervision office.
    assert [n["id"] for n in inbox(web_session, overseer, "sla_breached")] == [breach["id"]]
    for headers in (member, inspector):
        notices = eventually(lambda: inbox(web_session, headers, "sla_breached"))
        assert len(notices) == 1 and "3项诉求" in notices[0]["title"]
    assert inbox(web_session, power, "sla_warning") == []  # the rungs it skipped: no warnings

    view = web_session.get(f"/api/v1/policy-requests/{rid}", headers=admin).json()
    assert view["sla"]["state"] == "breached" and view["sla"]["items_breached"] == 3
    assert {i["sla"]["state"] for i in view["items"]} == {"breached"}

    # The unread ones, and how many.
    unread = web_session.get("/api/v1/notifications/unread-count", headers=power).json()
    assert unread == {"unread": 1}
    read = web_session.post(f"/api/v1/notifications/{breach['id']}/read", headers=power)
    assert read.status_code == 200, read.text
    assert inbox(web_session, power, unread="true") == []
    assert len(inbox(web_session, power, unread="false")) == 1
    assert web_session.get("/api/v1/notifications/unread-count", headers=power).json() == {
        "unread": 0}
    bad = web_session.get("/api/v1/notifications", headers=power, params={"unread": "maybe"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "unread"]


def test_the_project_lead_hears_of_the_appointment_and_a_later_major_lead_of_its_channel(
        web_session, admin):
    wang = user(web_session, admin, "wangxm", "leader")
    team_leader = user(web_session, admin, "ne-leader", "leader", team_id="new-energy")
    lead = assigned_lead(web_session, admin)
    four_ones = {"project_lead": {"name": "王县长", "username": "wangxm"},
                 "service_group": {"members": [{"name": "赵干事"}]},
                 "plan": [{"milestone": "signed", "planned_date": "2026-12-20"}]}
    assert web_session.put(f"/api/v1/leads/{lead['id']}/four-ones", headers=admin,
                           json=four_ones).status_code == 200
    [told] = eventually(lambda: inbox(web_session, wang, "four_ones_recorded"))
    assert "县级项目长" in told["title"] and lead["title"] in told["title"]
    # The same project lead set again with a changed plan: no second appointment notice.
    four_ones["plan"][0]["planned_date"] = "2026-12-28"
    assert web_session.put(f"/api/v1/leads/{lead['id']}/four-ones", headers=admin,
                           json=four_ones).status_code == 200

    assert inbox(web_session, team_leader, "lead_updated") == []
    patched = web_session.patch(f"/api/v1/leads/{lead['id']}", headers=admin,
                                json={"investment_cny": 13_000_000_000})
    assert patched.status_code == 200 and patched.json()["major"] is True
    [green] = eventually(lambda: inbox(web_session, team_leader, "lead_updated"))
    assert "绿色服务通道" in green["title"]
    assert len(inbox(web_session, wang, "four_ones_recorded")) == 1
    # Raising the amount again changes nothing on the channel: no second notice.
    web_session.patch(f"/api/v1/leads/{lead['id']}", headers=admin,
                      json={"investment_cny": 14_000_000_000})
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin).json()
               ["investment_cny"] == 14_000_000_000)
    assert len(inbox(web_session, team_leader, "lead_updated")) == 1


def test_a_changed_industry_routes_the_lead_to_its_chains_team_with_the_reason(
        web_session, admin):
    lead = assigned_lead(web_session, admin)
    assert lead["team_id"] == "new-energy"
    patched = web_session.patch(f"/api/v1/leads/{lead['id']}", headers=admin,
                                json={"industry": "集成电路"})
    assert patched.status_code == 200, patched.text
    moved = eventually(lambda: (doc := web_session.get(
        f"/api/v1/leads/{lead['id']}", headers=admin).json())["team_id"] == "electronic-info"
        and doc)
    [entry] = [c for c in moved["changes"] if c["action"] == "assigned"
               and c["fields"]["team_id"]["from"] == "new-energy"]
    assert entry["fields"]["team_id"]["to"] == "electronic-info"
    assert "集成电路" in entry["note"] and entry["by"] == "admin"
    team = web_session.get("/api/v1/teams/electronic-info", headers=admin).json()
    assert team["totals"]["open_leads"] == 1  # the team's own copy moved with it
