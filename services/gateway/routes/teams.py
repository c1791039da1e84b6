from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call
from services.gateway.routes import EVERYONE


class TeamRoutes:
    teams = RpcProxy("teams")

    @api("GET", "/api/v1/teams", roles=EVERYONE, summary="The six specialist teams")
    def list_teams(self, request):
        return call(self.teams, "list_teams")

    @api("GET", "/api/v1/teams/<string:team_id>", roles=EVERYONE,
         summary="A team with its pipeline")
    def get_team(self, request, team_id):
        return call(self.teams, "get_team", team_id)
