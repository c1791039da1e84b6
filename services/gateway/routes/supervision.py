from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call, query_params
from services.gateway.routes import EVERYONE
from services.supervision.schemas import ProblemFilter


class SupervisionRoutes:
    supervision = RpcProxy("supervision")

    @api("GET", "/api/v1/problems", roles=EVERYONE, query=ProblemFilter, summary="Problems")
    def list_problems(self, request):
        return call(self.supervision, "list_problems", query_params(request))
