"""The branches service's typed RPC client: `branches = BranchesClient()` in a service, with
`timeout=GATEWAY_RPC_TIMEOUT_SECONDS` in the gateway. Results are TypedDicts of what the
service sends (the views of schemas.py, unvalidated on the way in). `principal` is the caller
(shared/scope.py), sent as its dict."""
from __future__ import annotations

from typing import Any, Optional, TypedDict

from shared.client import Calls, ServiceClient, sent
from shared.scope import Principal


class BranchRecord(TypedDict, total=False):
    id: str
    name: str
    name_zh: str
    regions: list[str]
    members: list[dict[str, Any]]
    secretary: Optional[dict[str, Any]]


class TripRecord(TypedDict, total=False):
    id: str
    branch_id: str
    destination: str
    start_date: str
    end_date: str
    status: str  # upcoming, ongoing or finished
    members: list[str]
    targets: list[dict[str, Any]]
    purpose: Optional[str]


class VisitRecord(TypedDict, total=False):
    id: str
    trip_id: str
    branch_id: str
    company: str
    credit_code: Optional[str]
    visited_at: str
    day: str
    visitors: list[str]
    lead_id: Optional[str]


class Page(TypedDict, total=False):
    items: list[Any]
    total: int
    page: int
    page_size: int


class VisitHits(TypedDict):
    items: list[VisitRecord]
    total: int


class LeadSourced(TypedDict):
    lead_id: str
    visit_id: str
    branch_id: str
    company_name: str
    credit_code: Optional[str]


class BranchesCalls(Calls):
    def list_branches(self) -> list[BranchRecord]:
        return self._call("list_branches")

    def get_branch(self, branch_id: str) -> BranchRecord:
        return self._call("get_branch", branch_id)

    def update_branch(self, branch_id: str, body: dict, principal: Principal) -> BranchRecord:
        return self._call("update_branch", branch_id, body, sent(principal))

    def create_trip(self, branch_id: str, body: dict, principal: Principal) -> TripRecord:
        return self._call("create_trip", branch_id, body, sent(principal))

    def list_trips(self, branch_id: str, query: dict, principal: Principal) -> Page:
        return self._call("list_trips", branch_id, query, sent(principal))

    def get_trip(self, trip_id: str, principal: Principal) -> TripRecord:
        return self._call("get_trip", trip_id, sent(principal))

    def update_trip(self, trip_id: str, body: dict, principal: Principal) -> TripRecord:
        return self._call("update_trip", trip_id, body, sent(principal))

    def log_visit(self, trip_id: str, body: dict, principal: Principal) -> VisitRecord:
        return self._call("log_visit", trip_id, body, sent(principal))

    def list_visits(self, trip_id: str, query: dict, principal: Principal) -> Page:
        return self._call("list_visits", trip_id, query, sent(principal))

    def search_visits(self, q: str, limit: int, principal: Principal) -> VisitHits:
        return self._call("search_visits", q, limit, sent(principal))

    def get_visit(self, visit_id: str, principal: Principal) -> VisitRecord:
        return self._call("get_visit", visit_id, sent(principal))

    def update_visit(self, visit_id: str, body: dict, principal: Principal) -> VisitRecord:
        return self._call("update_visit", visit_id, body, sent(principal))

    def source_lead(self, visit_id: str, body: dict, principal: Principal) -> LeadSourced:
        return self._call("source_lead", visit_id, body, sent(principal))

    def trip_summaries(self, trip_id: str, principal: Principal) -> list[dict[str, Any]]:
        return self._call("trip_summaries", trip_id, sent(principal))

    def amend_summary(self, trip_id: str, day: str, body: dict,
                      principal: Principal) -> dict[str, Any]:
        return self._call("amend_summary", trip_id, day, body, sent(principal))

    def results(self, branch_id: str, query: dict) -> dict[str, Any]:
        return self._call("results", branch_id, query)

    def ranking(self, query: dict) -> dict[str, Any]:
        return self._call("ranking", query)


class BranchesClient(ServiceClient):
    service_name = "branches"
    calls = BranchesCalls
