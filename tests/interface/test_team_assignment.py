"""A new lead reaches the teams service over the broker and comes back assigned."""
import uuid

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.leads.service import LeadsService
from services.teams.service import TeamsService
from shared.clock import utcnow
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import LeadCreated, make_event

# The callers of the RPCs, as the gateway sends them (shared/scope.py Principal, as a dict).
ADMIN = {"username": "admin", "role": "admin"}
CHEN = {"username": "chen", "role": "leader"}
SOLAR = {
    "title": "高效太阳能电池片项目",
    "company": {"name": "捷泰新能源科技有限公司"},
    "industry": "太阳能电池",
    "investment_cny": 13_000_000_000,
}


@pytest.fixture
def runner(config, runner_factory):
    runner = runner_factory(config, LeadsService, TeamsService)
    runner.start()
    return runner


def leads_container(runner):
    return next(c for c in runner.containers if c.service_name == "leads")


def teams_container(runner):
    return next(c for c in runner.containers if c.service_name == "teams")


def test_a_solar_lead_is_assigned_to_the_new_energy_team(runner, config):
    with entrypoint_waiter(leads_container(runner), "record_team", timeout=10):
        with ServiceRpcProxy("leads", config) as leads:
            lead = leads.create(SOLAR, ADMIN)
    with ServiceRpcProxy("leads", config) as leads:
        stored = leads.get(lead["id"])
    assert stored["team_id"] == "new-energy"
    assert stored["team_name"] == "新能源产业专业招商协作组"
    assert stored["routing"] == "assigned"


def test_an_industry_no_team_covers_goes_to_triage(runner, config):
    with entrypoint_waiter(leads_container(runner), "record_triage", timeout=10):
        with ServiceRpcProxy("leads", config) as leads:
            lead = leads.create({**SOLAR, "industry": "宠物殡葬"}, ADMIN)
    with ServiceRpcProxy("leads", config) as leads:
        stored = leads.get(lead["id"])
    assert stored["team_id"] is None and stored["routing"] == "triage"


def test_a_redelivered_event_is_applied_once(runner, config, mongo, db_prefix):
    event = make_event("leads", LeadCreated(
        lead_id=uuid.uuid4().hex, title="t", company_name="c", industry="白酒",
        investment_cny=12_000_000_000, major=True,
    ), utcnow()).model_dump(mode="json")
    dispatch = event_dispatcher(config)
    for _ in range(3):
        with entrypoint_waiter(teams_container(runner), "assign_lead", timeout=10):
            dispatch("leads", "lead_created", event)

    teams_db = mongo[f"{db_prefix}teams"]
    assert teams_db.team_leads.count_documents({}) == 1
    assert teams_db.team_leads.find_one()["team_id"] == "food-liquor"
    assert teams_db.outbox.count_documents({"type": "lead_assigned"}) == 1
    assert teams_db.applied_events.count_documents({}) == 1


def test_an_event_left_unsent_by_a_crash_is_published_by_the_relay(runner, config, mongo, db_prefix):
    # A crash after the commit and before the publish leaves the event in the outbox.
    from shared.storage import outbox_document

    lead_id = uuid.uuid4().hex
    event = make_event("leads", LeadCreated(
        lead_id=lead_id, title="t", company_name="c", industry="玻璃纤维",
        investment_cny=10_000_000_000, major=True,
    ), utcnow())
    with entrypoint_waiter(teams_container(runner), "assign_lead", timeout=10):
        mongo[f"{db_prefix}leads"].outbox.insert_one(outbox_document(event))

    assert mongo[f"{db_prefix}teams"].team_leads.find_one({"_id": lead_id})["team_id"] == "new-materials"
    assert mongo[f"{db_prefix}leads"].outbox.find_one({"_id": str(event.event_id)})["sent_at"]


def test_a_malformed_event_is_dropped_without_effect(runner, config, mongo, db_prefix):
    dispatch = event_dispatcher(config)
    with entrypoint_waiter(teams_container(runner), "assign_lead", timeout=10):
        dispatch("leads", "lead_created", {"event_id": "not-a-uuid"})
    assert mongo[f"{db_prefix}teams"].team_leads.count_documents({}) == 0
    assert mongo[f"{db_prefix}teams"].applied_events.count_documents({}) == 0


def test_six_teams_are_loaded_from_the_data_file(runner, config):
    with ServiceRpcProxy("teams", config) as teams:
        listed = teams.list_teams()
        new_energy = teams.get_team("new-energy")
    assert len(listed) == 6
    assert {t["id"] for t in listed} >= {"new-materials", "new-energy", "food-liquor"}
    assert [row["stage"] for row in new_energy["pipeline"]] == [
        "lead", "negotiating", "signed", "land", "construction", "production"]


# -- the team's pipeline, workload, reassignment and routing rules -----------------------------

def create_assigned(runner, config, body, handler="record_team"):
    with entrypoint_waiter(leads_container(runner), handler, timeout=10):
        with ServiceRpcProxy("leads", config) as leads:
            return leads.create(body, ADMIN)


