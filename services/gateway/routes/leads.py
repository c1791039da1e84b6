from __future__ import annotations


from services.gateway.http import api, json_body, query_params
from services.gateway.routes import EVERYONE
from services.leads.schemas import (
    CycleTimes, FourOnes, LeadCreate, LeadFilter, LeadPage, LeadPatch, LeadView, MilestoneActual,
    ProgressTable, StageMove, StatusChange,
)
from services.gateway.views import LeadDetail
from services.policy.client import PolicyClient
from services.supervision.client import SupervisionClient
from shared import scope
from shared.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unavailable
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal
from services.leads.client import LeadsClient

WRITERS_OF_LEADS = ("admin", "leader", "team_member", "branch_member")
# Moving a project along, its status and its four ones: the teams' work, and the leaders'.
PROJECT_WORKERS = ("admin", "leader", "team_member")


def field_error(loc: list, message: str) -> InvalidInput:
    return InvalidInput(message, {"errors": [{"loc": loc, "msg": message}]})


def presented(principal, lead: dict, department_leads=None) -> dict:
    """The lead as the caller may see it, with each possible duplicate outside the caller's
    scope told as "followed by another team" only (no id, no title)."""
    view = scope.lead_view_for(principal, lead)
    if view.get("possible_duplicates"):
        view = {**view, "possible_duplicates": [
            scope.lead_reference(principal, d, department_leads)
            for d in view["possible_duplicates"]]}
    return view


