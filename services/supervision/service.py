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
import logging
import time
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import eventlet
import yaml
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy, rpc

from services.leads.domain import query_keys, search_keys
from services.supervision import domain, exports, periods, reports, tasks
from services.supervision.background import NOT_YET, Background
from services.supervision.repository import SupervisionRepository
from services.supervision.schemas import (
    AnalysisIn, BimonthQuery, FeedbackIn, GenerateIn, MonthQuery, PlanIn, ProblemCreate,
    ProblemFilter, ProgressReportIn, QuarterQuery, ResolveIn, TaskCreate, TaskFilter, TaskPatch,
    WeekQuery,
)
from shared import scope
from shared.backdating import BACKDATE_DAYS, backdating
from shared.clock import Clock
from shared.errors import Conflict, InvalidInput, NotAllowed, NotFound, field_error
from shared.rpc import call
from shared.events import (
    PlanStep, ProblemAnalysed, ProblemFeedbackRecorded, ProblemDeadlineMissed, ProblemPlanned,
    ProblemProgressReported, ProblemRaised, ProblemRef, ProblemResolved, ReportPublished,
    YellowCardIssued, YellowCardReason, make_event,
)
from shared.handlers import on_event
from shared.idempotency import IdempotencyKey, new_id
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.storage import Storage
from shared.timers import timer_from_config

log = logging.getLogger(__name__)

UNITS_FILE = Path(__file__).parent / "data" / "units.yaml"
PRODUCING = "producing"
PROVISIONAL_ZH, FINAL_ZH = "进行中", "已定稿"
LIVE_KEEP_SECONDS = 30.0  # a live board computed in the background waits this long for its poll
# Every lead's plan in one answer: more time than a single lead's RPC.
REPORT_RPC_TIMEOUT_SECONDS = 20.0
READ_ALL_ROLES = ("admin", "leader", "inspector")
QUERIES = {periods.WEEKLY: WeekQuery, periods.MONTHLY: MonthQuery,
           periods.QUARTERLY: QuarterQuery, periods.BIMONTHLY: BimonthQuery}
MAIN_LIST = {periods.WEEKLY: "rows", periods.MONTHLY: "cards", periods.QUARTERLY: "rows",
             periods.BIMONTHLY: "rows"}
# What a report document holds besides its content (the content is what regeneration repeats).
REPORT_META = ("id", "report", "period", "label_zh", "title_zh", "from", "to", "as_of", "due_at",
               "generated_at", "generated_by", "regenerated_at", "regenerated_by", "version",
               "final", "status_zh")


