"""The supervision service: the closed problem loop and the rhythm of reports.

Problems go round 发现—提出—分析—解决 with deadlines kept by the sla service (started and
stopped by this service's events). A timer (every SUPERVISION_REPORT_SECONDS on each
instance) produces each report when its period falls due: the weekly
inspection, the monthly yellow cards, the quarterly tackling list and the bimonthly results;
the report's unique key in MongoDB makes that happen once per period however many instances
run. Reports read other services by RPC (leads and their progress tables, teams) and this
service's own copies of sla and policy events; never another service's database.
"""
from __future__ import annotations

import base64
from pathlib import Path

import yaml
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.leads.client import LeadsClient
from services.leads.domain import search_keys
from services.supervision import domain, exports, periods, tasks, usecases
from services.supervision.background import Background
from services.supervision.repository import SupervisionRepository
from services.supervision.usecases import PRODUCING, Reporting
from services.teams.client import TeamsClient
from services.supervision.schemas import (
    AnalysisIn, FeedbackIn, GenerateIn, MonthQuery, PlanIn, ProblemCreate, ProblemFilter,
    ProblemView, ProgressReportIn, ResolveIn, Showcase, TackleList, TaskCreate, TaskFilter,
    TaskPatch, TaskView, WeekQuery, WeeklyInspection, YellowCards,
)
from shared.backdating import BACKDATE_DAYS
from shared.clock import Clock
from shared.handlers import on_event
from shared.idempotency import IdempotencyKey, new_id
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.scope import Principal
from shared.storage import Storage
from shared.timers import timer_from_config
from shared.view_fields import fields_of, picked

UNITS_FILE = Path(__file__).parent / "data" / "units.yaml"
# Every lead's plan in one answer: more time than a single lead's RPC.
REPORT_RPC_TIMEOUT_SECONDS = 20.0


