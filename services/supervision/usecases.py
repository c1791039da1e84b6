"""The supervision service's use cases: each loads what it needs, asks the domain (domain.py,
tasks.py) for the change, and has the repository store it with its events. No nameko here:
the service's entrypoints validate, call one of these, and shape the view."""
from __future__ import annotations

import logging
import time
from datetime import date, datetime
from datetime import time as day_time
from functools import lru_cache
from typing import Callable

import eventlet

from services.leads.domain import query_keys, search_keys
from services.supervision import domain, periods, reports, tasks
from services.supervision.background import NOT_YET, Background
from services.supervision.repository import SupervisionRepository
from services.supervision.schemas import BimonthQuery, MonthQuery, QuarterQuery, WeekQuery
from shared import scope
from shared.backdating import backdating
from shared.change import Change
from shared.errors import (
    Conflict, InvalidInput, NotAllowed, NotFound, field_error, refusals_as_rpc_errors,
)
from shared.events import ReportPublished, YellowCardIssued, YellowCardReason, make_event
from shared.jsonable import jsonable
from shared.schemas import validated
from shared.scope import Principal

log = logging.getLogger(__name__)


# -- the problem loop -----------------------------------------------------------------------
def raise_problem(problems: SupervisionRepository, problem_in, lead_of: Callable[[str], dict],
                  problem_id: str, retried: bool, principal: Principal, backdate_days: int,
                  now: datetime) -> dict:
    """发现—提出: a problem on a project, raised to its owner department. Unknown lead or
    department (or another team's lead for a team member): 404."""
    raised_at = problem_in.raised_at or now
    if raised_at > now:
        raise field_error(["body", "raised_at"], "不能晚于现在")
    backdated = backdating(raised_at, now, principal, backdate_days, ["body", "raised_at"])
    if problems.unit(problem_in.owner_department) is None:
        raise NotFound(f"没有名为 {problem_in.owner_department} 的部门或镇街")
    lead = lead_of(problem_in.lead_id)
    if principal.role == "team_member" and not scope.may_see_lead(principal, lead):
        raise NotFound(f"没有线索 {problem_in.lead_id}")
    if principal.role == "leader" and not scope.may_act_on_lead(principal, lead):
        raise NotAllowed("县领导只能为本组或本人领衔的项目交办问题", {"lead_id": lead["id"]})
    if retried and (stored := problems.find_problem(problem_id)):
        return stored  # a retry of the same POST
    return problems.insert_problem(domain.raised(
        problem_id, lead, problem_in.title, problem_in.description,
        problem_in.owner_department, problem_in.complexity, raised_at, principal.username,
        backdated, search_keys(problem_in.title), now), now)


def visible_problem(problems: SupervisionRepository, problem_id: str, principal: Principal) -> dict:
    """The problem if the caller may see it; another department's or team's is 404."""
    problem = problems.get_problem(problem_id)
    if scope.may_see_problem(principal, problem):
        return problem
    raise NotFound(f"没有问题 {problem_id}")


def list_problems(problems: SupervisionRepository, f, principal: Principal):
    query = {k: v for k, v in {
        "status": f.status, "owner_department": f.owner_department, "lead_id": f.lead_id,
        "complexity": f.complexity,
    }.items() if v is not None}
    if f.q is not None:
        query["search_keys"] = {"$all": query_keys(f.q) or ["-"]}
    within = scope.problem_filter(principal)  # shared/scope.py
    if any(k in query and query[k] != v for k, v in within.items()):
        within = scope.NOTHING  # another department's list is empty, not an error
    query.update(within)
    return problems.list_problems(query, f.page, f.page_size)


def take_step(problems: SupervisionRepository, problem_id: str, principal: Principal,
              decide: Callable[[dict], Change], now: datetime) -> dict:
    """A step of the loop on a problem the caller may act on (its own department, or an admin):
    the domain decides, the change and its event are stored together, or 409 if the problem
    changed meanwhile."""
    problem = visible_problem(problems, problem_id, principal)
    if not scope.may_act_on_problem(principal, problem):
        raise NotFound(f"没有问题 {problem_id}")
    changed = problems.change_problem(problem, decide(problem), now)
    if changed is None:
        raise domain.ProblemChanged(
            "问题已被他人更新，请刷新后重试",
            {"allowed": domain.allowed_steps(problems.get_problem(problem_id))})
    return changed


