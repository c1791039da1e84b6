"""A project's life through the platform as `make run` starts it: the report's Jietai figures,
and a new lead walked from first contact to production with the events each step sends."""
from pathlib import Path
from urllib.parse import quote

from pymongo import MongoClient

from tests.waiting import wait_until

JIETAI = "捷泰新能源高效电池片项目"


def events_store(platform):
    """The leads service's outbox in the embedded database the launcher started."""
    uri = Path(platform.data_dir / "mongo_uri").read_text().strip()
    return MongoClient(uri, tz_aware=True)


def sent_for(client, lead_id) -> list[str]:
    return [e["type"] for e in client.kuaiban_leads.outbox.find(
        {"payload.data.lead_id": lead_id}).sort("created_at", 1)]


def test_jietai_cycle_times_from_the_demo_data(platform):
    status, page = platform.request("GET", "/api/v1/leads?q=" + quote("捷泰"))
    assert status == 200 and [lead["title"] for lead in page["items"]] == [JIETAI]
    lead_id = page["items"][0]["id"]

    status, cycle = platform.request("GET", f"/api/v1/leads/{lead_id}/cycle-times")
    assert status == 200
    days = {c["key"]: c["days"] for c in cycle["cycle_times"]}
    print(f"\nJietai: {days}")
    assert (days["contact_to_signing"], days["signing_to_relocation"],
            days["signing_to_land_listed"], days["signing_to_groundbreaking"]) == (21, 8, 48, 51)

    status, progress = platform.request("GET", f"/api/v1/leads/{lead_id}/progress")
    assert status == 200 and progress["stage"] == "construction"
    assert [r["milestone"] for r in progress["milestones"] if r["actual_date"]] == [
        "signed", "relocation_done", "land_listed", "groundbreaking"]
    assert progress["next_due"]["milestone"] == "trial_production"
    assert progress["project_lead"]["name"] == "陈国华"


def test_a_new_lead_walks_from_first_contact_to_production(platform):
    client = events_store(platform)
    status, lead = platform.request("POST", "/api/v1/leads", {
        "title": "涟水储能电池pack项目", "company": {"name": "某储能科技有限公司"},
        "industry": "储能", "investment_cny": 2_500_000_000,
        "first_contact_at": "2026-05-06T09:00:00+08:00",
    })
    assert status == 201, lead
    lead_id = lead["id"]
    lead = wait_until(lambda: (found := platform.request("GET", f"/api/v1/leads/{lead_id}")[1])
                      ["team_id"] and found, reason="the lead's team")
    assert (lead["team_id"], lead["green_channel"]) == ("new-energy", True)
    assigned = client.kuaiban_teams.outbox.find_one({"payload.data.lead_id": lead_id})
    assert assigned["type"] == "lead_assigned" and assigned["payload"]["data"]["major"] is True

    status, _ = platform.request("PUT", f"/api/v1/leads/{lead_id}/four-ones", {
        "project_lead": {"name": "陈国华", "title": "常务副县长"},
        "service_group": {"members": [{"name": "赵磊", "department": "县发展和改革委员会"}]},
        "plan": [{"milestone": "signed", "planned_date": "2026-06-01"},
                 {"milestone": "groundbreaking", "planned_date": "2026-08-01"},
                 {"milestone": "production", "planned_date": "2026-11-30"}],
    })
    assert status == 200
    for stage, at in (("negotiating", "2026-05-10"), ("signed", "2026-05-28"), ("land", "2026-07-01"),
                      ("construction", "2026-07-20"), ("production", "2026-11-02")):
        status, moved = platform.request("POST", f"/api/v1/leads/{lead_id}/stage",
                                         {"stage": stage, "at": f"{at}T10:00:00+08:00"})
        assert status == 200 and moved["stage"] == stage, moved
    # The machine refuses a move past the end, and nothing is sent for it.
    status, refused = platform.request("POST", f"/api/v1/leads/{lead_id}/stage", {"stage": "production"})
    assert status == 409 and refused["allowed"] == [
        {"stage": s, "kind": "backward"}
        for s in ("lead", "negotiating", "signed", "land", "construction")]

    assert sent_for(client, lead_id) == [
        "lead_created", "four_ones_recorded",
        "lead_stage_changed",                       # negotiating
        "lead_stage_changed", "milestone_reached",  # signed
        "lead_stage_changed",                       # land (no land milestone in this plan)
        "lead_stage_changed", "milestone_reached",  # construction: groundbreaking
        "lead_stage_changed", "milestone_reached",  # production
    ]
    status, cycle = platform.request("GET", f"/api/v1/leads/{lead_id}/cycle-times")
    days = {c["key"]: c["days"] for c in cycle["cycle_times"]}
    assert (days["contact_to_signing"], days["signing_to_groundbreaking"],
            days["contact_to_production"]) == (22, 53, 180)

    team = wait_until(lambda: (t := platform.request("GET", "/api/v1/teams/new-energy")[1])
                      ["pipeline"][-1]["count"] >= 1 and t,
                      reason="the team's pipeline to count the project in production")
    assert team["pipeline"][-1]["count"] == 1 and team["pipeline"][-1]["investment_cny"] == 2_500_000_000
    client.close()