def load_units_file(path: Path = UNITS_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return ([{"name": n, "kind": "department"} for n in data["departments"]]
            + [{"name": n, "kind": "town"} for n in data["towns"]])


def load_units(repository: SupervisionRepository, config: dict) -> None:
    repository.load_units(load_units_file())
    repository.add_search_keys("problems", {"title": 1}, lambda p: search_keys(p["title"]))


PROBLEM_FIELDS = fields_of(ProblemView)
TASK_FIELDS = fields_of(TaskView)
REPORT_FIELDS = {periods.WEEKLY: fields_of(WeeklyInspection),
                 periods.MONTHLY: fields_of(YellowCards),
                 periods.QUARTERLY: fields_of(TackleList),
                 periods.BIMONTHLY: fields_of(Showcase)}


def problem_view(problem: dict) -> dict:
    view = {**problem, "id": problem["_id"],
            "status_zh": domain.STATUS_LABELS_ZH[problem["status"]],
            "complexity_zh": domain.COMPLEXITY_LABELS_ZH[problem["complexity"]],
            "allowed_steps": domain.allowed_steps(problem)}
    return jsonable(picked(view, PROBLEM_FIELDS))


TASK_REPORTS = {"tasks_weekly": (WeekQuery, "week"), "tasks_monthly": (MonthQuery, "month")}


def task_view(task: dict, now) -> dict:
    status = tasks.status_of(task)
    view = {**task, "id": task["_id"], "area_zh": tasks.AREA_LABELS_ZH[task["area"]],
            "status": status, "status_zh": tasks.STATUS_LABELS_ZH[status],
            "overdue": (status == "open"
                        and task["due_date"] < periods.local_day(now).isoformat())}
    return jsonable(picked(view, TASK_FIELDS))


def report_result(report: str, view: dict) -> dict:
    """A report as its RPC answers it: the fields its response model names (or "producing")."""
    return view if view.get("status") == PRODUCING else picked(view, REPORT_FIELDS[report])


class SupervisionService:
    name = "supervision"

    storage = Storage(SupervisionRepository, on_start=load_units)
    background = Background()
    clock = Clock()
    idempotency_key = IdempotencyKey()
    config = Config()
    leads = LeadsClient()
    # The county-wide projects list may take longer than a request (a report is made by a timer).
    report_leads = LeadsClient(timeout=REPORT_RPC_TIMEOUT_SECONDS)
    teams = TeamsClient()

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def units(self) -> list[dict]:
        """The departments and towns problems are raised to, and that are scored."""
        return self.storage.units()

    # -- settings -----------------------------------------------------------------------------
    @property
    def report_at(self):
        return periods.parse_report_at(self.config.get("SUPERVISION_REPORT_AT") or "09:00")

    @property
    def backdate_days(self) -> int:
        return int(self.config.get("BACKDATE_DAYS") or BACKDATE_DAYS)

    @property
    def yellow_card_points(self) -> int:
        return int(self.config.get("YELLOW_CARD_POINTS") or 3)

    @property
    def report_wait_seconds(self) -> float:
        setting = self.config.get("SUPERVISION_REPORT_WAIT_SECONDS")
        return 2.0 if setting in (None, "") else float(setting)

    @property
    def reporting(self) -> Reporting:
        return Reporting(self.storage, self.clock.now(), self.background, self.leads,
                         self.report_leads, self.teams, self.report_at, self.yellow_card_points,
                         self.report_wait_seconds)

    # -- the problem loop ---------------------------------------------------------------------
    @rpc
    def raise_problem(self, body: dict, principal: dict) -> dict:
        problem_in, caller = validated(ProblemCreate, body), Principal.of(principal)
        return problem_view(usecases.raise_problem(
            self.storage, problem_in, self.leads.get,
            new_id(caller.username, self.idempotency_key),
            bool(self.idempotency_key), caller, self.backdate_days, self.clock.now()))

    @rpc
    def get_problem(self, problem_id: str, principal: dict) -> dict:
        return problem_view(usecases.visible_problem(self.storage, problem_id,
                                                     Principal.of(principal)))

    @rpc
    def list_problems(self, filters: dict, principal: dict | None = None) -> dict:
        """Without a principal (a service's own call) every problem."""
        f = validated(ProblemFilter, filters, ("query",))
        docs, total = usecases.list_problems(self.storage, f, Principal.of(principal))
        return page_of([problem_view(d) for d in docs], total, f)

    def step(self, problem_id: str, principal: dict, decide) -> dict:
        """A step of the loop at the clock's now by the caller (usecases.take_step)."""
        now, caller = self.clock.now(), Principal.of(principal)
        return problem_view(usecases.take_step(
            self.storage, problem_id, caller, lambda p: decide(p, now, caller.username), now))

    @rpc
    def give_feedback(self, problem_id: str, body: dict, principal: dict) -> dict:
        data = validated(FeedbackIn, body)
        return self.step(problem_id, principal, lambda p, now, by: domain.give_feedback(
            p, data.text, now, by))

    @rpc
    def analyse(self, problem_id: str, body: dict, principal: dict) -> dict:
        data = validated(AnalysisIn, body)
        return self.step(problem_id, principal, lambda p, now, by: domain.analyse(
            p, data.cause, data.approach, now, by))

    @rpc
    def plan(self, problem_id: str, body: dict, principal: dict) -> dict:
        data = validated(PlanIn, body)
        steps = [(s.step, s.due_date) for s in data.steps]
        return self.step(problem_id, principal, lambda p, now, by: domain.plan(
            p, steps, data.note, periods.local_day(now), now, by))

    @rpc
    def report_progress(self, problem_id: str, body: dict, principal: dict) -> dict:
        data = validated(ProgressReportIn, body)
        return self.step(problem_id, principal, lambda p, now, by: domain.report_progress(
            p, data.text, data.steps_done, now, by))

    @rpc
    def resolve(self, problem_id: str, body: dict, principal: dict) -> dict:
        data = validated(ResolveIn, body)
        return self.step(problem_id, principal, lambda p, now, by: domain.resolve(
            p, data.resolution, now, by))

    @rpc
    def leads_owned_by(self, department: str) -> list[str]:
        """The leads on which the department owns an unresolved problem (scope.py)."""
        return sorted(self.storage.open_problem_leads(department))

    # -- scope follows the lead's current team ------------------------------------------------
    @on_event("teams", "lead_assigned")
    def follow_team(self, envelope, assigned):
        self.storage.record_team(assigned.lead_id, assigned.team_id, assigned.team_name,
                                 envelope.occurred_at)

    # -- what the sla and policy services said --------------------------------------------------
    @on_event("sla", "sla_breached")
    def record_breach(self, envelope, breached):
        usecases.record_breach(self.storage, envelope, breached, self.clock.now())

    @on_event("sla", "clock_stopped")
    def record_clock_stopped(self, envelope, stopped):
        usecases.record_clock_stopped(self.storage, envelope, stopped)

    @on_event("policy", "policy_request_received")
    def record_policy_request(self, envelope, received):
        self.storage.record_request(envelope, {
            "_id": received.request_id, "lead_id": received.lead_id,
            "lead_title": received.lead_title, "received_at": received.received_at,
            "due_at": received.due_at, "items": {str(i.n): i.department for i in received.items},
        })

    @on_event("policy", "policy_item_replied")
    def record_policy_reply(self, envelope, replied):
        self.storage.record_reply(envelope, replied.request_id, replied.n, replied.department,
                                  replied.replied_at)

    # -- leading by example: county leaders' tasks (tasks.py) -----------------------------------
    # `leader` is the owning leader's account as the gateway found it ({username, display_name,
    # role}), None when no account has the username given.
    @rpc
    def create_task(self, body: dict, principal: dict, leader: dict | None) -> dict:
        data, caller = validated(TaskCreate, body), Principal.of(principal)
        now = self.clock.now()
        return task_view(usecases.create_task(
            self.storage, data, new_id(caller.username, self.idempotency_key), caller, leader,
            now), now)

    @rpc
    def get_task(self, task_id: str, principal: dict) -> dict:
        return task_view(usecases.visible_task(self.storage, task_id, Principal.of(principal)),
                         self.clock.now())

    @rpc
    def list_tasks(self, filters: dict, principal: dict) -> dict:
        f = validated(TaskFilter, filters, ("query",))
        docs, total = usecases.list_tasks(self.storage, f, Principal.of(principal))
        now = self.clock.now()
        return page_of([task_view(d, now) for d in docs], total, f)

    @rpc
    def update_task(self, task_id: str, body: dict, principal: dict,
                    leader: dict | None) -> dict:
        data = validated(TaskPatch, body).model_dump(exclude_unset=True)
        now = self.clock.now()
        return task_view(usecases.update_task(self.storage, task_id, data,
                                              Principal.of(principal), leader, now), now)

    @rpc
    def tasks_report(self, report: str, query: dict) -> dict:
        """周安排 (`tasks_weekly`, ?week=) or 月交流 (`tasks_monthly`, ?month=), computed from
        the tasks on request; without a period, the current one."""
        model, param = TASK_REPORTS[report]
        key = getattr(validated(model, query, ("query",)), param)
        return jsonable(usecases.tasks_report(self.storage, report, key, self.clock.now()))

    @rpc
    def tasks_report_xlsx(self, report: str, query: dict) -> dict:
        view = self.tasks_report(report, query)
        return {"filename": f"{report}-{view['period']}.xlsx",
                "content": base64.b64encode(exports.tasks_workbook(view)).decode("ascii")}

    # -- the periodic reports -------------------------------------------------------------------
    # Not eager: at start the RPC reply listener may not consume yet, and the first tick
    # (one interval later) catches up whatever fell due while the service was down.
    @timer_from_config("SUPERVISION_REPORT_SECONDS", 60.0)
    def produce_due_reports(self):
        """Produce each report whose latest period has fallen due and has none yet."""
        return self.reporting.produce_due()

    @rpc
    def report(self, report: str, query: dict) -> dict:
        """A period's report (the latest final one without a period). A closed period's is
        the stored record (produced now if no instance has yet, in the background when that
        takes longer than a caller may wait: `status: producing`); the current period's is
        provisional, computed as of now and not stored. A future period, or one before the
        county's first record: 422."""
        return report_result(report, self.reporting.answer(report, query))

    @rpc
    def report_xlsx(self, report: str, query: dict) -> dict:
        """The report as an .xlsx workbook, base64-encoded to cross RPC."""
        view = self.reporting.answer(report, query)
        if view.get("status") == PRODUCING:
            return view
        return {"filename": exports.filename(view),
                "content": base64.b64encode(exports.workbook(view)).decode("ascii")}

    @rpc
    def generate(self, body: dict, principal: dict) -> dict:
        """Produce a due period's report again from the facts (or for the first time); the
        cards it issues that were not issued before are announced. Same facts, same report."""
        g = validated(GenerateIn, body)
        return report_result(g.report, self.reporting.generate(
            g.report, g.period, Principal.of(principal).username))
