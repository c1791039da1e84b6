"""The teams service: the six specialist teams, the routing of each new lead to one of them,
reassignment, and each team's pipeline and members' workload."""
from __future__ import annotations

import logging
from pathlib import Path

import yaml
from nameko.rpc import rpc

from services.leads.domain import STAGES
from services.teams import domain
from services.teams.repository import TeamsRepository
from services.teams.schemas import Reassignment, RoutingRule
from shared.clock import Clock
from shared.errors import Conflict, NotFound, field_error
from shared.events import LeadAssigned, LeadUnrouted, RoutingRuleChanged, make_event
from shared.handlers import on_event
from shared.jsonable import jsonable
from shared.schemas import validated
from shared.storage import Storage

log = logging.getLogger(__name__)
TEAMS_FILE = Path(__file__).with_name("data") / "teams.yaml"
TRIAGE = "triage"


def load_teams_file(path: Path = TEAMS_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        teams = [{"_id": t.pop("id"), **t} for t in yaml.safe_load(f)]
    domain.routing_table(teams)  # refuse a file where one keyword names two teams
    return teams


def seed_from_file(repository: TeamsRepository, config: dict) -> None:
    repository.seed(load_teams_file())


def team_view(team: dict) -> dict:
    return jsonable({"id": team["_id"], **{k: v for k, v in team.items() if k != "_id"}})


def county_leader(team: dict) -> str:
    leader = team["leader"]
    return f"{leader['name']}（{leader['title']}）"


class TeamsService:
    name = "teams"

    storage = Storage(TeamsRepository, on_start=seed_from_file)
    clock = Clock()

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def seed(self) -> dict:
        """Load the teams file into an empty database (also done at every start)."""
        return {"created": self.storage.seed(load_teams_file())}

    @rpc
    def list_teams(self) -> list[dict]:
        return [team_view(t) for t in self.storage.all()]

    @rpc
    def get_team(self, team_id: str) -> dict:
        """The team with its pipeline (count and investment per stage) and members' workload."""
        team = self.storage.get(team_id)
        leads = self.storage.leads_of(team_id)
        view = team_view(team)
        view["pipeline"] = domain.pipeline(leads, STAGES)
        view["workload"] = domain.workload(team.get("members", []), leads)
        view["totals"] = {
            "open_leads": sum(domain.is_open(lead) for lead in leads),
            "investment_cny": sum(row["investment_cny"] for row in view["pipeline"]),
            "lost": sum(lead.get("status") == "lost" for lead in leads),
        }
        return view

    # -- assignment ------------------------------------------------------------------------

    @on_event("leads", "lead_created")
    def assign_lead(self, envelope, lead):
        """Route by industry; an industry no rule covers goes to triage with an alert to admin."""
        teams = self.storage.all()
        route = domain.pick_team(lead.industry, domain.routing_table(teams))
        now = self.clock.now()
        fields = {"title": lead.title, "investment_cny": lead.investment_cny, "major": lead.major,
                  "assigned_at": now}
        if route is None:
            fields.update(team_id=TRIAGE, owner=None)
            event = LeadUnrouted(lead_id=lead.lead_id, title=lead.title, industry=lead.industry)
            log.warning("no team covers industry %r; lead %s waits in triage", lead.industry, lead.lead_id)
        else:
            team = next(t for t in teams if t["_id"] == route.team_id)
            owner = domain.pick_owner(team.get("members", []), self.storage.open_counts(team["_id"]))
            fields.update(team_id=team["_id"], owner=owner)
            event = LeadAssigned(
                lead_id=lead.lead_id, title=lead.title, team_id=team["_id"],
                team_name=team["name_zh"], county_leader=county_leader(team),
                matched_keyword=route.keyword, major=lead.major, owner=owner,
            )
        self.storage.assign(envelope, lead.lead_id, fields, [make_event(self.name, event, now)])

    @rpc
    def reassign(self, lead_id: str, body: dict, actor: str) -> dict:
        """Move a lead to another team or member (a leader or an admin; the gateway checks the
        role). Sends `lead_assigned` again, with `previous_team_id`, `assigned_by` and `reason`."""
        move = validated(Reassignment, body)
        lead = self.storage.team_lead(lead_id)
        try:
            team = self.storage.get(move.team_id)
        except NotFound:
            raise field_error(["body", "team_id"], f"no team {move.team_id}") from None
        members = [m["username"] for m in team.get("members", [])]
        if move.owner is not None and move.owner not in members:
            raise field_error(["body", "owner"],
                              f"{move.owner} is not a member of {team['_id']}: {', '.join(members)}")
        if move.team_id == lead["team_id"] and (move.owner is None or move.owner == lead.get("owner")):
            raise Conflict(f"the lead is already with {move.team_id}",
                           {"team_id": lead["team_id"], "owner": lead.get("owner")})
        owner = move.owner or domain.pick_owner(team.get("members", []),
                                                self.storage.open_counts(team["_id"]))
        now = self.clock.now()
        event = LeadAssigned(
            lead_id=lead_id, title=lead.get("title") or "", team_id=team["_id"],
            team_name=team["name_zh"], county_leader=county_leader(team),
            matched_keyword="", major=bool(lead.get("major")), owner=owner,
            previous_team_id=lead["team_id"], assigned_by=actor, reason=move.reason,
        )
        self.storage.reassign(lead, {"team_id": team["_id"], "owner": owner, "assigned_at": now,
                                     "assigned_by": actor},
                              [make_event(self.name, event, now)])
        return {"lead_id": lead_id, "team_id": team["_id"], "team_name": team["name_zh"],
                "owner": owner, "previous_team_id": lead["team_id"]}

    # -- the team's copy of each lead ------------------------------------------------------

    @on_event("leads", "lead_stage_changed")
    def record_stage(self, envelope, changed):
        self.storage.record_lead(envelope, changed.lead_id, {
            "stage": changed.to_stage, "investment_cny": changed.investment_cny,
            "major": changed.major, "title": changed.title}, "stage_event_at")

    @on_event("leads", "lead_status_changed")
    def record_status(self, envelope, changed):
        self.storage.record_lead(envelope, changed.lead_id, {"status": changed.to_status},
                                 "status_event_at")

    @on_event("leads", "lead_updated")
    def record_update(self, envelope, updated):
        self.storage.record_lead(envelope, updated.lead_id, {
            "title": updated.title, "investment_cny": updated.investment_cny,
            "major": updated.major}, "fields_event_at")

    # -- routing rules ---------------------------------------------------------------------

    @rpc
    def routing_rules(self) -> list[dict]:
        """industry keyword -> team: exact match first, else the longest keyword inside."""
        return domain.rule_rows(self.storage.all())

    @rpc
    def set_routing_rule(self, body: dict, actor: str) -> dict:
        rule = validated(RoutingRule, body)
        teams = self.storage.all()
        if rule.team_id not in {t["_id"] for t in teams}:
            raise field_error(["body", "team_id"], f"no team {rule.team_id}")
        keyword = domain.normalise_industry(rule.keyword)
        spellings = domain.keyword_spellings(teams, keyword)
        previous = next(iter(spellings), None)
        if spellings == {rule.team_id: [keyword]}:
            return {"keyword": keyword, "team_id": rule.team_id, "previous_team_id": previous}
        event = RoutingRuleChanged(keyword=keyword, team_id=rule.team_id,
                                   previous_team_id=previous, by=actor)
        self.storage.move_keyword(spellings, keyword, rule.team_id,
                                  [make_event(self.name, event, self.clock.now())])
        return {"keyword": keyword, "team_id": rule.team_id, "previous_team_id": previous}

    @rpc
    def delete_routing_rule(self, keyword: str, actor: str) -> dict:
        teams = self.storage.all()
        keyword = domain.normalise_industry(keyword)
        spellings = domain.keyword_spellings(teams, keyword)
        if not spellings:
            raise NotFound(f"no routing rule for {keyword}")
        previous = next(iter(spellings))
        event = RoutingRuleChanged(keyword=keyword, team_id=None, previous_team_id=previous, by=actor)
        self.storage.move_keyword(spellings, keyword, None,
                                  [make_event(self.name, event, self.clock.now())])
        return {"keyword": keyword, "team_id": None, "previous_team_id": previous}
