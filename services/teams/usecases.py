"""The teams' use cases: each loads, asks the domain (domain.py) and saves the change with its
events through the repository. No nameko here: service.py validates, calls one of these and
shows the result."""
from __future__ import annotations

import logging
from datetime import datetime

from services.leads.domain import STAGES
from services.teams import domain
from services.teams.repository import TeamsRepository
from services.teams.schemas import Reassignment, RoutingRule
from shared.change import Change
from shared.errors import NotFound, field_error, refusals_as_rpc_errors
from shared.scope import Principal

log = logging.getLogger(__name__)


class TeamsUseCases:
    """The use cases of one RPC or event, at `now`."""

    def __init__(self, repository: TeamsRepository, now: datetime):
        self.repository = repository
        self.now = now

    def team_figures(self, team_id: str) -> tuple[dict, dict]:
        """The team, and its pipeline, members' workload and totals from its counters (the same
        cost at any number of leads)."""
        team = self.repository.get(team_id)
        figures = self.repository.figures(team_id)
        pipeline = domain.pipeline_of_figures(figures, STAGES)
        workload = domain.workload_of_figures(team.get("members", []), figures)
        return team, {"pipeline": pipeline, "workload": workload, "totals": {
            "open_leads": sum(row["open_leads"] for row in workload),
            "investment_cny": sum(row["investment_cny"] for row in pipeline),
            "lost": domain.lost_of_figures(figures)}}

    def routed_team(self, industry: str, teams: list[dict]):
        """(route, team) for the industry, or (None, None) when no rule covers it."""
        route = domain.pick_team(industry, domain.routing_table(teams))
        if route is None:
            return None, None
        return route, next(t for t in teams if t["_id"] == route.team_id)

    def open_counts(self, team: dict | None) -> dict[str, int]:
        return self.repository.open_counts(team["_id"]) if team else {}

    # -- assignment ------------------------------------------------------------------------
    def assign_lead(self, envelope, lead) -> None:
        route, team = self.routed_team(lead.industry, self.repository.all())
        if team is None:
            log.warning("no team covers industry %r; lead %s waits in triage", lead.industry,
                        lead.lead_id)
        change = domain.assignment(lead, team, route, self.open_counts(team), self.now)
        self.repository.assign(envelope, lead.lead_id, change, self.now)

    @refusals_as_rpc_errors
    def reassign(self, lead_id: str, move: Reassignment,
                 principal: Principal) -> tuple[dict, Change]:
        lead = self.repository.team_lead(lead_id)
        try:
            team = self.repository.get(move.team_id)
        except NotFound:
            raise field_error(["body", "team_id"], f"没有专业招商协作组 {move.team_id}") from None
        counts = {} if move.owner else self.repository.open_counts(team["_id"])
        change = domain.reassignment(lead, team, move.owner, move.reason, counts,
                                     principal.username, self.now)
        self.repository.reassign(lead, change, self.now)
        return lead, change

    # -- the team's copy of each lead ------------------------------------------------------
    def record_stage(self, envelope, changed) -> None:
        self.repository.record_lead(envelope, changed.lead_id, Change(set={
            "stage": changed.to_stage, "investment_cny": changed.investment_cny,
            "major": changed.major, "title": changed.title}), "stage_event_at")

    def record_status(self, envelope, changed) -> None:
        self.repository.record_lead(envelope, changed.lead_id,
                                    Change(set={"status": changed.to_status}), "status_event_at")

    def record_update(self, envelope, updated) -> None:
        """Keep the copy current; a changed industry routes the lead again, to the team of its
        new chain (with the reason, which the lead's history keeps)."""
        change = Change(set={"title": updated.title, "investment_cny": updated.investment_cny,
                             "major": updated.major})
        if "industry" in updated.changed:
            route, team = self.routed_team(updated.industry, self.repository.all())
            current = self.repository.find_team_lead(updated.lead_id) or {}
            if team is not None and route.team_id != current.get("team_id"):
                change = change.and_then(domain.rerouting(
                    updated, team, route, current.get("team_id"), self.open_counts(team),
                    self.now))
        self.repository.record_lead(envelope, updated.lead_id, change, "fields_event_at",
                                    self.now)

    # -- routing rules ---------------------------------------------------------------------
    def set_routing_rule(self, rule: RoutingRule, principal: Principal) -> dict:
        teams = self.repository.all()
        if rule.team_id not in {t["_id"] for t in teams}:
            raise field_error(["body", "team_id"], f"没有专业招商协作组 {rule.team_id}")
        keyword = domain.normalise_industry(rule.keyword)
        spellings = domain.keyword_spellings(teams, keyword)
        previous = next(iter(spellings), None)
        if spellings != {rule.team_id: [keyword]}:  # else: routed there already
            self.repository.move_keyword(spellings, keyword, rule.team_id,
                                         domain.rule_moved(keyword, rule.team_id, previous,
                                                           principal.username),
                                         self.now)
        return {"keyword": keyword, "team_id": rule.team_id, "previous_team_id": previous}

    def delete_routing_rule(self, keyword: str, principal: Principal) -> dict:
        keyword = domain.normalise_industry(keyword)
        spellings = domain.keyword_spellings(self.repository.all(), keyword)
        if not spellings:
            raise NotFound(f"没有关键词 {keyword} 的分派规则")
        previous = next(iter(spellings))
        self.repository.move_keyword(spellings, keyword, None,
                                     domain.rule_moved(keyword, None, previous, principal.username),
                                     self.now)
        return {"keyword": keyword, "team_id": None, "previous_team_id": previous}