# -- what the sla service said about the clocks ------------------------------------------------
def record_breach(problems: SupervisionRepository, envelope, breached, now: datetime) -> None:
    """Keep every breach for the reports; a problem's deadline is marked and its department
    told (problem_deadline_missed): sla's own breach alert goes to the supervision office."""
    context = breached.context
    breach = {"_id": breached.clock_id, "kind": breached.kind,
              "subject_id": breached.subject_id, "label_zh": breached.label_zh,
              "started_at": breached.started_at, "due_at": breached.due_at,
              "departments": list(context.departments), "lead_id": context.lead_id,
              "team_id": context.team_id, "title": context.title,
              "breached_at": envelope.occurred_at}
    missed = None
    if breached.kind in domain.PROBLEM_CLOCKS:
        problem = problems.find_problem(domain.problem_of_subject(breached.subject_id))
        if problem is not None:
            breach["title"] = f"{problem['lead_title']}：{problem['title']}"
            missed = (problem["_id"], domain.deadline_missed(problem, breached))
    problems.record_breach(envelope, breach, missed, now)


def record_clock_stopped(problems: SupervisionRepository, envelope, stopped) -> None:
    if stopped.kind in domain.PROBLEM_CLOCKS:
        problems.record_problem_clock(envelope, domain.problem_of_subject(stopped.subject_id),
                                      stopped.clock_id, stopped.kind,
                                      domain.deadline_stopped(stopped))


# -- county leaders' tasks (tasks.py) ------------------------------------------------------------
def check_leader(username: str, account: dict | None) -> None:
    """A task's leader is a county leader's account (role `leader`); anything else is 422."""
    if account is None or account.get("username") != username:
        raise field_error(["body", "leader"], f"没有用户名为 {username} 的账户")
    if account.get("role") != "leader":
        raise field_error(["body", "leader"], f"{username} 不是县领导账户")


def create_task(store: SupervisionRepository, data, task_id: str, principal: Principal,
                leader: dict | None, now: datetime) -> dict:
    if not scope.may_assign_tasks(principal):
        raise NotAllowed("只有督查室和管理员可以交办县领导任务")
    check_leader(data.leader, leader)
    task = tasks.new_task(task_id, data.model_dump(), leader["display_name"], now,
                          principal.username)
    if not store.insert_task(task):  # a retry of the same POST
        return store.get_task(task["_id"])
    return task


def visible_task(store: SupervisionRepository, task_id: str, principal: Principal) -> dict:
    task = store.get_task(task_id)
    if not scope.may_see_task(principal, task):
        raise NotFound(f"没有任务 {task_id}")
    return task


def list_tasks(store: SupervisionRepository, f, principal: Principal):
    query = {k: v for k, v in {"leader": f.leader, "area": f.area}.items() if v is not None}
    if f.status is not None:
        query["open"] = f.status == "open"
    query.update(scope.task_filter(principal))
    return store.list_tasks(query, f.page, f.page_size)


@refusals_as_rpc_errors
def update_task(store: SupervisionRepository, task_id: str, data: dict, principal: Principal,
                leader: dict | None, now: datetime) -> dict:
    """Record progress (the owning leader) or change the task (supervision office, admin);
    another leader's task, or more than progress by a leader: 403."""
    task = store.get_task(task_id)
    if not scope.may_act_on_task(principal, task, data):
        raise NotAllowed("县领导只能记录本人任务的进度；交办和修改任务由督查室负责",
                         {"allowed": sorted(scope.TASK_PROGRESS_FIELDS)})
    if "leader" in data:
        check_leader(data["leader"], leader)
    for name in ("title", "area", "leader", "due_date", "progress_pct"):
        if name in data and data[name] is None:
            raise field_error(["body", name], "不能为空")
    patch = tasks.change(task, data, (leader or {}).get("display_name"), now, principal.username)
    changed = store.change_task(task, patch)
    if changed is None:
        raise domain.TaskChanged("任务已被他人更新，请刷新后重试", {"id": task_id})
    return changed


