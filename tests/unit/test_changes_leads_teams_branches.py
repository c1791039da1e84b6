"""Each decision of the leads, teams and branches is one Change: the fields it sets, the
history it appends and the event announcing it say the same thing."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.branches import domain as branches
from services.leads import domain as leads, pipeline
from services.leads.errors import FieldRefused, MoveRefused
from services.teams import domain as teams
from shared.events import LeadAssigned, LeadStageChanged, LeadUnrouted, MilestoneReached
from shared.scope import Principal

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county
MEMBER = Principal(username="xcl.wang", role="team_member")


def jushi(**fields) -> dict:
    lead = leads.new_lead("l1", {"title": "巨石玻纤三期", "company": {"name": "巨石集团有限公司"},
                                 "industry": "玻璃纤维", "investment_cny": 2_000_000_000},
                          "xcl.wang", NOW - timedelta(days=30), 1_000_000_000)
    return {**lead, **fields}


class TestMove:
    def test_the_stage_its_history_and_the_event_agree(self):
        change = pipeline.move(jushi(), "negotiating", MEMBER, None, None, NOW)
        (moved,) = change.events
        assert isinstance(moved, LeadStageChanged)
        assert change.set["stage"] == moved.to_stage == "negotiating"
        assert change.set["stage_index"] == 1
        (entry,) = change.append["stage_history"]
        assert (entry["from"], entry["stage"], entry["kind"]) == \
            (moved.from_stage, moved.to_stage, moved.move) == ("lead", "negotiating", "forward")
        assert entry["at"] == moved.at == NOW and entry["by"] == moved.by == "xcl.wang"
        assert change.append["changes"][0]["fields"] == {"stage": {"from": "lead",
                                                                   "to": "negotiating"}}

    def test_a_move_recorded_late_is_dated_then(self):
        signed_at = NOW - timedelta(days=2)
        change = pipeline.move(jushi(stage="negotiating"), "signed", MEMBER, None, signed_at, NOW)
        assert change.append["stage_history"][0]["at"] == change.events[0].at == signed_at
        assert change.set["updated_at"] == NOW

    def test_arriving_at_a_planned_milestone_announces_it_too(self):
        plan = [{"milestone": "signed", "planned_date": "2026-03-15", "label": "签约"}]
        lead = jushi(stage="negotiating", four_ones={"plan": plan})
        moved, reached = pipeline.move(lead, "signed", MEMBER, None, None, NOW).events
        assert isinstance(reached, MilestoneReached)
        assert (reached.milestone, reached.actual_date, reached.days_late) == \
            ("signed", date(2026, 3, 20), 5)

    def test_a_refused_move_decides_nothing(self):
        with pytest.raises(MoveRefused) as refused:
            pipeline.move(jushi(), "lead", MEMBER, None, None, NOW)
        assert refused.value.rpc_error().extra["current"] == "lead"


def test_a_status_change_and_its_event_agree():
    change = pipeline.change_status(jushi(), "lost", "企业转投外省", "xcl.wang", NOW)
    (event,) = change.events
    assert change.set["status"] == event.to_status == "lost"
    assert change.append["status_history"][0]["reason"] == event.reason == "企业转投外省"


class TestUpdate:
    def test_the_changed_fields_are_the_events(self):
        change = leads.update(jushi(), {"investment_cny": 800_000_000, "title": "巨石玻纤三期"},
                              "xcl.wang", NOW, 1_000_000_000)
        (event,) = change.events
        assert event.changed == sorted(change.append["changes"][0]["fields"]) == ["investment_cny"]
        assert change.set["major"] is event.major is False
        assert event.investment_cny == change.set["investment_cny"] == 800_000_000

    def test_nothing_different_is_no_change_and_no_event(self):
        change = leads.update(jushi(), {"title": "巨石玻纤三期"}, "xcl.wang", NOW, 1_000_000_000)
        assert change.empty and change.events == ()

    def test_a_first_contact_in_the_future_is_refused(self):
        with pytest.raises(FieldRefused) as refused:
            leads.update(jushi(), {"first_contact_at": NOW + timedelta(hours=1)}, "xcl.wang",
                         NOW, 1_000_000_000)
        assert refused.value.rpc_error().extra["errors"][0]["loc"] == ["body", "first_contact_at"]


def test_a_recorded_milestone_and_its_event_agree():
    lead = jushi(four_ones={"plan": [{"milestone": "land_listed", "planned_date": "2026-03-25"}]})
    change = leads.record_milestone(lead, "land_listed", date(2026, 3, 19), None,
                                    date(2026, 3, 20), "xcl.wang", NOW)
    (event,) = change.events
    assert change.set["milestones.land_listed"]["actual_date"] == event.actual_date.isoformat()
    assert event.days_late == -6
    again = {**lead, "milestones": {"land_listed": change.set["milestones.land_listed"]}}
    assert leads.record_milestone(again, "land_listed", date(2026, 3, 19), None,
                                  date(2026, 3, 20), "xcl.wang", NOW).empty


TEAM = {"_id": "new-materials", "name_zh": "新材料产业专业招商协作组",
        "leader": {"name": "周立新", "title": "副县长"},
        "members": [{"username": "xcl.wang"}, {"username": "xcl.li"}]}
CREATED = SimpleNamespace(lead_id="l1", title="巨石玻纤三期", industry="玻璃纤维",
                          investment_cny=2_000_000_000, major=True)


class TestAssignment:
    def test_the_team_and_owner_set_are_those_announced(self):
        change = teams.assignment(CREATED, TEAM, teams.Route("new-materials", "玻璃纤维"),
                                  {"xcl.wang": 3, "xcl.li": 1}, NOW)
        (event,) = change.events
        assert isinstance(event, LeadAssigned)
        assert (change.set["team_id"], change.set["owner"]) == (event.team_id, event.owner) \
            == ("new-materials", "xcl.li")
        assert event.county_leader == "周立新（副县长）"

    def test_no_rule_is_triage(self):
        change = teams.assignment(CREATED, None, None, {}, NOW)
        assert change.set["team_id"] == teams.TRIAGE
        assert isinstance(change.events[0], LeadUnrouted)

    def test_a_reassignment_names_where_the_lead_was(self):
        lead = {"_id": "l1", "team_id": "triage", "title": "巨石玻纤三期", "major": True}
        change = teams.reassignment(lead, TEAM, "xcl.wang", "县领导指派", {}, "admin", NOW)
        (event,) = change.events
        assert (event.previous_team_id, event.team_id, event.owner, event.assigned_by) == \
            ("triage", change.set["team_id"], change.set["owner"], change.set["assigned_by"])

    def test_an_owner_outside_the_team_is_refused(self):
        lead = {"_id": "l1", "team_id": "triage"}
        with pytest.raises(teams.TeamsRefusal) as refused:
            teams.reassignment(lead, TEAM, "xny.zhao", None, {}, "admin", NOW)
        assert refused.value.loc == ["body", "owner"]


def test_a_visit_becoming_a_lead_names_the_lead_it_announces():
    visit = {"_id": "v1", "company": "巨石集团有限公司", "visited_at": NOW, "lead_id": None}
    trip = {"_id": "t1", "branch_id": "east", "destination": "上海"}
    lead_in = SimpleNamespace(company_name=None, credit_code=None, title=None, industry="玻璃纤维",
                              investment_cny=100, land_mu=None, region=None, contact=None,
                              notes=None)
    claim, change = branches.lead_sourced(visit, trip, lead_in, "l9", "wu", NOW)
    (sourced,) = change.events
    assert change.set == {"lead_id": sourced.lead_id} == {"lead_id": claim["lead_id"]}
    assert (sourced.branch_id, sourced.region, sourced.title) == ("east", "上海", "巨石集团有限公司")
    with pytest.raises(branches.BranchesRefusal):
        branches.lead_sourced({**visit, "lead_id": "l9"}, trip, lead_in, "l10", "wu", NOW)
