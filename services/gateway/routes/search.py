"""`GET /search?q=`: leads, problems, policy requests and visits that match, of those the caller
may see.

Each owning service searches its own indexed bigram keys (services/leads/domain.py
`search_keys`) within the caller's scope, as its list does: the leads by the gateway's lead
scope, the others by the actor they are given. A kind the caller's role does not read is not
asked. At most `limit` hits of each kind, with how many match in all.
"""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, Field

from services.gateway.http import api, query_params
from services.gateway.routes import EVERYONE
from services.gateway.routes.branches import TRIP_READERS, viewer
from services.gateway.routes.leads import presented
from services.gateway.routes.policy import READERS as REQUEST_READERS
from services.gateway.routes.supervision import PROBLEM_READERS
from services.policy.client import PolicyClient
from services.supervision.client import SupervisionClient
from shared import scope
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.schemas import Strict, validated
from services.branches.client import BranchesClient
from services.leads.client import LeadsClient


class SearchQuery(Strict):
    q: Annotated[str, Field(min_length=1, max_length=100,
                            description="words or part of a name, code or phone number")]
    limit: Annotated[int, Field(ge=1, le=50, description="hits of each kind")] = 10


class LeadHit(BaseModel):
    id: str
    title: str
    company_name: str
    credit_code: Optional[str] = None
    contact_name: Optional[str] = None
    stage: str
    stage_zh: str
    team_id: Optional[str] = None


class ProblemHit(BaseModel):
    id: str
    title: str
    lead_id: str
    lead_title: Optional[str] = None
    owner_department: str
    status: str


class RequestHit(BaseModel):
    id: str
    enterprise: str
    lead_id: str
    lead_title: Optional[str] = None
    status: str
    topics: list[str]


class VisitHit(BaseModel):
    id: str
    company: str
    trip_id: str
    branch_id: str
    visited_at: str


class LeadHits(BaseModel):
    items: list[LeadHit]
    total: int


class ProblemHits(BaseModel):
    items: list[ProblemHit]
    total: int


class RequestHits(BaseModel):
    items: list[RequestHit]
    total: int


class VisitHits(BaseModel):
    items: list[VisitHit]
    total: int


class SearchResult(BaseModel):
    q: str
    leads: LeadHits
    problems: ProblemHits
    policy_requests: RequestHits
    visits: VisitHits


def lead_hit(lead: dict) -> dict:
    company, contact = lead["company"], lead.get("contact") or {}
    return {"id": lead["id"], "title": lead["title"], "company_name": company["name"],
            "credit_code": company.get("credit_code"), "contact_name": contact.get("name"),
            "stage": lead["stage"], "stage_zh": lead["stage_zh"], "team_id": lead.get("team_id")}


def problem_hit(problem: dict) -> dict:
    return {k: problem.get(k) for k in ProblemHit.model_fields}


def request_hit(request: dict) -> dict:
    return {**{k: request.get(k) for k in ("id", "enterprise", "lead_id", "lead_title", "status")},
            "topics": [item["topic"] for item in request.get("items", [])]}


def visit_hit(visit: dict) -> dict:
    return {k: visit.get(k) for k in VisitHit.model_fields}


NOTHING = {"items": [], "total": 0}


class SearchRoutes:
    search_leads = LeadsClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    search_supervision = SupervisionClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    search_policy = PolicyClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    search_branches = BranchesClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    @api("GET", "/api/v1/search", roles=EVERYONE, query=SearchQuery, response=SearchResult,
         summary="Search leads (title, company, credit code, contact), problems (title), policy "
                 "requests (enterprise, topics) and visits (company) the caller may see")
    def search(self, request):
        query = validated(SearchQuery, query_params(request), ("query",))
        principal, role = request.principal, request.principal["role"]
        page = {"q": query.q, "page_size": str(query.limit)}
        department_leads = self.department_leads(principal)  # shared/scope.py, as GET /leads
        leads = self.search_leads.list(page, scope.lead_filter(principal, department_leads))
        leads["items"] = [presented(principal, x, department_leads) for x in leads["items"]]
        problems = (self.search_supervision.list_problems(page, dict(principal))
                    if role in PROBLEM_READERS else NOTHING)
        requests = (self.search_policy.list_requests(page, dict(principal))
                    if role in REQUEST_READERS else NOTHING)
        visits = (self.search_branches.search_visits(query.q, query.limit,
                       viewer(request)) if role in TRIP_READERS else NOTHING)
        return {
            "q": query.q,
            "leads": {"items": [lead_hit(x) for x in leads["items"]], "total": leads["total"]},
            "problems": {"items": [problem_hit(x) for x in problems["items"]],
                         "total": problems["total"]},
            "policy_requests": {"items": [request_hit(x) for x in requests["items"]],
                                "total": requests["total"]},
            "visits": {"items": [visit_hit(x) for x in visits["items"]], "total": visits["total"]},
        }
