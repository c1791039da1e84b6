"""The supervision service's RPCs, typed (shared/client.py): the gateway and other services call
these methods, never an RPC by its name in a string.

Results are the views the service returns (plain JSON dicts): the TypedDicts name the fields a
caller reads; the gateway's response models (schemas.py) are what an HTTP client sees.
"""
from __future__ import annotations

from typing import Any, Optional, TypedDict

# The service's domain errors, registered so that a caller gets them back as themselves.
from services.supervision import domain  # noqa: F401
from shared.client import Calls, ServiceClient, sent
from shared.scope import Principal


class DeadlineRecord(TypedDict, total=False):
    kind: str
    clock_id: str
    state: str
    due_at: Optional[str]
    clock: dict[str, Any]


class ProblemRecord(TypedDict, total=False):
    id: str
    lead_id: str
    lead_title: str
    title: str
    owner_department: str
    complexity: str
    status: str
    raised_at: str
    deadlines: dict[str, DeadlineRecord]
    allowed_steps: list[str]


class ProblemPage(TypedDict):
    items: list[ProblemRecord]
    total: int
    page: int
    page_size: int


class UnitRecord(TypedDict):
    name: str
    kind: str


class TaskRecord(TypedDict, total=False):
    id: str
    title: str
    area: str
    leader: str
    due_date: str
    status: str


class TaskPage(TypedDict):
    items: list[TaskRecord]
    total: int
    page: int
    page_size: int


class Workbook(TypedDict, total=False):
    """An .xlsx as base64 (or, for a report still being produced, `status: producing`)."""
    filename: str
    content: str
    status: str


class SupervisionCalls(Calls):
    def units(self) -> list[UnitRecord]:
        return self._call("units")

    # -- the problem loop ------------------------------------------------------------------
    def raise_problem(self, body: dict, principal: Principal) -> ProblemRecord:
        return self._call("raise_problem", body, sent(principal))

    def get_problem(self, problem_id: str, principal: Principal) -> ProblemRecord:
        return self._call("get_problem", problem_id, sent(principal))

    def list_problems(self, filters: dict, principal: Principal | None = None) -> ProblemPage:
        return self._call("list_problems", filters, sent(principal))

    def give_feedback(self, problem_id: str, body: dict, principal: Principal) -> ProblemRecord:
        return self._call("give_feedback", problem_id, body, sent(principal))

    def analyse(self, problem_id: str, body: dict, principal: Principal) -> ProblemRecord:
        return self._call("analyse", problem_id, body, sent(principal))

    def plan(self, problem_id: str, body: dict, principal: Principal) -> ProblemRecord:
        return self._call("plan", problem_id, body, sent(principal))

    def report_progress(self, problem_id: str, body: dict, principal: Principal) -> ProblemRecord:
        return self._call("report_progress", problem_id, body, sent(principal))

    def resolve(self, problem_id: str, body: dict, principal: Principal) -> ProblemRecord:
        return self._call("resolve", problem_id, body, sent(principal))

    def leads_owned_by(self, department: str) -> list[str]:
        return self._call("leads_owned_by", department)

    # -- county leaders' tasks -------------------------------------------------------------
    def create_task(self, body: dict, principal: Principal, leader: dict | None) -> TaskRecord:
        return self._call("create_task", body, sent(principal), leader)

    def get_task(self, task_id: str, principal: Principal) -> TaskRecord:
        return self._call("get_task", task_id, sent(principal))

    def list_tasks(self, filters: dict, principal: Principal) -> TaskPage:
        return self._call("list_tasks", filters, sent(principal))

    def update_task(self, task_id: str, body: dict, principal: Principal,
                    leader: dict | None) -> TaskRecord:
        return self._call("update_task", task_id, body, sent(principal), leader)

    def tasks_report(self, report: str, query: dict) -> dict[str, Any]:
        return self._call("tasks_report", report, query)

    def tasks_report_xlsx(self, report: str, query: dict) -> Workbook:
        return self._call("tasks_report_xlsx", report, query)

    # -- the periodic reports --------------------------------------------------------------
    def report(self, report: str, query: dict) -> dict[str, Any]:
        """The report's view, or `{"status": "producing", ...}` while it is produced."""
        return self._call("report", report, query)

    def report_xlsx(self, report: str, query: dict) -> Workbook:
        return self._call("report_xlsx", report, query)

    def generate(self, body: dict, principal: Principal) -> dict[str, Any]:
        return self._call("generate", body, sent(principal))


class SupervisionClient(ServiceClient):
    service_name = "supervision"
    calls = SupervisionCalls
