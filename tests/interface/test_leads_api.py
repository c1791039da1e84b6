"""A lead walked from first contact to production over the HTTP API, checking each step's events.

The gateway, leads and teams run on one vhost; the leads clock stands at 20 April 2026 in the
county, so that Jietai's story (first contact 5 January, signed 21 days later, relocation 8 days
after signing, land listed at 48 days and ground broken at 51) can be told as it happened.
"""
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import replace_dependencies

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.teams.service import TeamsService
from shared.clock import SettableClock
from tests.interface.helpers import login
from tests.waiting import wait_until

CST = timezone(timedelta(hours=8))
JIETAI = {
    "title": "捷泰新能源高效电池片项目",
    "company": {"name": "捷泰新能源科技有限公司", "credit_code": "91320826MA1JT0013A"},
    "industry": "光伏电池",
    "investment_cny": 13_000_000_000,
    "land_mu": 879,
    "first_contact_at": "2026-01-05T09:00:00+08:00",
}
FOUR_ONES = {
    "project_lead": {"name": "陈国华", "title": "常务副县长", "username": "chen"},
    "service_group": {"name": "捷泰项目帮办服务组", "members": [
        {"name": "赵磊", "department": "县发展和改革委员会", "username": "xny.zhao"},
        {"name": "县自然资源和规划局联络员", "department": "县自然资源和规划局"}]},
    "plan": [
        {"milestone": "signed", "planned_date": "2026-01-31"},
        {"milestone": "relocation_done", "planned_date": "2026-02-10"},
        {"milestone": "land_listed", "planned_date": "2026-03-15"},
        {"milestone": "groundbreaking", "planned_date": "2026-03-31"},
        {"milestone": "trial_production", "planned_date": "2026-04-30"},
    ],
}


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, LeadsService, TeamsService)
    leads = next(c for c in runner.containers if c.service_name == "leads")
    replace_dependencies(leads, clock=SettableClock(datetime(2026, 4, 20, 10, tzinfo=CST)))
    runner.start()
    return runner


@pytest.fixture
def people(gateway, web_session):
    admin = login(web_session, "admin", "admin-password-for-tests")
    for user in ({"username": "xny.zhao", "display_name": "赵磊", "role": "team_member",
                  "team_id": "new-energy"},
                 {"username": "chen", "display_name": "陈国华", "role": "leader"},
                 {"username": "liquor1", "display_name": "食品酒类组", "role": "team_member",
                  "team_id": "food-liquor"}):
        created = web_session.post("/api/v1/users", json={**user, "password": "password-of-" + user["username"]},
                                   headers=admin)
        assert created.status_code == 201, created.text
    return {"admin": admin, **{u: login(web_session, u, "password-of-" + u)
                               for u in ("xny.zhao", "chen", "liquor1")}}


class Outbox:
    """The events a service stored (and published): each step reads what it added."""

    def __init__(self, db):
        self.db, self.seen = db, 0

    def new(self) -> list[tuple[str, dict]]:
        entries = list(self.db.outbox.find().sort("created_at", 1))
        fresh, self.seen = entries[self.seen:], len(entries)
        return [(e["type"], e["payload"]["data"]) for e in fresh]