class LeadRoutes:
    leads = LeadsClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    policy = PolicyClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    supervision = SupervisionClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    def department_leads(self, principal) -> set[str] | None:
        """The leads a department owes a reply or a solution on (None for other roles)."""
        p = Principal.of(principal)
        if p.role != "department":
            return None
        if not p.department:
            return set()
        return set(self.policy.leads_owed_by(p.department)) | \
            set(self.supervision.leads_owned_by(p.department))

    def visible_lead(self, request, lead_id: str, department_leads=None,
                     reading: bool = False) -> dict:
        """The lead, or 404 when it is outside the caller's scope (ids leak nothing)."""
        principal = request.principal
        if principal["role"] == "department" and department_leads is None:
            department_leads = self.department_leads(principal)
            if lead_id not in department_leads:  # no need to ask leads
                raise NotFound(f"no lead {lead_id}")
        lead = self.leads.get(lead_id)
        allowed = scope.may_read_lead if reading else scope.may_see_lead
        if not allowed(principal, lead, department_leads):
            raise NotFound(f"没有线索 {lead_id}")
        return lead

    def check_visible(self, request, lead_id: str, reading: bool = False) -> None:
        # Admins, leaders and inspectors see every lead: no extra call for them.
        if not Principal.of(request.principal).reads_all:
            self.visible_lead(request, lead_id, reading=reading)

    def check_project_lead_account(self, body) -> None:
        """A project lead named by account is a county leader's (GET /leaders): /me/work finds
        the projects by that account. A lead typed as a name alone (older leads) stays valid."""
        project_lead = body.get("project_lead") if isinstance(body, dict) else None
        username = project_lead.get("username") if isinstance(project_lead, dict) else None
        if not isinstance(username, str) or not username:
            return
        account = self.accounts.find(username)
        if account is None or account.get("role") != "leader" or account.get("disabled"):
            raise field_error(["body", "project_lead", "username"],
                              f"{username} 不是县领导账户：请从县领导名单中选择项目长")

    def check_may_act(self, request, lead_id: str) -> dict:
        """The lead if the caller may change it: 404 outside scope, 403 for a leader's read-only
        view of another team's project."""
        lead = self.visible_lead(request, lead_id)
        if not scope.may_act_on_lead(request.principal, lead):
            raise NotAllowed("县领导只能操作本组或本人领衔的项目", {"lead_id": lead_id})
        return lead

    def conflict_in_scope(self, request, exc: Conflict) -> Conflict:
        """A 409 naming another team's lead says only that the company is followed there."""
        existing_id = exc.extra.get("existing_id")
        if not existing_id:
            return exc
        try:
            existing = self.leads.get(existing_id)
        except NotFound:
            return exc
        if scope.may_see_lead(request.principal, existing):
            return exc
        reference = scope.lead_reference(request.principal, existing)
        return Conflict(reference["message"], reference)

    def source_branch_of(self, request, body) -> None:
        """`source_branch_id` is the caller's branch for a branch member, else admin's only."""
        if not isinstance(body, dict):
            return
        principal = Principal.of(request.principal)
        given = body.get("source_branch_id")
        if principal.role == "branch_member":
            if given not in (None, principal.branch_id):
                raise field_error(["body", "source_branch_id"], "来源分部即本人所在分部，不能指定其他分部")
            body["source_branch_id"] = principal.branch_id
        elif principal.role != "admin" and given is not None:
            raise field_error(["body", "source_branch_id"], "来源分部只能由管理员指定")

    def check_source_branch_unchanged(self, request, body) -> None:
        """A lead's `source_branch_id` is changed by an admin only (when it is taken in, see
        `source_branch_of`)."""
        if isinstance(body, dict) and "source_branch_id" in body and \
                request.principal["role"] != "admin":
            raise field_error(["body", "source_branch_id"], "来源分部只能由管理员修改")

    @api("POST", "/api/v1/leads", roles=WRITERS_OF_LEADS, body=LeadCreate,
         response=LeadView,
         summary="Take in a lead; the teams service assigns it within a second")
    def create_lead(self, request):
        body = json_body(request)
        self.source_branch_of(request, body)
        try:
            created = self.leads.create(body, Principal.of(request.principal))
        except Conflict as exc:
            raise self.conflict_in_scope(request, exc) from None
        return 201, presented(request.principal, created)

    @api("GET", "/api/v1/leads", roles=EVERYONE, query=LeadFilter,
         response=LeadPage,
         summary="List leads: filters, q= search in title and company, sort=, pages; major first")
    def list_leads(self, request):
        principal = request.principal
        department_leads = self.department_leads(principal)
        page = self.leads.list(query_params(request),
                    scope.lead_filter(principal, department_leads))
        page["items"] = [presented(principal, lead, department_leads) for lead in page["items"]]
        return page

    @api("GET", "/api/v1/leads/<string:lead_id>", roles=EVERYONE, response=LeadDetail,
         summary="One lead: team, stage history, four ones, milestones, audit trail, open problems "
                 "and open requests")
    def get_lead(self, request, lead_id):
        department_leads = self.department_leads(request.principal)
        lead = self.visible_lead(request, lead_id, department_leads, reading=True)
        open_work = self.open_work_on(lead_id, Principal.of(request.principal))
        return {**presented(request.principal, lead, department_leads), **open_work}

    def open_work_on(self, lead_id: str, principal: Principal) -> dict:
        """The lead's open problems and open requests, as far as the caller may see them: each
        service narrows its list to the caller. None for a kind whose service is away."""
        try:
            problems = self.supervision.list_problems(
                {"lead_id": lead_id, "page_size": "200"}, principal)["items"]
            open_problems = [p for p in problems if p["status"] != "resolved"]
        except Unavailable:
            open_problems = None  # the supervision service is away: not known now
        try:
            open_requests = self.policy.list_requests({
                "lead_id": lead_id, "status": "open", "page_size": "200"}, principal)["items"]
        except Unavailable:
            open_requests = None
        return {"open_problems": open_problems, "open_requests": open_requests}

    @api("PATCH", "/api/v1/leads/<string:lead_id>", roles=WRITERS_OF_LEADS, body=LeadPatch,
         response=LeadView,
         summary="Change fields of a lead")
    def patch_lead(self, request, lead_id):
        body = json_body(request)
        self.check_source_branch_unchanged(request, body)
        self.check_may_act(request, lead_id)
        try:
            updated = self.leads.update(lead_id, body, Principal.of(request.principal))
        except Conflict as exc:
            raise self.conflict_in_scope(request, exc) from None
        return presented(request.principal, updated)

    @api("POST", "/api/v1/leads/<string:lead_id>/stage", roles=PROJECT_WORKERS, body=StageMove,
         response=LeadView,
         summary="Move the lead along the pipeline; back only for a leader or an admin, with a note")
    def move_stage(self, request, lead_id):
        body = json_body(request)
        self.check_may_act(request, lead_id)
        return self.leads.move_stage(lead_id, body, Principal.of(request.principal))

    @api("POST", "/api/v1/leads/<string:lead_id>/status", roles=PROJECT_WORKERS,
         body=StatusChange, response=LeadView, summary="active, stalled or lost (with a reason)")
    def change_status(self, request, lead_id):
        body = json_body(request)
        self.check_may_act(request, lead_id)
        return self.leads.change_status(lead_id, body, Principal.of(request.principal))

    @api("PUT", "/api/v1/leads/<string:lead_id>/four-ones", roles=PROJECT_WORKERS, body=FourOnes,
         response=LeadView,
         summary="The four ones: project lead, service group, plan of milestones")
    def put_four_ones(self, request, lead_id):
        body = json_body(request)
        self.check_project_lead_account(body)
        self.check_may_act(request, lead_id)
        return self.leads.set_four_ones(lead_id, body, Principal.of(request.principal))

    @api("POST", "/api/v1/leads/<string:lead_id>/milestones/<string:milestone>",
         roles=PROJECT_WORKERS, body=MilestoneActual, response=ProgressTable,
         summary="The actual date of a milestone of the plan; answers the progress table")
    def record_milestone(self, request, lead_id, milestone):
        body = json_body(request)
        self.check_may_act(request, lead_id)
        return self.leads.record_milestone(lead_id, milestone, body,
                                           Principal.of(request.principal))

    @api("GET", "/api/v1/leads/<string:lead_id>/progress", roles=EVERYONE,
         response=ProgressTable,
         summary="The dynamic progress table: planned vs actual, days early or late, next due")
    def get_progress(self, request, lead_id):
        self.check_visible(request, lead_id, reading=True)
        table = self.leads.progress(lead_id)
        return scope.without_phones(table) if request.principal["role"] == "department" else table

    @api("GET", "/api/v1/leads/<string:lead_id>/cycle-times", roles=EVERYONE,
         response=CycleTimes,
         summary="Days from first contact to signing, signing to land listing, to groundbreaking...")
    def get_cycle_times(self, request, lead_id):
        self.check_visible(request, lead_id, reading=True)
        return self.leads.cycle_times(lead_id)
