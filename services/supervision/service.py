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
from nameko.rpc import rpc

from services.leads.client import LeadsClient
from services.leads.domain import search_keys
from services.supervision import domain, exports, periods, reports, tasks, usecases
from services.supervision.background import NOT_YET, Background
from services.supervision.repository import SupervisionRepository
from services.teams.client import TeamsClient
from services.supervision.schemas import (
    AnalysisIn, BimonthQuery, FeedbackIn, GenerateIn, MonthQuery, PlanIn, ProblemCreate,
    ProblemFilter, ProblemView, ProgressReportIn, QuarterQuery, ResolveIn, Showcase, TackleList,
    TaskCreate, TaskFilter, TaskPatch, TaskView, WeekQuery, WeeklyInspection, YellowCards,
)
from shared.backdating import BACKDATE_DAYS
from shared.clock import Clock
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import ReportPublished, YellowCardIssued, YellowCardReason, make_event
from shared.handlers import on_event
from shared.idempotency import IdempotencyKey, new_id
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.storage import Storage
from shared.timers import timer_from_config
from shared.view_fields import fields_of, picked

log = logging.getLogger(__name__)

UNITS_FILE = Path(__file__).parent / "data" / "units.yaml"
PRODUCING = "producing"
PROVISIONAL_ZH, FINAL_ZH = "进行中", "已定稿"
LIVE_KEEP_SECONDS = 30.0  # a live board computed in the background waits this long for its poll
# Every lead's plan in one answer: more time than a single lead's RPC.
REPORT_RPC_TIMEOUT_SECONDS = 20.0
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


def producing(report: str, period: periods.Period) -> dict:
    """A closed period's report still being produced in the background: ask again."""
    return {"status": PRODUCING, "report": report, "period": period.key,
            "label_zh": period.label_zh, "final": True, "status_zh": "正在生成，请稍后再取",
            "retry_after": 1}


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

    # -- the problem loop ---------------------------------------------------------------------
    @rpc
    def raise_problem(self, body: dict, actor: dict) -> dict:
        problem_in = validated(ProblemCreate, body)
        return problem_view(usecases.raise_problem(
            self.storage, problem_in, self.leads.get,
            new_id(actor["username"], self.idempotency_key),
            bool(self.idempotency_key), actor, self.backdate_days, self.clock.now()))

    @rpc
    def get_problem(self, problem_id: str, actor: dict) -> dict:
        return problem_view(usecases.visible_problem(self.storage, problem_id, actor))

    @rpc
    def list_problems(self, filters: dict, actor: dict | None = None) -> dict:
        f = validated(ProblemFilter, filters, ("query",))
        docs, total = usecases.list_problems(self.storage, f, actor)
        return page_of([problem_view(d) for d in docs], total, f)

    def step(self, problem_id: str, actor: dict, decide) -> dict:
        """A step of the loop at the clock's now by the actor (usecases.take_step)."""
        now = self.clock.now()
        return problem_view(usecases.take_step(
            self.storage, problem_id, actor, lambda p: decide(p, now, actor["username"]), now))

    @rpc
    def give_feedback(self, problem_id: str, body: dict, actor: dict) -> dict:
        data = validated(FeedbackIn, body)
        return self.step(problem_id, actor, lambda p, now, by: domain.give_feedback(
            p, data.text, now, by))

    @rpc
    def analyse(self, problem_id: str, body: dict, actor: dict) -> dict:
        data = validated(AnalysisIn, body)
        return self.step(problem_id, actor, lambda p, now, by: domain.analyse(
            p, data.cause, data.approach, now, by))

    @rpc
    def plan(self, problem_id: str, body: dict, actor: dict) -> dict:
        data = validated(PlanIn, body)
        steps = [(s.step, s.due_date) for s in data.steps]
        return self.step(problem_id, actor, lambda p, now, by: domain.plan(
            p, steps, data.note, periods.local_day(now), now, by))

    @rpc
    def report_progress(self, problem_id: str, body: dict, actor: dict) -> dict:
        data = validated(ProgressReportIn, body)
        return self.step(problem_id, actor, lambda p, now, by: domain.report_progress(
            p, data.text, data.steps_done, now, by))

    @rpc
    def resolve(self, problem_id: str, body: dict, actor: dict) -> dict:
        data = validated(ResolveIn, body)
        return self.step(problem_id, actor, lambda p, now, by: domain.resolve(
            p, data.resolution, now, by))

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
    def create_task(self, body: dict, actor: dict, leader: dict | None) -> dict:
        data = validated(TaskCreate, body)
        now = self.clock.now()
        return task_view(usecases.create_task(
            self.storage, data, new_id(actor["username"], self.idempotency_key), actor, leader,
            now), now)

    @rpc
    def get_task(self, task_id: str, actor: dict) -> dict:
        return task_view(usecases.visible_task(self.storage, task_id, actor), self.clock.now())

    @rpc
    def list_tasks(self, filters: dict, actor: dict) -> dict:
        f = validated(TaskFilter, filters, ("query",))
        docs, total = usecases.list_tasks(self.storage, f, actor)
        now = self.clock.now()
        return page_of([task_view(d, now) for d in docs], total, f)

    @rpc
    def update_task(self, task_id: str, body: dict, actor: dict, leader: dict | None) -> dict:
        data = validated(TaskPatch, body).model_dump(exclude_unset=True)
        now = self.clock.now()
        return task_view(usecases.update_task(self.storage, task_id, data, actor, leader, now),
                         now)

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
        return report_result(report, self.answer(report, query))

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
        found = [at for at in (self.leads.first_created_at(), *self.storage.first_records())
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
        return report_result(g.report, view)

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
        team_names = {t["id"]: t["name_zh"] for t in self.teams.list_teams()}
        return reports.yellow_cards(period, projects, self.breaches_until(period.end), towns,
                                    team_names, self.yellow_card_points)

    # -- facts for the reports --------------------------------------------------------------
    def projects(self, with_plans: bool) -> list[reports.Project]:
        """Every lead with its plan against actual, in one RPC to leads (report_projects)."""
        found = self.report_leads.report_projects()
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
