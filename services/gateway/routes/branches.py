from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call
from services.gateway.routes import EVERYONE


class BranchRoutes:
    branches = RpcProxy("branches")

    @api("GET", "/api/v1/branches", roles=EVERYONE, summary="The six regional Party branches")
    def list_branches(self, request):
        return call(self.branches, "list_branches")

    @api("GET", "/api/v1/branches/<string:branch_id>", roles=EVERYONE, summary="One branch")
    def get_branch(self, request, branch_id):
        return call(self.branches, "get_branch", branch_id)
