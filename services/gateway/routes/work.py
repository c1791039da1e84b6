"""`GET /me/work`: what is mine, per role. The clocks that run against me (overdue, due soon),
the projects I lead or serve in, and my team's, department's or branch's queue; each part
through the service that owns it, in the caller's scope."""
from __future__ import annotations


from services.gateway.http import api
from services.gateway.routes import EVERYONE
from services.gateway.views import MyWork
from services.leads.client import LeadsClient
from services.policy.client import PolicyClient
from services.sla.client import SlaClient
from services.supervision.client import SupervisionClient
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal

QUEUE_SIZE = "50"


def clock_owner(principal: dict) -> dict:
    """Whose clocks are mine: as submitter and project lead always; a department's items and
    problems; a team member's or team leader's team."""
    owner = {"submitted_by": principal["username"], "project_lead": principal["username"]}
    if principal["role"] == "department" and principal.get("department"):
        owner["departments"] = principal["department"]
    if principal["role"] in ("team_member", "leader") and principal.get("team_id"):
        owner["team_id"] = principal["team_id"]
    return owner


class WorkRoutes:
    leads = LeadsClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    sla = SlaClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    policy = PolicyClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    supervision = SupervisionClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    @api("GET", "/api/v1/me/work", roles=EVERYONE, response=MyWork,
         summary="What is mine: overdue and due-soon clocks, my projects (project lead, "
                 "service group), my team's, department's or branch's queue")
    def my_work(self, request):
        principal = dict(request.principal)
        clocks = self.sla.my_clocks(clock_owner(principal))
        return {"role": principal["role"], "overdue": clocks["overdue"],
                "due_soon": clocks["due_soon"],
                "projects": self.leads.projects_of(principal["username"]),
                "queue": self.queue(principal)}

    def queue(self, principal: dict) -> dict:
        role = principal["role"]
        if role == "team_member":
            team = principal.get("team_id") or "-"
            return {"kind": "team", "team_id": team,
                    "mine": self.leads_where({"team_id": team, "owner": principal["username"],
                                              "status": "active"}),
                    "leads": self.leads_where({"team_id": team, "status": "active"})}
        if role == "leader" and principal.get("team_id"):
            return {"kind": "team", "team_id": principal["team_id"],
                    "leads": self.leads_where({"team_id": principal["team_id"],
                                               "status": "active"})}
        if role == "department":
            caller = Principal.of(principal)
            problems = self.supervision.list_problems({"page_size": QUEUE_SIZE}, caller)["items"]
            return {"kind": "department", "department": principal.get("department"),
                    "requests": self.policy.list_requests(
                        {"status": "open", "page_size": QUEUE_SIZE}, caller)["items"],
                    "problems": [p for p in problems if p["status"] != "resolved"]}
        if role == "branch_member":
            branch = principal.get("branch_id") or "-"
            return {"kind": "branch", "branch_id": branch,
                    "leads": self.leads_where({"branch_id": branch, "status": "active"})}
        if role == "admin":
            return {"kind": "triage", "leads": self.leads_where({"routing": "triage"})}
        return {"kind": "breached",
                "clocks": self.sla.list_clocks({"state": "breached", "page_size": QUEUE_SIZE})["items"]}

    def leads_where(self, filters: dict) -> list[dict]:
        return self.leads.list({**filters, "page_size": QUEUE_SIZE})["items"]