def load_units_file(path: Path = UNITS_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return ([{"name": n, "kind": "department"} for n in data["departments"]]
            + [{"name": n, "kind": "town"} for n in data["towns"]])


def load_units(repository: SupervisionRepository, config: dict) -> None:
    repository.load_units(load_units_file())
    repository.add_search_keys("problems", {"title": 1}, lambda p: search_keys(p["title"]))


def problem_view(problem: dict) -> dict:
    view = {"id": problem["_id"], **{k: v for k, v in problem.items()
                                     if k not in ("_id", "search_keys")}}
    view["status_zh"] = domain.STATUS_LABELS_ZH[problem["status"]]
    view["complexity_zh"] = domain.COMPLEXITY_LABELS_ZH[problem["complexity"]]
    view["allowed_steps"] = domain.allowed_steps(problem)
    return jsonable(view)


def ref_of(problem: dict) -> ProblemRef:
    return ProblemRef(
        problem_id=problem["_id"], lead_id=problem["lead_id"], lead_title=problem["lead_title"],
        title=problem["title"], owner_department=problem["owner_department"],
        complexity=problem["complexity"], team_id=problem.get("team_id"),
        project_lead=problem.get("project_lead"))


def project_lead_of(lead: dict) -> str | None:
    person = (lead.get("four_ones") or {}).get("project_lead")
    if isinstance(person, dict):
        person = person.get("username") or person.get("name")
    return person or None


def assigned_at_of(lead: dict) -> datetime | None:
    at = lead.get("team_assigned_at")
    return datetime.fromisoformat(at) if isinstance(at, str) else at


def clock_slot(kind: str, subject_id: str) -> dict:
    return {"kind": kind, "clock_id": f"{kind}:{subject_id}", "state": "on_track"}


def producing(report: str, period: periods.Period) -> dict:
    """A closed period's report still being produced in the background: ask again."""
    return {"status": PRODUCING, "report": report, "period": period.key,
            "label_zh": period.label_zh, "final": True, "status_zh": "正在生成，请稍后再取",
            "retry_after": 1}


TASK_REPORTS = {"tasks_weekly": (periods.WEEKLY, WeekQuery, "week"),
                "tasks_monthly": (periods.MONTHLY, MonthQuery, "month")}


def check_leader(username: str, account: dict | None) -> None:
    """A task's leader is a county leader's account (role `leader`); anything else is 422."""
    if account is None or account.get("username") != username:
        raise field_error(["body", "leader"], f"没有用户名为 {username} 的账户")
    if account.get("role") != "leader":
        raise field_error(["body", "leader"], f"{username} 不是县领导账户")


def task_view(task: dict, now) -> dict:
    view = {"id": task["_id"], **{k: v for k, v in task.items() if k != "_id"}}
    status = tasks.status_of(task)
    view.update(area_zh=tasks.AREA_LABELS_ZH[task["area"]], status=status,
                status_zh=tasks.STATUS_LABELS_ZH[status],
                overdue=status == "open" and task["due_date"] < periods.local_day(now).isoformat())
    return jsonable(view)


def report_id(report: str, key: str) -> str:
    return f"{report}:{key}"


def report_view(doc: dict) -> dict:
    # Reports stored before live boards existed are final records too.
    return jsonable({"id": doc["_id"], "final": True, "status_zh": FINAL_ZH,
                     **{k: v for k, v in doc.items() if k != "_id"}})


def content_of(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in REPORT_META and k != "_id"}


class SupervisionService:
    name = "supervision"

    storage = Storage(SupervisionRepository, on_start=load_units)
    background = Background()
    clock = Clock()
    idempotency_key = IdempotencyKey()
    config = Config()
    leads = RpcProxy("leads")
    teams = RpcProxy("teams")

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

    # -- the problem loop ---------------------------------------------------------------------
    @rpc
    def raise_problem(self, body: dict, actor: dict) -> dict:
        """发现—提出: a problem on a project, raised to its owner department. Unknown lead or
        department (or another team's lead for a team member): 404."""
        problem_in = validated(ProblemCreate, body)
        now = self.clock.now()
        raised_at = problem_in.raised_at or now
        if raised_at > now:
            raise field_error(["body", "raised_at"], "不能晚于现在")
        backdated = backdating(raised_at, now, actor, self.backdate_days, ["body", "raised_at"])
        if self.storage.unit(problem_in.owner_department) is None:
            raise NotFound(f"没有名为 {problem_in.owner_department} 的部门或镇街")
        lead = call(self.leads, "get", problem_in.lead_id)
        if actor.get("role") == "team_member" and not scope.may_see_lead(actor, lead):
            raise NotFound(f"没有线索 {problem_in.lead_id}")
        if actor.get("role") == "leader" and not scope.may_act_on_lead(actor, lead):
            raise NotAllowed("县领导只能为本组或本人领衔的项目交办问题", {"lead_id": lead["id"]})
        problem_id = new_id(actor["username"], self.idempotency_key)
        if self.idempotency_key and self.storage.find_problem(problem_id):
            return problem_view(self.storage.find_problem(problem_id))  # a retry of the same POST
        complexity = problem_in.complexity
        problem = {
            "_id": problem_id, "lead_id": lead["id"], "lead_title": lead["title"],
            "team_id": lead.get("team_id"), "team_name": lead.get("team_name"),
            "project_lead": project_lead_of(lead), "title": problem_in.title,
            "description": problem_in.description,
            "owner_department": problem_in.owner_department, "complexity": complexity,
            "status": "raised", "raised_at": raised_at, "raised_by": actor["username"],
            "resolved_at": None,
            "deadlines": {
                "feedback": clock_slot(domain.FEEDBACK_CLOCK, problem_id),
                "solve": clock_slot(domain.solve_clock(complexity), problem_id),
            },
            "history": [{"step": "raised", "at": raised_at, "by": actor["username"],
                         "recorded_at": now}],
            "backdated": backdated, "team_assigned_at": assigned_at_of(lead),
            "version": 1, "created_at": now, "updated_at": now,
            "search_keys": search_keys(problem_in.title),
        }
        raised = ProblemRaised(problem=ref_of(problem), raised_at=raised_at, by=actor["username"])
        self.storage.insert_problem(problem, [make_event(self.name, raised, now)])
        return problem_view(problem)

    def visible(self, problem_id: str, actor: dict) -> dict:
        """The problem if the actor may see it; another department's or team's is 404."""
        problem = self.storage.get_problem(problem_id)
        if scope.may_see_problem(actor, problem):
            return problem
        raise NotFound(f"没有问题 {problem_id}")

    def actionable(self, problem_id: str, actor: dict) -> dict:
        """The problem if the actor may act on it: its own department, or an admin."""
        problem = self.visible(problem_id, actor)
        if scope.may_act_on_problem(actor, problem):
            return problem
        raise NotFound(f"没有问题 {problem_id}")

    @rpc
    def get_problem(self, problem_id: str, actor: dict) -> dict:
        return problem_view(self.visible(problem_id, actor))

    @rpc
    def list_problems(self, filters: dict, actor: dict | None = None) -> dict:
        f = validated(ProblemFilter, filters, ("query",))
        query = {k: v for k, v in {
            "status": f.status, "owner_department": f.owner_department, "lead_id": f.lead_id,
            "complexity": f.complexity,
        }.items() if v is not None}
        if f.q is not None:
            query["search_keys"] = {"$all": query_keys(f.q) or ["-"]}
        actor = actor or {"role": "admin"}
        within = scope.problem_filter(actor)  # shared/scope.py
        if any(k in query and query[k] != v for k, v in within.items()):
            within = scope.NOTHING  # another department's list is empty, not an error
        query.update(within)
        docs, total = self.storage.list_problems(query, f.page, f.page_size)
        return page_of([problem_view(d) for d in docs], total, f)

    def step(self, problem_id: str, step: str, model, body, actor: dict, apply) -> dict:
        """Validate the body, find the problem in the actor's scope, check the loop allows
        the step, then store the change and its event together (or 409 if it changed)."""
        data = validated(model, body)
        problem = self.actionable(problem_id, actor)
        domain.check_step(problem, step)
        now = self.clock.now()
        who = actor["username"]
        fields, event = apply(problem, data, now, who)
        pushes = fields.pop("$push", {})
        update = {"$set": {**fields, "updated_at": now},
                  "$push": {**pushes, "history": {"step": step, "at": now, "by": who}}}
        changed = self.storage.change_problem(problem, update, [make_event(self.name, event, now)])
        if changed is None:
            raise Conflict("问题已被他人更新，请刷新后重试",
                           {"allowed": domain.allowed_steps(self.storage.get_problem(problem_id))})
        return problem_view(changed)

    @rpc
    def give_feedback(self, problem_id: str, body: dict, actor: dict) -> dict:
        def apply(problem, data, now, who):
            return ({"status": "feedback_given", "feedback": {"text": data.text, "at": now,
                                                              "by": who}},
                    ProblemFeedbackRecorded(problem=ref_of(problem), at=now, by=who))
        return self.step(problem_id, "feedback", FeedbackIn, body, actor, apply)

    @rpc
    def analyse(self, problem_id: str, body: dict, actor: dict) -> dict:
        def apply(problem, data, now, who):
            return ({"status": "analysed", "analysis": {"cause": data.cause,
                                                        "approach": data.approach,
                                                        "at": now, "by": who}},
                    ProblemAnalysed(problem=ref_of(problem), at=now, by=who))
        return self.step(problem_id, "analysis", AnalysisIn, body, actor, apply)

    @rpc
    def plan(self, problem_id: str, body: dict, actor: dict) -> dict:
        """A plan with dated steps; the first starts the monthly progress-report clock."""
        def apply(problem, data, now, who):
            today = periods.local_day(now)
            for i, step in enumerate(data.steps):
                if step.due_date < today:
                    raise field_error(["body", "steps", str(i), "due_date"],
                                      "步骤的完成期限不能早于今天")
            steps = [{"n": i, "step": s.step, "due_date": s.due_date.isoformat(),
                      "done_at": None} for i, s in enumerate(data.steps, start=1)]
            fields = {"plan": {"steps": steps, "note": data.note, "at": now, "by": who,
                               "revision": (problem.get("plan") or {}).get("revision", 0) + 1}}
            report_clock = None
            if not problem.get("plan"):
                report_clock = domain.report_clock_subject(problem["_id"], 1)
                fields["report_n"] = 1
                fields["deadlines.progress_report"] = clock_slot(domain.REPORT_CLOCK, report_clock)
            return fields, ProblemPlanned(
                problem=ref_of(problem), at=now, by=who, report_clock=report_clock,
                steps=[PlanStep(step=s.step, due_date=s.due_date) for s in data.steps])
        return self.step(problem_id, "plan", PlanIn, body, actor, apply)

    @rpc
    def report_progress(self, problem_id: str, body: dict, actor: dict) -> dict:
        """The monthly progress report: stops this month's clock and starts the next."""
        def apply(problem, data, now, who):
            steps = problem["plan"]["steps"]
            for i, n in enumerate(data.steps_done):
                if n > len(steps):
                    raise field_error(["body", "steps_done", str(i)],
                                      f"计划只有 {len(steps)} 个步骤")
            n = problem.get("report_n", 1)
            stopped = domain.report_clock_subject(problem["_id"], n)
            following = domain.report_clock_subject(problem["_id"], n + 1)
            fields = {f"plan.steps.{k - 1}.done_at": now for k in data.steps_done
                      if not steps[k - 1].get("done_at")}
            fields.update({
                "report_n": n + 1,
                "deadlines.progress_report": clock_slot(domain.REPORT_CLOCK, following),
                "$push": {"progress_reports": {"n": n, "text": data.text,
                                               "steps_done": data.steps_done, "at": now,
                                               "by": who}},
            })
            return fields, ProblemProgressReported(
                problem=ref_of(problem), at=now, by=who, n=n, stopped_clock=stopped,
                next_clock=following)
        return self.step(problem_id, "progress_report", ProgressReportIn, body, actor, apply)

    @rpc
    def resolve(self, problem_id: str, body: dict, actor: dict) -> dict:
        def apply(problem, data, now, who):
            report_clock = (domain.report_clock_subject(problem["_id"], problem["report_n"])
                            if problem.get("plan") else None)
            return ({"status": "resolved", "resolved_at": now,
                     "resolution": {"text": data.resolution, "at": now, "by": who}},
                    ProblemResolved(problem=ref_of(problem), at=now, by=who,
                                    report_clock=report_clock))
        return self.step(problem_id, "resolve", ResolveIn, body, actor, apply)

    @rpc
    def leads_owned_by(self, department: str) -> list[str]:
        """The leads on which the department owns an unresolved problem (scope.py)."""
        return sorted(self.storage.open_problem_leads(department))

    # -- scope follows the lead's current team ------------------------------------------------
    @on_event("teams", "lead_assigned")
    def follow_team(self, envelope, assigned):
        self.storage.record_team(envelope, assigned.lead_id, assigned.team_id,
                                 assigned.team_name, envelope.occurred_at)

    # -- what the sla and policy services said --------------------------------------------------
    @on_event("sla", "sla_breached")
    def record_breach(self, envelope, breached):
        """Keep every breach for the reports; a problem's deadline is marked and its department
        told (problem_deadline_missed): sla's own breach alert goes to the supervision office."""
        context = breached.context
        breach = {"_id": breached.clock_id, "kind": breached.kind,
                  "subject_id": breached.subject_id, "label_zh": breached.label_zh,
                  "started_at": breached.started_at, "due_at": breached.due_at,
                  "departments": list(context.departments), "lead_id": context.lead_id,
                  "team_id": context.team_id, "title": context.title,
                  "breached_at": envelope.occurred_at}
        change, events = None, []
        if breached.kind in domain.PROBLEM_CLOCKS:
            problem = self.storage.find_problem(domain.problem_of_subject(breached.subject_id))
            if problem is not None:
                slot = domain.SLOT_OF_CLOCK[breached.kind]
                breach["title"] = f"{problem['lead_title']}：{problem['title']}"
                change = ({"_id": problem["_id"], f"deadlines.{slot}.clock_id": breached.clock_id,
                           f"deadlines.{slot}.state": {"$nin": ["met", "met_late"]}},
                          {"$set": {f"deadlines.{slot}.state": "breached",
                                    f"deadlines.{slot}.due_at": breached.due_at}})
                events.append(make_event(self.name, ProblemDeadlineMissed(
                    problem=ref_of(problem), deadline=slot, kind=breached.kind,
                    label_zh=breached.label_zh, due_at=breached.due_at), self.clock.now()))
        self.storage.record_breach(envelope, breach, change, events)

    @on_event("sla", "clock_stopped")
    def record_clock_stopped(self, envelope, stopped):
        if stopped.kind not in domain.PROBLEM_CLOCKS:
            return
        slot = domain.SLOT_OF_CLOCK[stopped.kind]
        self.storage.record_problem_clock(
            envelope,
            {"_id": domain.problem_of_subject(stopped.subject_id),
             f"deadlines.{slot}.clock_id": stopped.clock_id},
            {"$set": {f"deadlines.{slot}.state": stopped.state,
                      f"deadlines.{slot}.due_at": stopped.due_at,
                      f"deadlines.{slot}.stopped_at": stopped.stopped_at}})

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
    def create_task(self, body: dict, actor: dict, leader: dict | None) -> dict:
        data = validated(TaskCreate, body)
        if not scope.may_assign_tasks(actor):
            raise NotAllowed("只有督查室和管理员可以交办县领导任务")
        check_leader(data.leader, leader)
        now = self.clock.now()
        task = tasks.new_task(new_id(actor["username"], self.idempotency_key),
                              data.model_dump(), leader["display_name"], now, actor["username"])
        if not self.storage.insert_task(task):  # a retry of the same POST
            return task_view(self.storage.get_task(task["_id"]), now)
        return task_view(task, now)

    @rpc
    def get_task(self, task_id: str, actor: dict) -> dict:
        task = self.storage.get_task(task_id)
        if not scope.may_see_task(actor, task):
            raise NotFound(f"没有任务 {task_id}")
        return task_view(task, self.clock.now())

    @rpc
    def list_tasks(self, filters: dict, actor: dict) -> dict:
        f = validated(TaskFilter, filters, ("query",))
        query = {k: v for k, v in {"leader": f.leader, "area": f.area}.items() if v is not None}
        if f.status is not None:
            query["open"] = f.status == "open"
        query.update(scope.task_filter(actor))
        docs, total = self.storage.list_tasks(query, f.page, f.page_size)
        now = self.clock.now()
        return page_of([task_view(d, now) for d in docs], total, f)

    @rpc
    def update_task(self, task_id: str, body: dict, actor: dict, leader: dict | None) -> dict:
        """Record progress (the owning leader) or change the task (supervision office, admin);
        another leader's task, or more than progress by a leader: 403."""
        data = validated(TaskPatch, body).model_dump(exclude_unset=True)
        task = self.storage.get_task(task_id)
        if not scope.may_act_on_task(actor, task, data):
            raise NotAllowed("县领导只能记录本人任务的进度；交办和修改任务由督查室负责",
                             {"allowed": sorted(scope.TASK_PROGRESS_FIELDS)})
        if "leader" in data:
            check_leader(data["leader"], leader)
        for name in ("title", "area", "leader", "due_date", "progress_pct"):
            if name in data and data[name] is None:
                raise field_error(["body", name], "不能为空")
        now = self.clock.now()
        try:
            change = tasks.change(task, data, (leader or {}).get("display_name"), now,
                                  actor["username"])
        except tasks.NothingToChange:
            raise field_error(["body"], "至少要修改一项") from None
        changed = self.storage.change_task(task, change.fields, change.entry)
        if changed is None:
            raise Conflict("任务已被他人更新，请刷新后重试", {"id": task_id})
        return task_view(changed, now)

    @rpc
    def tasks_report(self, report: str, query: dict) -> dict:
        """周安排 (`tasks_weekly`, ?week=) or 月交流 (`tasks_monthly`, ?month=), computed from
        the tasks on request; without a period, the current one."""
        kind, model, param = TASK_REPORTS[report]
        key = getattr(validated(model, query, ("query",)), param)
        now = self.clock.now()
        period = (periods.period_of(kind, key) if key is not None
                  else periods.current_period(kind, now))
        first, last = periods.local_day(period.start), tasks.last_day(period)
        found = self.storage.tasks_for_period(first.isoformat(), last.isoformat())
        build = tasks.weekly_arrangement if report == "tasks_weekly" else tasks.monthly_exchange
        return jsonable(build(period, found, now))

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
        now = self.clock.now()
        produced = []
        for report in periods.REPORTS:
            period = periods.latest_due(report, now, self.report_at)
            if self.storage.has_report(report_id(report, period.key)):
                continue
            try:
                if self.produce(period, now):
                    produced.append(report_id(report, period.key))
            except Exception:  # one report failing (a service down) must not stop the others
                log.warning("could not produce %s %s; will retry", report, period.key,
                            exc_info=True)
        return produced

    def produce(self, period: periods.Period, now, by: str = "timer") -> bool:
        """The period's first report; False if another instance stored it first."""
        doc = self.report_document(period, now, by)
        cards = self.card_documents(doc, now)
        events = self.report_events(doc, cards, now, regenerated=False)
        stored = self.storage.produce_report(doc, cards, events)
        if stored:
            log.info("produced %s %s", period.report, period.key)
        return stored

    @rpc
    def report(self, report: str, query: dict) -> dict:
        """A period's report (the latest final one without a period). A closed period's is
        the stored record (produced now if no instance has yet, in the background when that
        takes longer than a caller may wait: `status: producing`); the current period's is
        provisional, computed as of now and not stored. A future period, or one before the
        county's first record: 422."""
        return self.answer(report, query)

    @rpc
    def report_xlsx(self, report: str, query: dict) -> dict:
        """The report as an .xlsx workbook, base64-encoded to cross RPC."""
        view = self.answer(report, query)
        if view.get("status") == PRODUCING:
            return view
        return {"filename": exports.filename(view),
                "content": base64.b64encode(exports.workbook(view)).decode("ascii")}

    def answer(self, report: str, query: dict) -> dict:
        if report not in periods.REPORTS:
            raise NotFound(f"没有报表 {report}")
        asked = time.monotonic()  # the wait below counts from here: the caller's clock runs
        q = validated(QUERIES[report], query, ("query",))
        key = getattr(q, periods.PERIOD_PARAMS[report][0])
        now = self.clock.now()
        period = periods.due_period(report, key, now, self.report_at)
        if not periods.is_final(period, now):
            return self.live_board(report, period, now, asked)
        _id = report_id(report, period.key)
        doc = self.storage.get_report(_id)
        if doc is not None:
            return report_view(doc)
        if self.background.running(_id):  # a poll while it is produced: answer at once
            return producing(report, period)
        periods.check_recorded(report, period, self.first_record())  # nothing to compute
        job = self.background.run_once(_id, lambda: self.produce(period, now, by="request"))
        if self.background.wait(job, self.wait_left(asked)) is not NOT_YET:
            doc = self.storage.get_report(_id)
            if doc is not None:
                return report_view(doc)
        return producing(report, period)

    def wait_left(self, asked: float) -> float:
        return max(0.0, self.report_wait_seconds - (time.monotonic() - asked))

    def live_board(self, report: str, period: periods.Period, now, asked: float) -> dict:
        """The provisional report, computed on request: in the background when it takes longer
        than a caller waits (202, poll), the result then kept LIVE_KEEP_SECONDS for the poll."""
        key = f"live:{report_id(report, period.key)}"
        kept = self.background.recent(key, LIVE_KEEP_SECONDS)
        if kept is not NOT_YET:
            return kept
        polled = self.background.running(key)  # a poll while it is computed: answer at once
        job = self.background.run_once(key, lambda: self.provisional_view(period, now))
        result = self.background.wait(job, 0.0 if polled else self.wait_left(asked))
        return {**producing(report, period), "final": False} if result is NOT_YET else result

    def provisional_view(self, period: periods.Period, now) -> dict:
        """The current period so far (进行中): computed now, never stored, no card issued."""
        live = periods.provisional(period, now)
        doc = self.report_document(live, now, "request")
        doc.update(final=False, status_zh=PROVISIONAL_ZH,
                   title_zh=f"{doc['title_zh']}（{PROVISIONAL_ZH}）", version=0)
        return report_view(doc)

    @property
    def report_wait_seconds(self) -> float:
        setting = self.config.get("SUPERVISION_REPORT_WAIT_SECONDS")
        return 2.0 if setting in (None, "") else float(setting)

    def first_record(self):
        """The county's first record: its first lead, problem, policy request or breach."""
        found = [at for at in (call(self.leads, "first_created_at"), *self.storage.first_records())
                 if at is not None]
        return min((datetime.fromisoformat(a) if isinstance(a, str) else a for a in found),
                   default=None)

    @rpc
    def generate(self, body: dict, actor: dict) -> dict:
        """Produce a due period's report again from the facts (or for the first time); the
        cards it issues that were not issued before are announced. Same facts, same report."""
        g = validated(GenerateIn, body)
        now = self.clock.now()
        try:
            period = periods.due_period(g.report, g.period, now, self.report_at)
            if not periods.is_final(period, now):
                due = period.due_at.astimezone(periods.COUNTY_TIME).strftime("%Y-%m-%d %H:%M")
                raise periods.invalid(g.report, f"{periods.REPORT_LABELS_ZH[g.report]} "
                                                f"{g.period} 尚在进行中，{due}后才能定稿")
            periods.check_recorded(g.report, period, self.first_record())
        except InvalidInput as exc:  # the period comes in the body here
            errors = [{"loc": ["body", "period"], "msg": e["msg"]} for e in exc.extra["errors"]]
            raise InvalidInput(exc.detail, {"errors": errors}) from None
        previous = self.storage.get_report(report_id(g.report, period.key))
        doc = self.report_document(period, now, actor["username"])
        if previous is not None:
            doc.update(generated_at=previous["generated_at"], generated_by=previous["generated_by"],
                       regenerated_at=now, regenerated_by=actor["username"],
                       version=previous["version"] + 1)
        candidates = self.card_documents(doc, now)
        issued = self.storage.issued_cards([c["_id"] for c in candidates])
        cards = [c for c in candidates if c["_id"] not in issued]
        events = self.report_events(doc, cards, now, regenerated=previous is not None)
        if not self.storage.replace_report(doc, previous["version"] if previous else 0, cards,
                                           events):
            raise Conflict(f"{g.report} {period.key} 已由他人生成，请重新读取",
                           {"report": g.report, "period": period.key})
        view = report_view(doc)
        view["same_as_previous"] = (
            None if previous is None
            else jsonable(content_of(previous)) == jsonable(content_of(doc)))
        return view

    def report_document(self, period: periods.Period, now, by: str) -> dict:
        content = self.compute(period)
        return {
            "_id": report_id(period.report, period.key), "report": period.report,
            "period": period.key, "label_zh": period.label_zh,
            "title_zh": f"{periods.REPORT_LABELS_ZH[period.report]}（{period.label_zh}）",
            "from": period.start, "to": period.end, "as_of": period.as_of,
            "due_at": period.due_at, "generated_at": now, "generated_by": by,
            "regenerated_at": None, "regenerated_by": None, "version": 1, "final": True,
            "status_zh": FINAL_ZH, **content,
        }

    def card_documents(self, doc: dict, now) -> list[dict]:
        return [{"_id": c["card_id"], "month": doc["period"], "unit_kind": c["unit_kind"],
                 "unit_id": c["unit_id"], "unit_name": c["unit_name"], "score": c["score"],
                 "threshold": doc["threshold"], "reasons": c["reasons"], "issued_at": now}
                for c in doc.get("cards", [])]

    def report_events(self, doc: dict, cards: list[dict], now, regenerated: bool):
        published = ReportPublished(
            report=doc["report"], period=doc["period"], label_zh=doc["title_zh"],
            generated_at=now, version=doc["version"], rows=len(doc[MAIN_LIST[doc["report"]]]),
            regenerated=regenerated)
        return [make_event(self.name, published, now), *(make_event(self.name, YellowCardIssued(
            card_id=c["_id"], month=c["month"], unit_kind=c["unit_kind"], unit_id=c["unit_id"],
            unit_name=c["unit_name"], score=c["score"], threshold=c["threshold"],
            reasons=[YellowCardReason(**{k: r[k] for k in YellowCardReason.model_fields})
                     for r in c["reasons"]]), now) for c in cards)]

    def compute(self, period: periods.Period) -> dict:
        """The report's content from the facts as they stood at the period (reports.py)."""
        if period.report == periods.BIMONTHLY:
            projects = {p.lead_id: p for p in self.projects(with_plans=False)}
            return reports.showcase(
                period, self.storage.units(), projects,
                self.problems_until(period.end), self.breaches_until(period.end),
                [self.request_facts(r) for r in self.storage.requests_for_report(
                    period.start, period.end)])
        projects = self.projects(with_plans=True)
        if period.report == periods.WEEKLY:
            return reports.weekly_inspection(period, projects, self.problems_until(period.as_of),
                                             self.breaches_until(period.end))
        if period.report == periods.QUARTERLY:
            return reports.tackle_list(period, projects)
        towns = {u["name"] for u in self.storage.units() if u["kind"] == "town"}
        team_names = {t["id"]: t["name_zh"] for t in call(self.teams, "list_teams")}
        return reports.yellow_cards(period, projects, self.breaches_until(period.end), towns,
                                    team_names, self.yellow_card_points)

    # -- facts for the reports --------------------------------------------------------------
    def projects(self, with_plans: bool) -> list[reports.Project]:
        """Every lead with its plan against actual, in one RPC to leads (report_projects)."""
        found = call(self.leads, "report_projects", timeout=REPORT_RPC_TIMEOUT_SECONDS)
        column = {name: i for i, name in enumerate(found["fields"])}
        day, moment = lru_cache(maxsize=None)(date.fromisoformat), lru_cache(maxsize=None)(
            datetime.fromisoformat)
        projects = []
        for n, row in enumerate(found["rows"], start=1):
            milestones = tuple(
                reports.Milestone(key, label, day(planned), day(actual) if actual else None)
                for key, label, planned, actual in row[column["milestones"]]) if with_plans else ()
            projects.append(reports.Project(
                row[column["id"]], row[column["title"]], row[column["team_id"]],
                row[column["team_name"]], row[column["major"]], row[column["investment_cny"]],
                row[column["status"]], milestones, moment(row[column["created_at"]])))
            if n % 1000 == 0:
                eventlet.sleep(0)  # let a waiting caller be answered (see answer())
        return projects

    def problems_until(self, until) -> list[dict]:
        return [{"id": p["_id"], **p} for p in self.storage.problems_for_report(until)]

    def breaches_until(self, until) -> list[reports.Breach]:
        return [reports.Breach(b["kind"], b["subject_id"], b["due_at"], tuple(b["departments"]),
                               b.get("lead_id"), b.get("title") or "")
                for b in self.storage.breaches_due_before(until)]

    @staticmethod
    def request_facts(doc: dict) -> dict:
        return {"request_id": doc["_id"], "lead_id": doc.get("lead_id"),
                "received_at": doc.get("received_at"),
                "items": [{"n": n, "department": i.get("department"),
                           "replied_at": i.get("replied_at")}
                          for n, i in sorted((doc.get("items") or {}).items())
                          if i.get("department")]}
