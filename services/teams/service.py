"""The teams service: the six specialist teams, and the assignment of each new lead."""
from __future__ import annotations

import logging
from pathlib import Path

import yaml
from nameko.rpc import rpc

from services.leads.domain import STAGES
from services.teams import domain
from services.teams.repository import TeamsRepository
from shared.clock import Clock
from shared.events import LeadAssigned, LeadUnrouted, make_event
from shared.handlers import on_event
from shared.jsonable import jsonable
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
        view = team_view(self.storage.get(team_id))
        view["pipeline"] = domain.pipeline(self.storage.leads_of(team_id), STAGES)
        return view

    @on_event("leads", "lead_created")
    def assign_lead(self, envelope, lead):
        teams = self.storage.all()
        route = domain.pick_team(lead.industry, domain.routing_table(teams))
        now = self.clock.now()
        record = {
            "_id": lead.lead_id,
            "stage": "lead",
            "investment_cny": lead.investment_cny,
            "major": lead.major,
            "assigned_at": now,
        }
        if route is None:
            record["team_id"] = TRIAGE
            event = LeadUnrouted(lead_id=lead.lead_id, title=lead.title, industry=lead.industry)
            log.warning("no team covers industry %r; lead %s waits in triage", lead.industry, lead.lead_id)
        else:
            team = next(t for t in teams if t["_id"] == route.team_id)
            record["team_id"] = team["_id"]
            leader = team["leader"]
            event = LeadAssigned(
                lead_id=lead.lead_id,
                title=lead.title,
                team_id=team["_id"],
                team_name=team["name_zh"],
                county_leader=f"{leader['name']}（{leader['title']}）",
                matched_keyword=route.keyword,
                major=lead.major,
            )
        self.storage.assign(envelope, record, [make_event(self.name, event, now)])
