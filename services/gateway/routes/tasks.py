"""Leading by example: the county leaders' task lists in five areas, the weekly arrangement
(周安排) and the monthly exchange (月交流), each also as .xlsx. Kept by the supervision service
(services/supervision/tasks.py); the gateway adds the owning leader's account, which it owns."""
from __future__ import annotations

from services.gateway.http import api, json_body, query_params
from services.gateway.routes.supervision import XLSX, xlsx_response
from services.supervision.client import SupervisionClient
from services.supervision.schemas import (
    MonthlyExchange, MonthQuery, TaskCreate, TaskFilter, TaskPage, TaskPatch, TaskView,
    WeeklyArrangement, WeekQuery,
)
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import READ_ALL_ROLES, TASK_ASSIGNERS, Principal

TASK_READERS = tuple(sorted(READ_ALL_ROLES))  # county leadership and the supervision office
TASK_ASSIGNER_ROLES = tuple(sorted(TASK_ASSIGNERS))
TASK_EDITORS = TASK_READERS  # a leader records the progress of the own tasks (shared/scope.py)


class TaskRoutes:
    supervision = SupervisionClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    def leader_account(self, body) -> dict | None:
        """The account the body's `leader` names, as the service checks it (role, name)."""
        username = body.get("leader") if isinstance(body, dict) else None
        account = self.accounts.find(username) if isinstance(username, str) and username else None
        if account is None:
            return None
        return {"username": account["_id"], "role": account["role"],
                "display_name": account.get("display_name") or account["_id"]}

    @api("POST", "/api/v1/tasks", roles=TASK_ASSIGNER_ROLES, body=TaskCreate, response=TaskView,
         summary="Assign a county leader a task in one of the five areas, with its due date")
    def create_task(self, request):
        body = json_body(request)
        return 201, self.supervision.create_task(body, Principal.of(request.principal),
                         self.leader_account(body))

    @api("GET", "/api/v1/tasks", roles=TASK_READERS, query=TaskFilter, response=TaskPage,
         summary="County leaders' tasks, by due date (filters: leader, area, status)")
    def list_tasks(self, request):
        return self.supervision.list_tasks(query_params(request), Principal.of(request.principal))

    @api("GET", "/api/v1/tasks/weekly", roles=TASK_READERS, query=WeekQuery,
         response=WeeklyArrangement,
         summary="周安排: what is due in the ISO week (default this week), by leader")
    def tasks_weekly(self, request):
        return self.supervision.tasks_report("tasks_weekly", query_params(request))

    @api("GET", "/api/v1/tasks/weekly.xlsx", roles=TASK_READERS, query=WeekQuery,
         produces=XLSX, summary="The weekly arrangement as an Excel workbook")
    def tasks_weekly_xlsx(self, request):
        return xlsx_response(request, self.supervision.tasks_report_xlsx(
            "tasks_weekly", query_params(request)))

    @api("GET", "/api/v1/tasks/monthly", roles=TASK_READERS, query=MonthQuery,
         response=MonthlyExchange,
         summary="月交流: the month's tasks done on time, late, carried over (default this month)")
    def tasks_monthly(self, request):
        return self.supervision.tasks_report("tasks_monthly", query_params(request))

    @api("GET", "/api/v1/tasks/monthly.xlsx", roles=TASK_READERS, query=MonthQuery,
         produces=XLSX, summary="The monthly exchange as an Excel workbook")
    def tasks_monthly_xlsx(self, request):
        return xlsx_response(request, self.supervision.tasks_report_xlsx(
            "tasks_monthly", query_params(request)))

    @api("GET", "/api/v1/tasks/<string:task_id>", roles=TASK_READERS, response=TaskView,
         summary="One task with its progress history")
    def get_task(self, request, task_id):
        return self.supervision.get_task(task_id, Principal.of(request.principal))

    @api("PATCH", "/api/v1/tasks/<string:task_id>", roles=TASK_EDITORS, body=TaskPatch,
         response=TaskView,
         summary="Record progress (the owning leader) or change the task (supervision office)")
    def update_task(self, request, task_id):
        body = json_body(request)
        return self.supervision.update_task(task_id, body, Principal.of(request.principal),
                    self.leader_account(body))
