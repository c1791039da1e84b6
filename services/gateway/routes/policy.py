from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call, query_params
from services.gateway.routes import EVERYONE
from services.policy.schemas import RequestFilter


class PolicyRoutes:
    policy = RpcProxy("policy")

    @api("GET", "/api/v1/policy-requests", roles=EVERYONE, query=RequestFilter,
         summary="Policy and factor requests")
    def list_policy_requests(self, request):
        return call(self.policy, "list_requests", query_params(request))
