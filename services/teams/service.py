"""The teams service: the six specialist teams, the routing of each new lead to one of them,
reassignment, and each team's pipeline and members' workload. Entrypoints only, each
validate -> use case (usecases.py) -> view."""
from __future__ import annotations

from pathlib import Path

import yaml
from nameko.rpc import rpc

from services.teams import domain
from services.teams.domain import TRIAGE, county_leader  # noqa: F401  (bench/bench.py seeds with them)
from services.teams.repository import TeamsRepository
from services.teams.schemas import Reassignment, RoutingRule, TeamView
from services.teams.usecases import TeamsUseCases
from shared.clock import Clock
from shared.handlers import on_event
from shared.jsonable import jsonable
from shared.schemas import validated
from shared.scope import Principal
from shared.storage import Storage

TEAMS_FILE = Path(__file__).with_name("data") / "teams.yaml"
# What a team's answer names (TeamView's fields): an allow-list, so a stored field is not sent.
TEAM_FIELDS = tuple(name for name in TeamView.model_fields if name != "id")


def load_teams_file(path: Path = TEAMS_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        teams = [{"_id": t.pop("id"), **t} for t in yaml.safe_load(f)]
    domain.routing_table(teams)  # refuse a file where one keyword names two teams
    return teams


def seed_from_file(repository: TeamsRepository, config: dict) -> None:
    repository.seed(load_teams_file())


def team_view(team: dict, **figures) -> dict:
    return jsonable({"id": team["_id"], **{f: team[f] for f in TEAM_FIELDS if f in team},
                     **figures})


class TeamsService:
    name = "teams"

    storage = Storage(TeamsRepository, on_start=seed_from_file)
    clock = Clock()

    @property
    def cases(self) -> TeamsUseCases:
        return TeamsUseCases(self.storage, self.clock.now())

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
        team, figures = self.cases.team_figures(team_id)
        return team_view(team, **figures)

    # -- assignment ------------------------------------------------------------------------

    @on_event("leads", "lead_created")
    def assign_lead(self, envelope, lead):
        """Route by industry; an industry no rule covers goes to triage with an alert to admin."""
        self.cases.assign_lead(envelope, lead)

    @rpc
    def reassign(self, lead_id: str, body: dict, principal: dict) -> dict:
        """Move a lead to another team or member (a leader or an admin; the gateway checks the
        role). Sends `lead_assigned` again, with `previous_team_id`, `assigned_by` and `reason`."""
        lead, change = self.cases.reassign(lead_id, validated(Reassignment, body),
                                           Principal.of(principal))
        assigned = change.events[0]
        return {"lead_id": lead_id, "team_id": assigned.team_id, "team_name": assigned.team_name,
                "owner": assigned.owner, "previous_team_id": lead["team_id"]}

    # -- the team's copy of each lead ------------------------------------------------------

    @on_event("leads", "lead_stage_changed")
    def record_stage(self, envelope, changed):
        self.cases.record_stage(envelope, changed)

    @on_event("leads", "lead_status_changed")
    def record_status(self, envelope, changed):
        self.cases.record_status(envelope, changed)

    @on_event("leads", "lead_updated")
    def record_update(self, envelope, updated):
        self.cases.record_update(envelope, updated)

    # -- routing rules ---------------------------------------------------------------------

    @rpc
    def routing_rules(self) -> list[dict]:
        """industry keyword -> team: exact match first, else the longest keyword inside."""
        return domain.rule_rows(self.storage.all())

    @rpc
    def set_routing_rule(self, body: dict, principal: dict) -> dict:
        return self.cases.set_routing_rule(validated(RoutingRule, body), Principal.of(principal))

    @rpc
    def delete_routing_rule(self, keyword: str, principal: dict) -> dict:
        return self.cases.delete_routing_rule(keyword, Principal.of(principal))
