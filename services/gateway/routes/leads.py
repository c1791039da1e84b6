from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call, json_body, query_params
from services.gateway.routes import EVERYONE
from services.leads.schemas import (
    CycleTimes, FourOnes, LeadCreate, LeadFilter, LeadPage, LeadPatch, LeadView, MilestoneActual,
    ProgressTable, StageMove, StatusChange,
)
from shared.errors import NotFound

WRITERS_OF_LEADS = ("admin", "leader", "team_member", "branch_member")
# Moving a project along, its status and its four ones: the teams' work, and the leaders'.
PROJECT_WORKERS = ("admin", "leader", "team_member")


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

    def visible_lead(self, request, lead_id: str) -> dict:
        """The lead, or 404 when it is outside the caller's scope (ids leak nothing)."""
        lead = call(self.leads, "get", lead_id)
        if not may_see_lead(request.principal, lead):
            raise NotFound(f"no lead {lead_id}")
        return lead

    def check_visible(self, request, lead_id: str) -> None:
        # Admins, leaders and inspectors see every lead: no extra call for them.
        if request.principal["role"] in ("team_member", "branch_member"):
            self.visible_lead(request, lead_id)

    @api("POST", "/api/v1/leads", roles=WRITERS_OF_LEADS, body=LeadCreate,
         response=LeadView,
         summary="Take in a lead; the teams service assigns it within a second")
    def create_lead(self, request):
        body = json_body(request)
        return 201, call(self.leads, "create", body, request.principal["username"])

    @api("GET", "/api/v1/leads", roles=EVERYONE, query=LeadFilter,
         response=LeadPage,
         summary="List leads: filters, q= search in title and company, sort=, pages; major first")
    def list_leads(self, request):
        filters = scoped_lead_filters(request.principal, query_params(request))
        return call(self.leads, "list", filters)

    @api("GET", "/api/v1/leads/<string:lead_id>", roles=EVERYONE, response=LeadView,
         summary="One lead: team, stage history, four ones, milestones, audit trail")
    def get_lead(self, request, lead_id):
        return self.visible_lead(request, lead_id)

    @api("PATCH", "/api/v1/leads/<string:lead_id>", roles=WRITERS_OF_LEADS, body=LeadPatch,
         response=LeadView,
         summary="Change fields of a lead")
    def patch_lead(self, request, lead_id):
        body = json_body(request)
        self.check_visible(request, lead_id)
        return call(self.leads, "update", lead_id, body, request.principal["username"])

    @api("POST", "/api/v1/leads/<string:lead_id>/stage", roles=PROJECT_WORKERS, body=StageMove,
         response=LeadView,
         summary="Move the lead along the pipeline; back only for a leader or an admin, with a note")
    def move_stage(self, request, lead_id):
        body = json_body(request)
        self.check_visible(request, lead_id)
        return call(self.leads, "move_stage", lead_id, body, request.principal["username"],
                    request.principal["role"])

    @api("POST", "/api/v1/leads/<string:lead_id>/status", roles=PROJECT_WORKERS,
         body=StatusChange, response=LeadView, summary="active, stalled or lost (with a reason)")
    def change_status(self, request, lead_id):
        body = json_body(request)
        self.check_visible(request, lead_id)
        return call(self.leads, "change_status", lead_id, body, request.principal["username"])

    @api("PUT", "/api/v1/leads/<string:lead_id>/four-ones", roles=PROJECT_WORKERS, body=FourOnes,
         response=LeadView,
         summary="The four ones: project lead, service group, plan of milestones")
    def put_four_ones(self, request, lead_id):
        body = json_body(request)
        self.check_visible(request, lead_id)
        return call(self.leads, "set_four_ones", lead_id, body, request.principal["username"])

    @api("POST", "/api/v1/leads/<string:lead_id>/milestones/<string:milestone>",
         roles=PROJECT_WORKERS, body=MilestoneActual, response=ProgressTable,
         summary="The actual date of a milestone of the plan; answers the progress table")
    def record_milestone(self, request, lead_id, milestone):
        body = json_body(request)
        self.check_visible(request, lead_id)
        return call(self.leads, "record_milestone", lead_id, milestone, body,
                    request.principal["username"])

    @api("GET", "/api/v1/leads/<string:lead_id>/progress", roles=EVERYONE,
         response=ProgressTable,
         summary="The dynamic progress table: planned vs actual, days early or late, next due")
    def get_progress(self, request, lead_id):
        self.check_visible(request, lead_id)
        return call(self.leads, "progress", lead_id)

    @api("GET", "/api/v1/leads/<string:lead_id>/cycle-times", roles=EVERYONE,
         response=CycleTimes,
         summary="Days from first contact to signing, signing to land listing, to groundbreaking...")
    def get_cycle_times(self, request, lead_id):
        self.check_visible(request, lead_id)
        return call(self.leads, "cycle_times", lead_id)
