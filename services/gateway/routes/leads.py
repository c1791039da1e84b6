from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call, json_body, query_params
from services.gateway.routes import EVERYONE
from services.leads.schemas import LeadCreate, LeadFilter
from shared.errors import NotFound

WRITERS_OF_LEADS = ("admin", "leader", "team_member", "branch_member")


def scoped_lead_filters(principal: dict, filters: dict) -> dict:
    """A team member sees the own team's leads; a branch member the leads the branch sourced."""
    if principal["role"] == "team_member":
        return {**filters, "team_id": principal.get("team_id") or "-"}
    if principal["role"] == "branch_member":
        return {**filters, "branch_id": principal.get("branch_id") or "-"}
    return filters


def may_see_lead(principal: dict, lead: dict) -> bool:
    if principal["role"] == "team_member":
        return lead.get("team_id") == principal.get("team_id")
    if principal["role"] == "branch_member":
        return lead.get("source_branch_id") == principal.get("branch_id")
    return True


class LeadRoutes:
    leads = RpcProxy("leads")

    @api("POST", "/api/v1/leads", roles=WRITERS_OF_LEADS, body=LeadCreate,
         summary="Take in a lead; the teams service assigns it within a second")
    def create_lead(self, request):
        body = json_body(request)
        return 201, call(self.leads, "create", body, request.principal["username"])

    @api("GET", "/api/v1/leads", roles=EVERYONE, query=LeadFilter, summary="List leads")
    def list_leads(self, request):
        filters = scoped_lead_filters(request.principal, query_params(request))
        return call(self.leads, "list", filters)

    @api("GET", "/api/v1/leads/<string:lead_id>", roles=EVERYONE, summary="One lead")
    def get_lead(self, request, lead_id):
        lead = call(self.leads, "get", lead_id)
        if not may_see_lead(request.principal, lead):
            raise NotFound(f"no lead {lead_id}")  # 404, not 403: ids leak nothing
        return lead
