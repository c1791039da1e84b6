"""A new lead reaches the teams service over the broker and comes back assigned."""
import uuid

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.leads.service import LeadsService
from services.teams.service import TeamsService
from shared.clock import utcnow
from shared.events import LeadCreated, make_event

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
            lead = leads.create(SOLAR, "admin")
    with ServiceRpcProxy("leads", config) as leads:
        stored = leads.get(lead["id"])
    assert stored["team_id"] == "new-energy"
    assert stored["team_name"] == "新能源产业专业招商协作组"
    assert stored["routing"] == "assigned"


def test_an_industry_no_team_covers_goes_to_triage(runner, config):
    with entrypoint_waiter(leads_container(runner), "record_triage", timeout=10):
        with ServiceRpcProxy("leads", config) as leads:
            lead = leads.create({**SOLAR, "industry": "宠物殡葬"}, "admin")
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