def test_jietai_from_first_contact_to_production(web_session, people, mongo, db_prefix):
    zhao, chen, admin = people["xny.zhao"], people["chen"], people["admin"]
    leads_events, teams_events = Outbox(mongo[f"{db_prefix}leads"]), Outbox(mongo[f"{db_prefix}teams"])

    def post(path, body, who=zhao):
        return web_session.post(f"/api/v1/leads/{lead_id}{path}", json=body, headers=who)

    # First contact: the lead is taken in and, on the green channel, assigned to new energy.
    created = web_session.post("/api/v1/leads", json=JIETAI, headers=admin)
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    assert [t for t, _ in leads_events.new()] == ["lead_created"]
    lead = wait_until(lambda: (found := web_session.get(f"/api/v1/leads/{lead_id}", headers=zhao)
                               .json()).get("team_id") and found, reason="the lead's team")
    assert (lead["team_id"], lead["green_channel"]) == ("new-energy", True)
    [(kind, assigned)] = teams_events.new()
    assert (kind, assigned["team_id"], assigned["major"], assigned["title"]) == (
        "lead_assigned", "new-energy", True, JIETAI["title"])  # the notifier tells the county leader

    # The four ones.
    assert web_session.put(f"/api/v1/leads/{lead_id}/four-ones", json=FOUR_ONES,
                           headers=zhao).status_code == 200
    assert [t for t, _ in leads_events.new()] == ["four_ones_recorded"]

    # Talks, then the signing 21 days after first contact.
    assert post("/stage", {"stage": "negotiating", "at": "2026-01-08T10:00:00+08:00"}).status_code == 200
    assert [(t, d["to_stage"]) for t, d in leads_events.new()] == [("lead_stage_changed", "negotiating")]
    assert post("/stage", {"stage": "signed", "at": "2026-01-26T15:00:00+08:00"}).status_code == 200
    assert [(t, d.get("to_stage") or d.get("milestone")) for t, d in leads_events.new()] == [
        ("lead_stage_changed", "signed"), ("milestone_reached", "signed")]

    # What the machine refuses changes nothing and sends nothing.
    skip = post("/stage", {"stage": "construction"})
    assert skip.status_code == 422 and skip.json()["errors"][0]["loc"] == ["body", "note"]
    back = post("/stage", {"stage": "negotiating", "note": "合同重谈"})
    assert back.status_code == 409
    assert back.headers["Content-Type"].startswith("application/problem+json")
    assert [m["stage"] for m in back.json()["allowed"]] == ["land", "construction", "production"]
    unplanned = post("/milestones/ribbon_cutting", {"actual_date": "2026-02-01"})
    assert unplanned.status_code == 422 and unplanned.json()["errors"][0]["loc"] == ["path", "milestone"]
    assert web_session.post(f"/api/v1/leads/{lead_id}/team", json={"team_id": "equipment"},
                            headers=zhao).status_code == 403  # reassignment: leader or admin
    assert leads_events.new() == [] and teams_events.new() == []

    # Residents relocated 8 days after signing; land listed at 48 days; ground broken at 51.
    progress = post("/milestones/relocation_done", {"actual_date": "2026-02-03"})
    assert progress.status_code == 200
    assert {r["milestone"]: r["state"] for r in progress.json()["milestones"]}["relocation_done"] == "early"
    assert [(t, d["milestone"], d["days_late"]) for t, d in leads_events.new()] == [
        ("milestone_reached", "relocation_done", -7)]
    assert post("/stage", {"stage": "land", "at": "2026-03-15T10:00:00+08:00"}).status_code == 200
    assert post("/stage", {"stage": "construction", "at": "2026-03-18T09:30:00+08:00"}).status_code == 200
    assert [(t, d.get("to_stage") or d.get("milestone")) for t, d in leads_events.new()] == [
        ("lead_stage_changed", "land"), ("milestone_reached", "land_listed"),
        ("lead_stage_changed", "construction"), ("milestone_reached", "groundbreaking")]

    cycle = web_session.get(f"/api/v1/leads/{lead_id}/cycle-times", headers=zhao).json()
    days = {c["key"]: c["days"] for c in cycle["cycle_times"]}
    assert (days["contact_to_signing"], days["signing_to_relocation"],
            days["signing_to_land_listed"], days["signing_to_groundbreaking"]) == (21, 8, 48, 51)

    # Trial production on 18 April, then production: the end of the pipeline.
    assert post("/milestones/trial_production", {"actual_date": "2026-04-18"}).status_code == 200
    assert post("/stage", {"stage": "production", "at": "2026-04-20T08:00:00+08:00"}).status_code == 200
    assert [(t, d.get("to_stage") or d.get("milestone")) for t, d in leads_events.new()] == [
        ("milestone_reached", "trial_production"), ("lead_stage_changed", "production")]

    progress = web_session.get(f"/api/v1/leads/{lead_id}/progress", headers=chen).json()
    assert (progress["reached"], progress["total"], progress["next_due"]) == (5, 5, None)
    lead = web_session.get(f"/api/v1/leads/{lead_id}", headers=chen).json()
    assert [h["stage"] for h in lead["stage_history"]] == [
        "lead", "negotiating", "signed", "land", "construction", "production"]
    assert lead["four_ones"]["project_lead"]["name"] == "陈国华"

    team = wait_until(lambda: (t := web_session.get("/api/v1/teams/new-energy", headers=chen)
                               .json())["pipeline"][-1]["count"] == 1 and t,
                      reason="the team's pipeline to count the project in production")
    assert team["pipeline"][-1] == {"stage": "production", "count": 1,
                                    "investment_cny": 13_000_000_000, "major": 1}

    # Another team's member sees none of it.
    assert web_session.get(f"/api/v1/leads/{lead_id}/progress", headers=people["liquor1"]).status_code == 404


def test_search_filters_and_a_leader_reassigning(web_session, people):
    admin, chen = people["admin"], people["chen"]
    for body in (JIETAI, {"title": "今世缘南厂区技改扩能项目", "company": {"name": "江苏今世缘酒业股份有限公司"},
                          "industry": "白酒", "investment_cny": 12_000_000_000}):
        assert web_session.post("/api/v1/leads", json=body, headers=admin).status_code == 201
    found = web_session.get("/api/v1/leads", params={"q": "今世缘"}, headers=chen).json()
    assert [lead["title"] for lead in found["items"]] == ["今世缘南厂区技改扩能项目"]
    bad = web_session.get("/api/v1/leads", params={"sort": "random"}, headers=chen)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "sort"]

    lead_id = found["items"][0]["id"]
    wait_until(lambda: web_session.get(f"/api/v1/leads/{lead_id}", headers=chen).json().get("team_id"),
               reason="the lead's first team")
    moved = web_session.post(f"/api/v1/leads/{lead_id}/team",
                             json={"team_id": "modern-services", "reason": "文旅综合体"}, headers=chen)
    assert moved.status_code == 200, moved.text
    lead = wait_until(lambda: (found := web_session.get(f"/api/v1/leads/{lead_id}", headers=chen)
                               .json())["team_id"] == "modern-services" and found,
                      reason="the lead to move to modern-services")
    assert lead["team_id"] == "modern-services"

    rule = web_session.put("/api/v1/routing-rules", json={"keyword": "文旅综合体", "team_id": "modern-services"},
                           headers=chen)
    assert rule.status_code == 403  # only an admin edits the routing rules
    assert web_session.put("/api/v1/routing-rules", json={"keyword": "文旅综合体", "team_id": "modern-services"},
                           headers=admin).status_code == 200
