"""The leads service's typed RPC client: `leads = LeadsClient()` in a service, with
`timeout=GATEWAY_RPC_TIMEOUT_SECONDS` in the gateway. Results are TypedDicts of what
views.py sends (no validation on the way in: a list of 200 leads costs nothing more)."""
from __future__ import annotations

from typing import Any, Literal, Optional, TypedDict

from shared.client import Calls, ServiceClient, sent
from shared.scope import Principal


class LeadRecord(TypedDict, total=False):
    """A lead as LeadView shows it (a list's items leave out the histories, as LeadSummary)."""

    id: str
    title: str
    company: dict[str, Any]
    industry: str
    investment_cny: int
    source_branch_id: Optional[str]
    major: bool
    green_channel: bool
    stage: str
    stage_zh: str
    status: str
    status_zh: str
    team_id: Optional[str]
    team_name: Optional[str]
    county_leader: Optional[str]
    owner: Optional[str]
    routing: str
    possible_duplicates: list[dict[str, Any]]
    four_ones: Optional[dict[str, Any]]
    created_at: str
    created_by: str
    my_role: str  # projects_of only: project_lead or service_group


class LeadPage(TypedDict, total=False):
    items: list[LeadRecord]
    total: int
    page: int
    page_size: int
    total_capped: bool


class ExistingLead(TypedDict):
    id: str
    title: str
    company_name: str
    credit_code: Optional[str]
    source_branch_id: Optional[str]
    team_id: Optional[str]
    stage: str
    status: str
    matched_by: Literal["credit_code", "company_name"]


class LedgerChunkAnswer(TypedDict):
    created: list[dict[str, Any]]
    would_create: list[dict[str, Any]]
    already_imported: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    possible_duplicates: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    held_events: list[str]  # the ids release_imported hands to the relay once every chunk is in


class ProgressTable(TypedDict):
    lead_id: str
    title: str
    stage: str
    project_lead: Optional[dict[str, Any]]
    service_group: Optional[dict[str, Any]]
    today: str
    milestones: list[dict[str, Any]]
    next_due: Optional[dict[str, Any]]
    reached: int
    late: int
    total: int


class CycleTimes(TypedDict):
    lead_id: str
    title: str
    cycle_times: list[dict[str, Any]]


class ReportProjects(TypedDict):
    fields: list[str]  # the columns of each row (progress.REPORT_ROW_FIELDS)
    rows: list[list[Any]]
    first_created_at: Optional[str]


class LeadsCalls(Calls):
    def create(self, body: dict, principal: Principal) -> LeadRecord:
        return self._call("create", body, sent(principal))

    def import_ledger(self, rows: list[dict], principal: Principal,
                      dry_run: bool) -> LedgerChunkAnswer:
        # A chunk may take longer than a request's deadline: the client's timeout is its own.
        return self._call("import_ledger", rows, sent(principal), dry_run, beyond_deadline=True)

    def release_imported(self, event_ids: list[str]) -> int:
        return self._call("release_imported", event_ids, beyond_deadline=True)

    def find_existing(self, credit_code: str | None, company_name: str) -> ExistingLead | None:
        return self._call("find_existing", credit_code, company_name)

    def get(self, lead_id: str) -> LeadRecord:
        return self._call("get", lead_id)

    def list(self, filters: dict, scope: dict | None = None) -> LeadPage:
        return self._call("list", filters, scope)

    def update(self, lead_id: str, body: dict, principal: Principal) -> LeadRecord:
        return self._call("update", lead_id, body, sent(principal))

    def move_stage(self, lead_id: str, body: dict, principal: Principal) -> LeadRecord:
        return self._call("move_stage", lead_id, body, sent(principal))

    def change_status(self, lead_id: str, body: dict, principal: Principal) -> LeadRecord:
        return self._call("change_status", lead_id, body, sent(principal))

    def set_four_ones(self, lead_id: str, body: dict, principal: Principal) -> LeadRecord:
        return self._call("set_four_ones", lead_id, body, sent(principal))

    def record_milestone(self, lead_id: str, milestone: str, body: dict,
                         principal: Principal) -> ProgressTable:
        return self._call("record_milestone", lead_id, milestone, body, sent(principal))

    def progress(self, lead_id: str) -> ProgressTable:
        return self._call("progress", lead_id)

    def cycle_times(self, lead_id: str) -> CycleTimes:
        return self._call("cycle_times", lead_id)

    def projects_of(self, username: str) -> list[LeadRecord]:
        return self._call("projects_of", username)

    def first_created_at(self) -> str | None:
        return self._call("first_created_at")

    def report_projects(self) -> ReportProjects:
        return self._call("report_projects")


class LeadsClient(ServiceClient):
    service_name = "leads"
    calls = LeadsCalls
