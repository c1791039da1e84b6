from __future__ import annotations

from services.gateway.http import api, json_body
from services.gateway.routes import EVERYONE
from services.teams.schemas import (
    Reassignment, ReassignmentDone, RoutingRule, RuleChange, RuleTable, TeamDetail, TeamList,
)
from services.teams.client import TeamsClient
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal

REASSIGNERS = ("admin", "leader")


class TeamRoutes:
    teams = TeamsClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    @api("GET", "/api/v1/teams", roles=EVERYONE, response=TeamList, summary="The six specialist teams")
    def list_teams(self, request):
        return self.teams.list_teams()

    @api("GET", "/api/v1/teams/<string:team_id>", roles=EVERYONE, response=TeamDetail,
         summary="A team with its pipeline (count and investment per stage) and members' workload")
    def get_team(self, request, team_id):
        return self.teams.get_team(team_id)

    @api("POST", "/api/v1/leads/<string:lead_id>/team", roles=REASSIGNERS, body=Reassignment,
         response=ReassignmentDone,
         summary="Reassign a lead to another team or member (also out of triage)")
    def reassign_lead(self, request, lead_id):
        body = json_body(request)
        self.check_may_act(request, lead_id)  # a leader: the own team's or the own projects
        return self.teams.reassign(lead_id, body, Principal.of(request.principal))

    @api("GET", "/api/v1/routing-rules", roles=EVERYONE, response=RuleTable,
         summary="Industry keyword -> team: exact match first, else the longest keyword inside")
    def list_routing_rules(self, request):
        return self.teams.routing_rules()

    @api("PUT", "/api/v1/routing-rules", roles=("admin",), body=RoutingRule, response=RuleChange,
         summary="Point an industry keyword at a team (moves it from any other team)")
    def put_routing_rule(self, request):
        body = json_body(request)
        return self.teams.set_routing_rule(body, Principal.of(request.principal))

    @api("DELETE", "/api/v1/routing-rules/<string:keyword>", roles=("admin",), response=RuleChange,
         summary="Remove an industry keyword: its leads go to triage from now on")
    def delete_routing_rule(self, request, keyword):
        return self.teams.delete_routing_rule(keyword, Principal.of(request.principal))
