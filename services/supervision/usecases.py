"""The supervision service's use cases: each loads what it needs, asks the domain (domain.py,
tasks.py) for the change, and has the repository store it with its events. No nameko here:
the service's entrypoints validate, call one of these, and shape the view."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from services.leads.domain import query_keys, search_keys
from services.supervision import domain, periods, tasks
from services.supervision.repository import SupervisionRepository
from shared import scope
from shared.backdating import backdating
from shared.change import Change
from shared.errors import NotAllowed, NotFound, field_error, refusals_as_rpc_errors


# -- the problem loop -----------------------------------------------------------------------
def raise_problem(problems: SupervisionRepository, problem_in, lead_of: Callable[[str], dict],
                  problem_id: str, retried: bool, actor: dict, backdate_days: int,
                  now: datetime) -> dict:
    """发现—提出: a problem on a project, raised to its owner department. Unknown lead or
    department (or another team's lead for a team member): 404."""
    raised_at = problem_in.raised_at or now
    if raised_at > now:
        raise field_error(["body", "raised_at"], "不能晚于现在")
    backdated = backdating(raised_at, now, actor, backdate_days, ["body", "raised_at"])
    if problems.unit(problem_in.owner_department) is None:
        raise NotFound(f"没有名为 {problem_in.owner_department} 的部门或镇街")
    lead = lead_of(problem_in.lead_id)
    if actor.get("role") == "team_member" and not scope.may_see_lead(actor, lead):
        raise NotFound(f"没有线索 {problem_in.lead_id}")
    if actor.get("role") == "leader" and not scope.may_act_on_lead(actor, lead):
        raise NotAllowed("县领导只能为本组或本人领衔的项目交办问题", {"lead_id": lead["id"]})
    if retried and (stored := problems.find_problem(problem_id)):
        return stored  # a retry of the same POST
    return problems.insert_problem(domain.raised(
        problem_id, lead, problem_in.title, problem_in.description,
        problem_in.owner_department, problem_in.complexity, raised_at, actor["username"],
        backdated, search_keys(problem_in.title), now), now)


def visible_problem(problems: SupervisionRepository, problem_id: str, actor: dict) -> dict:
    """The problem if the actor may see it; another department's or team's is 404."""
    problem = problems.get_problem(problem_id)
    if scope.may_see_problem(actor, problem):
        return problem
    raise NotFound(f"没有问题 {problem_id}")


def list_problems(problems: SupervisionRepository, f, actor: dict | None):
    query = {k: v for k, v in {
        "status": f.status, "owner_department": f.owner_department, "lead_id": f.lead_id,
        "complexity": f.complexity,
    }.items() if v is not None}
    if f.q is not None:
        query["search_keys"] = {"$all": query_keys(f.q) or ["-"]}
    within = scope.problem_filter(actor or {"role": "admin"})  # shared/scope.py
    if any(k in query and query[k] != v for k, v in within.items()):
        within = scope.NOTHING  # another department's list is empty, not an error
    query.update(within)
    return problems.list_problems(query, f.page, f.page_size)


def take_step(problems: SupervisionRepository, problem_id: str, actor: dict,
              decide: Callable[[dict], Change], now: datetime) -> dict:
    """A step of the loop on a problem the actor may act on (its own department, or an admin):
    the domain decides, the change and its event are stored together, or 409 if the problem
    changed meanwhile."""
    problem = visible_problem(problems, problem_id, actor)
    if not scope.may_act_on_problem(actor, problem):
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


def create_task(store: SupervisionRepository, data, task_id: str, actor: dict,
                leader: dict | None, now: datetime) -> dict:
    if not scope.may_assign_tasks(actor):
        raise NotAllowed("只有督查室和管理员可以交办县领导任务")
    check_leader(data.leader, leader)
    task = tasks.new_task(task_id, data.model_dump(), leader["display_name"], now,
                          actor["username"])
    if not store.insert_task(task):  # a retry of the same POST
        return store.get_task(task["_id"])
    return task


def visible_task(store: SupervisionRepository, task_id: str, actor: dict) -> dict:
    task = store.get_task(task_id)
    if not scope.may_see_task(actor, task):
        raise NotFound(f"没有任务 {task_id}")
    return task


def list_tasks(store: SupervisionRepository, f, actor: dict):
    query = {k: v for k, v in {"leader": f.leader, "area": f.area}.items() if v is not None}
    if f.status is not None:
        query["open"] = f.status == "open"
    query.update(scope.task_filter(actor))
    return store.list_tasks(query, f.page, f.page_size)


@refusals_as_rpc_errors
def update_task(store: SupervisionRepository, task_id: str, data: dict, actor: dict,
                leader: dict | None, now: datetime) -> dict:
    """Record progress (the owning leader) or change the task (supervision office, admin);
    another leader's task, or more than progress by a leader: 403."""
    task = store.get_task(task_id)
    if not scope.may_act_on_task(actor, task, data):
        raise NotAllowed("县领导只能记录本人任务的进度；交办和修改任务由督查室负责",
                         {"allowed": sorted(scope.TASK_PROGRESS_FIELDS)})
    if "leader" in data:
        check_leader(data["leader"], leader)
    for name in ("title", "area", "leader", "due_date", "progress_pct"):
        if name in data and data[name] is None:
            raise field_error(["body", name], "不能为空")
    patch = tasks.change(task, data, (leader or {}).get("display_name"), now, actor["username"])
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