def test_the_team_pipeline_and_workload_follow_stage_changes(runner, config):
    first = create_assigned(runner, config, SOLAR)
    second = create_assigned(runner, config, {**SOLAR, "title": "储能电站", "industry": "储能",
                                              "investment_cny": 500_000_000})
    with ServiceRpcProxy("leads", config) as leads:
        owners = {leads.get(first["id"])["owner"], leads.get(second["id"])["owner"]}
        assert owners == {"xny.zhao", "xny.sun"}  # each member gets one: fewest open leads first
        with entrypoint_waiter(teams_container(runner), "record_stage", timeout=10):
            leads.move_stage(first["id"], {"stage": "negotiating"}, ADMIN)
        with entrypoint_waiter(teams_container(runner), "record_status", timeout=10):
            leads.change_status(second["id"], {"status": "lost", "reason": "企业放弃"}, ADMIN)
    with ServiceRpcProxy("teams", config) as teams:
        team = teams.get_team("new-energy")
    rows = {r["stage"]: r for r in team["pipeline"]}
    assert rows["negotiating"] == {"stage": "negotiating", "count": 1,
                                   "investment_cny": 13_000_000_000, "major": 1}
    assert rows["lead"]["count"] == 0  # the lost one is out of the pipeline
    assert team["totals"] == {"open_leads": 1, "investment_cny": 13_000_000_000, "lost": 1}
    workload = {w["username"]: w for w in team["workload"]}
    first_owner = stored_owner(config, first["id"])
    assert workload[first_owner]["open_leads"] == 1
    assert workload[first_owner]["by_stage"] == {"negotiating": 1}
    assert workload[(owners - {first_owner}).pop()]["open_leads"] == 0  # the lost lead's owner


def stored_owner(config, lead_id):
    with ServiceRpcProxy("leads", config) as leads:
        return leads.get(lead_id)["owner"]


def test_reassignment_sends_lead_assigned_again_and_the_lead_follows(runner, config, mongo, db_prefix):
    lead = create_assigned(runner, config, SOLAR)
    with ServiceRpcProxy("teams", config) as teams:
        with pytest.raises(InvalidInput) as exc:
            teams.reassign(lead["id"], {"team_id": "no-such-team"}, CHEN)
        assert exc.value.extra["errors"][0]["loc"] == ["body", "team_id"]
        with pytest.raises(InvalidInput) as exc:
            teams.reassign(lead["id"], {"team_id": "equipment", "owner": "xny.zhao"}, CHEN)
        assert exc.value.extra["errors"][0]["loc"] == ["body", "owner"]
        with pytest.raises(Conflict):
            teams.reassign(lead["id"], {"team_id": "new-energy"}, CHEN)
        assert mongo[f"{db_prefix}teams"].outbox.count_documents({}) == 1  # the first assignment only

        with entrypoint_waiter(leads_container(runner), "record_team", timeout=10):
            result = teams.reassign(lead["id"], {"team_id": "equipment", "owner": "zbz.feng",
                                                 "reason": "设备制造为主"}, CHEN)
    assert result["previous_team_id"] == "new-energy"
    event = mongo[f"{db_prefix}teams"].outbox.find_one(
        {"type": "lead_assigned", "payload.data.previous_team_id": "new-energy"})["payload"]["data"]
    assert (event["team_id"], event["owner"], event["assigned_by"], event["major"]) == (
        "equipment", "zbz.feng", "chen", True)
    with ServiceRpcProxy("leads", config) as leads:
        stored = leads.get(lead["id"])
    assert (stored["team_id"], stored["owner"], stored["team_name"]) == (
        "equipment", "zbz.feng", "装备制造产业专业招商协作组")
    assert stored["changes"][-1]["note"] == "设备制造为主"


def test_a_triaged_lead_is_reassigned_out_of_triage(runner, config):
    lead = create_assigned(runner, config, {**SOLAR, "industry": "宠物殡葬"}, "record_triage")
    with ServiceRpcProxy("leads", config) as leads:
        assert leads.list({"routing": "triage"})["total"] == 1
    with entrypoint_waiter(leads_container(runner), "record_team", timeout=10):
        with ServiceRpcProxy("teams", config) as teams:
            teams.reassign(lead["id"], {"team_id": "modern-services"}, ADMIN)
    with ServiceRpcProxy("leads", config) as leads:
        stored = leads.get(lead["id"])
        assert (stored["team_id"], stored["routing"]) == ("modern-services", "assigned")
        assert leads.list({"routing": "triage"})["total"] == 0


def test_an_admin_edits_the_routing_rules(runner, config, mongo, db_prefix):
    with ServiceRpcProxy("teams", config) as teams:
        assert {"keyword": "光伏", "team_id": "new-energy", "team_name_zh": "新能源产业专业招商协作组"} in (
            teams.routing_rules())
        with pytest.raises(InvalidInput):
            teams.set_routing_rule({"keyword": "宠物", "team_id": "nobody"}, ADMIN)
        assert teams.set_routing_rule({"keyword": "宠物", "team_id": "modern-services"}, ADMIN) == {
            "keyword": "宠物", "team_id": "modern-services", "previous_team_id": None}
        # Moving a keyword takes it from its team: one keyword never names two teams.
        moved = teams.set_routing_rule({"keyword": "Solar", "team_id": "electronic-info"}, ADMIN)
        assert moved["previous_team_id"] == "new-energy"
        rules = {r["keyword"]: r["team_id"] for r in teams.routing_rules()}
        assert rules["宠物"] == "modern-services" and rules["solar"] == "electronic-info"
        with pytest.raises(NotFound):
            teams.delete_routing_rule("不存在", ADMIN)
    lead = create_assigned(runner, config, {**SOLAR, "industry": "宠物用品"})
    with ServiceRpcProxy("leads", config) as leads:
        assert leads.get(lead["id"])["team_id"] == "modern-services"
    with ServiceRpcProxy("teams", config) as teams:
        teams.delete_routing_rule("宠物", ADMIN)
    create_assigned(runner, config, {**SOLAR, "title": "宠物二期", "industry": "宠物用品"}, "record_triage")
    changes = [e["payload"]["data"] for e in mongo[f"{db_prefix}teams"].outbox.find(
        {"type": "routing_rule_changed"}).sort("created_at", 1)]
    assert [(c["keyword"], c["team_id"]) for c in changes] == [
        ("宠物", "modern-services"), ("solar", "electronic-info"), ("宠物", None)]