def tasks_report(store: SupervisionRepository, report: str, key: str | None,
                 now: datetime) -> dict:
    """周安排 (`tasks_weekly`) or 月交流 (`tasks_monthly`) of the period `key` (the current one
    without), computed from the tasks."""
    kind = periods.WEEKLY if report == "tasks_weekly" else periods.MONTHLY
    period = (periods.period_of(kind, key) if key is not None
              else periods.current_period(kind, now))
    first, last = periods.local_day(period.start), tasks.last_day(period)
    found = store.tasks_for_period(first.isoformat(), last.isoformat())
    build = tasks.weekly_arrangement if report == "tasks_weekly" else tasks.monthly_exchange
    return build(period, found, now)


# -- the periodic reports (reports.py, periods.py) -----------------------------------------------
SOURCE = "supervision"
PRODUCING = "producing"
PROVISIONAL_ZH, FINAL_ZH = "进行中", "已定稿"
LIVE_KEEP_SECONDS = 30.0  # a live board computed in the background waits this long for its poll
QUERIES = {periods.WEEKLY: WeekQuery, periods.MONTHLY: MonthQuery,
           periods.QUARTERLY: QuarterQuery, periods.BIMONTHLY: BimonthQuery}
MAIN_LIST = {periods.WEEKLY: "rows", periods.MONTHLY: "cards", periods.QUARTERLY: "rows",
             periods.BIMONTHLY: "rows"}
# What a report document holds besides its content (the content is what regeneration repeats).
REPORT_META = ("id", "report", "period", "label_zh", "title_zh", "from", "to", "as_of", "due_at",
               "generated_at", "generated_by", "regenerated_at", "regenerated_by", "version",
               "final", "status_zh")


def report_id(report: str, key: str) -> str:
    return f"{report}:{key}"


def report_view(doc: dict) -> dict:
    # Reports stored before live boards existed are final records too.
    return jsonable({"id": doc["_id"], "final": True, "status_zh": FINAL_ZH,
                     **{k: v for k, v in doc.items() if k != "_id"}})


def content_of(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in REPORT_META and k != "_id"}


def producing(report: str, period: periods.Period) -> dict:
    """A closed period's report still being produced in the background: ask again."""
    return {"status": PRODUCING, "report": report, "period": period.key,
            "label_zh": period.label_zh, "final": True, "status_zh": "正在生成，请稍后再取",
            "retry_after": 1}


def request_facts(doc: dict) -> dict:
    return {"request_id": doc["_id"], "lead_id": doc.get("lead_id"),
            "received_at": doc.get("received_at"),
            "items": [{"n": n, "department": i.get("department"),
                       "replied_at": i.get("replied_at")}
                      for n, i in sorted((doc.get("items") or {}).items())
                      if i.get("department")]}


