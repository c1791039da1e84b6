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
from services.gateway.routes.branches import TRIP_READERS
from services.gateway.routes.leads import presented
from services.gateway.routes.policy import READERS as REQUEST_READERS
from services.gateway.routes.supervision import PROBLEM_READERS
from services.policy.client import PolicyClient
from services.supervision.client import SupervisionClient
from shared import scope
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal
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


def search_page(query: SearchQuery) -> dict:
    """The list query each service searches with: the words, `limit` hits."""
    return {"q": query.q, "page_size": str(query.limit)}


def hits(found: dict, hit) -> dict:
    """A page of matches as the answer shows them: each as `hit` makes it, and how many match."""
    return {"items": [hit(x) for x in found["items"]], "total": found["total"]}


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
        return {
            "q": query.q,
            "leads": hits(self.matching_leads(request.principal, query), lead_hit),
            "problems": hits(self.matching_problems(request.principal, query), problem_hit),
            "policy_requests": hits(self.matching_requests(request.principal, query), request_hit),
            "visits": hits(self.matching_visits(request, query), visit_hit),
        }

    # Each kind within the caller's scope, as its list route answers; a kind the caller's role
    # does not read is not asked.
    def matching_leads(self, principal, query: SearchQuery) -> dict:
        department_leads = self.department_leads(principal)  # shared/scope.py, as GET /leads
        leads = self.search_leads.list(search_page(query),
                                       scope.lead_filter(principal, department_leads))
        leads["items"] = [presented(principal, x, department_leads) for x in leads["items"]]
        return leads

    def matching_problems(self, principal, query: SearchQuery) -> dict:
        if principal["role"] not in PROBLEM_READERS:
            return NOTHING
        return self.search_supervision.list_problems(search_page(query), Principal.of(principal))

    def matching_requests(self, principal, query: SearchQuery) -> dict:
        if principal["role"] not in REQUEST_READERS:
            return NOTHING
        return self.search_policy.list_requests(search_page(query), Principal.of(principal))

    def matching_visits(self, request, query: SearchQuery) -> dict:
        if request.principal["role"] not in TRIP_READERS:
            return NOTHING
        return self.search_branches.search_visits(query.q, query.limit, Principal.of(request.principal))