class Reporting:
    """The reports' use cases at `now`: produce each one due, answer a period's report (stored,
    produced on request, or provisional), and generate one again. Facts of other services come
    by their typed clients: `leads` (first_created_at), `report_leads` (report_projects, with a
    longer timeout) and `teams` (list_teams); `background` runs what takes longer than a caller
    waits (`wait_seconds`)."""

    def __init__(self, repository: SupervisionRepository, now: datetime, background: Background,
                 leads, report_leads, teams, report_at: day_time, yellow_card_points: int,
                 wait_seconds: float):
        self.repository = repository
        self.now = now
        self.background = background
        self.leads = leads
        self.report_leads = report_leads
        self.teams = teams
        self.report_at = report_at
        self.yellow_card_points = yellow_card_points
        self.wait_seconds = wait_seconds

    # -- producing -------------------------------------------------------------------------
    def produce_due(self) -> list[str]:
        """Produce each report whose latest period has fallen due and has none yet; the ids."""
        produced = []
        for report in periods.REPORTS:
            period = periods.latest_due(report, self.now, self.report_at)
            if self.repository.has_report(report_id(report, period.key)):
                continue
            try:
                if self.produce(period):
                    produced.append(report_id(report, period.key))
            except Exception:  # one report failing (a service down) must not stop the others
                log.warning("could not produce %s %s; will retry", report, period.key,
                            exc_info=True)
        return produced

    def produce(self, period: periods.Period, by: str = "timer") -> bool:
        """The period's first report; False if another instance stored it first."""
        doc = self.report_document(period, by)
        cards = self.card_documents(doc)
        events = self.report_events(doc, cards, regenerated=False)
        stored = self.repository.produce_report(doc, cards, events)
        if stored:
            log.info("produced %s %s", period.report, period.key)
        return stored

    # -- answering -------------------------------------------------------------------------
    def answer(self, report: str, query: dict) -> dict:
        """A period's report (the latest final one without a period): a closed period's stored
        record (produced now if none is yet, in the background when that takes longer than a
        caller may wait: `producing`); the current period's provisional, not stored."""
        if report not in periods.REPORTS:
            raise NotFound(f"没有报表 {report}")
        asked = time.monotonic()  # the wait below counts from here: the caller's clock runs
        q = validated(QUERIES[report], query, ("query",))
        key = getattr(q, periods.PERIOD_PARAMS[report][0])
        period = periods.due_period(report, key, self.now, self.report_at)
        if not periods.is_final(period, self.now):
            return self.live_board(report, period, asked)
        _id = report_id(report, period.key)
        doc = self.repository.get_report(_id)
        if doc is not None:
            return report_view(doc)
        if self.background.running(_id):  # a poll while it is produced: answer at once
            return producing(report, period)
        periods.check_recorded(report, period, self.first_record())  # nothing to compute
        job = self.background.run_once(_id, lambda: self.produce(period, by="request"))
        if self.background.wait(job, self.wait_left(asked)) is not NOT_YET:
            doc = self.repository.get_report(_id)
            if doc is not None:
                return report_view(doc)
        return producing(report, period)

    def wait_left(self, asked: float) -> float:
        return max(0.0, self.wait_seconds - (time.monotonic() - asked))

    def live_board(self, report: str, period: periods.Period, asked: float) -> dict:
        """The provisional report, computed on request: in the background when it takes longer
        than a caller waits (202, poll), the result then kept LIVE_KEEP_SECONDS for the poll."""
        key = f"live:{report_id(report, period.key)}"
        kept = self.background.recent(key, LIVE_KEEP_SECONDS)
        if kept is not NOT_YET:
            return kept
        polled = self.background.running(key)  # a poll while it is computed: answer at once
        job = self.background.run_once(key, lambda: self.provisional_view(period))
        result = self.background.wait(job, 0.0 if polled else self.wait_left(asked))
        return {**producing(report, period), "final": False} if result is NOT_YET else result

    def provisional_view(self, period: periods.Period) -> dict:
        """The current period so far (进行中): computed now, never stored, no card issued."""
        live = periods.provisional(period, self.now)
        doc = self.report_document(live, "request")
        doc.update(final=False, status_zh=PROVISIONAL_ZH,
                   title_zh=f"{doc['title_zh']}（{PROVISIONAL_ZH}）", version=0)
        return report_view(doc)

    def first_record(self):
        """The county's first record: its first lead, problem, policy request or breach."""
        found = [at for at in (self.leads.first_created_at(), *self.repository.first_records())
                 if at is not None]
        return min((datetime.fromisoformat(a) if isinstance(a, str) else a for a in found),
                   default=None)

    # -- generating again ------------------------------------------------------------------
    def final_period(self, report: str, key: str) -> periods.Period:
        """The closed period `key` of the report that has records; else a 422 on the body's
        `period`."""
        try:
            period = periods.due_period(report, key, self.now, self.report_at)
            if not periods.is_final(period, self.now):
                due = period.due_at.astimezone(periods.COUNTY_TIME).strftime("%Y-%m-%d %H:%M")
                raise periods.invalid(report, f"{periods.REPORT_LABELS_ZH[report]} "
                                              f"{key} 尚在进行中，{due}后才能定稿")
            periods.check_recorded(report, period, self.first_record())
        except InvalidInput as exc:  # the period comes in the body here
            errors = [{"loc": ["body", "period"], "msg": e["msg"]} for e in exc.extra["errors"]]
            raise InvalidInput(exc.detail, {"errors": errors}) from None
        return period

    def generate(self, report: str, key: str, by: str) -> dict:
        """Produce a due period's report again from the facts (or for the first time); the
        cards it issues that were not issued before are announced. Same facts, same report;
        `same_as_previous` says whether they were. 409 if another generation got there first."""
        period = self.final_period(report, key)
        previous = self.repository.get_report(report_id(report, period.key))
        doc = self.report_document(period, by)
        if previous is not None:
            doc.update(generated_at=previous["generated_at"], generated_by=previous["generated_by"],
                       regenerated_at=self.now, regenerated_by=by,
                       version=previous["version"] + 1)
        candidates = self.card_documents(doc)
        issued = self.repository.issued_cards([c["_id"] for c in candidates])
        cards = [c for c in candidates if c["_id"] not in issued]
        events = self.report_events(doc, cards, regenerated=previous is not None)
        if not self.repository.replace_report(doc, previous["version"] if previous else 0, cards,
                                              events):
            raise Conflict(f"{report} {period.key} 已由他人生成，请重新读取",
                           {"report": report, "period": period.key})
        view = report_view(doc)
        view["same_as_previous"] = (
            None if previous is None
            else jsonable(content_of(previous)) == jsonable(content_of(doc)))
        return view

    # -- a report's documents and events ---------------------------------------------------
    def report_document(self, period: periods.Period, by: str) -> dict:
        content = self.compute(period)
        return {
            "_id": report_id(period.report, period.key), "report": period.report,
            "period": period.key, "label_zh": period.label_zh,
            "title_zh": f"{periods.REPORT_LABELS_ZH[period.report]}（{period.label_zh}）",
            "from": period.start, "to": period.end, "as_of": period.as_of,
            "due_at": period.due_at, "generated_at": self.now, "generated_by": by,
            "regenerated_at": None, "regenerated_by": None, "version": 1, "final": True,
            "status_zh": FINAL_ZH, **content,
        }

    def card_documents(self, doc: dict) -> list[dict]:
        return [{"_id": c["card_id"], "month": doc["period"], "unit_kind": c["unit_kind"],
                 "unit_id": c["unit_id"], "unit_name": c["unit_name"], "score": c["score"],
                 "threshold": doc["threshold"], "reasons": c["reasons"], "issued_at": self.now}
                for c in doc.get("cards", [])]

    def report_events(self, doc: dict, cards: list[dict], regenerated: bool):
        now = self.now
        published = ReportPublished(
            report=doc["report"], period=doc["period"], label_zh=doc["title_zh"],
            generated_at=now, version=doc["version"], rows=len(doc[MAIN_LIST[doc["report"]]]),
            regenerated=regenerated)
        return [make_event(SOURCE, published, now), *(make_event(SOURCE, YellowCardIssued(
            card_id=c["_id"], month=c["month"], unit_kind=c["unit_kind"], unit_id=c["unit_id"],
            unit_name=c["unit_name"], score=c["score"], threshold=c["threshold"],
            reasons=[YellowCardReason(**{k: r[k] for k in YellowCardReason.model_fields})
                     for r in c["reasons"]]), now) for c in cards)]

    def compute(self, period: periods.Period) -> dict:
        """The report's content from the facts as they stood at the period (reports.py)."""
        if period.report == periods.BIMONTHLY:
            projects = {p.lead_id: p for p in self.projects(with_plans=False)}
            return reports.showcase(
                period, self.repository.units(), projects,
                self.problems_until(period.end), self.breaches_until(period.end),
                [request_facts(r) for r in self.repository.requests_for_report(
                    period.start, period.end)])
        projects = self.projects(with_plans=True)
        if period.report == periods.WEEKLY:
            return reports.weekly_inspection(period, projects, self.problems_until(period.as_of),
                                             self.breaches_until(period.end))
        if period.report == periods.QUARTERLY:
            return reports.tackle_list(period, projects)
        towns = {u["name"] for u in self.repository.units() if u["kind"] == "town"}
        team_names = {t["id"]: t["name_zh"] for t in self.teams.list_teams()}
        return reports.yellow_cards(period, projects, self.breaches_until(period.end), towns,
                                    team_names, self.yellow_card_points)

    # -- facts for the reports ---------------------------------------------------------------
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
        return [{"id": p["_id"], **p} for p in self.repository.problems_for_report(until)]

    def breaches_until(self, until) -> list[reports.Breach]:
        return [reports.Breach(b["kind"], b["subject_id"], b["due_at"], tuple(b["departments"]),
                               b.get("lead_id"), b.get("title") or "")
                for b in self.repository.breaches_due_before(until)]
