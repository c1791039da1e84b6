"""Rules of the closed problem loop (发现—提出—分析—解决): pure, no I/O.

A problem met by a project is raised to an owner department, which gives feedback within
3 days, analyses it, and solves it within 7 days (general) or a month (complex); one that
cannot be solved soon gets a plan (steps with dates) and reports progress every month.
The deadlines are clocks of the sla service, started and stopped by this service's events.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from nameko.exceptions import deserialize_to_instance

from shared.change import Change
from shared.errors import Conflict, KuaibanError, field_error
from shared.events import (
    EventData, PlanStep, ProblemAnalysed, ProblemDeadlineMissed, ProblemFeedbackRecorded,
    ProblemPlanned, ProblemProgressReported, ProblemRaised, ProblemRef, ProblemResolved,
    SlaBreached, ClockStopped,
)

FEEDBACK_WITHIN = timedelta(days=3)
SOLVE_WITHIN = {"general": timedelta(days=7), "complex": timedelta(days=30)}
COMPLEXITIES = ("general", "complex")
PROBLEM_STATUSES = ("raised", "feedback_given", "analysed", "resolved")
STATUS_LABELS_ZH = {"raised": "已提出", "feedback_given": "已反馈", "analysed": "已分析",
                    "resolved": "已解决"}
COMPLEXITY_LABELS_ZH = {"general": "一般问题", "complex": "复杂问题"}
STEPS = ("feedback", "analysis", "plan", "progress_report", "resolve")

# The sla service's clock kinds (services/sla/domain.py KINDS) for each deadline of a problem.
FEEDBACK_CLOCK = "problem_feedback"
SOLVE_CLOCKS = {"general": "problem_general", "complex": "problem_complex"}
REPORT_CLOCK = "plan_progress_report"
PROBLEM_CLOCKS = (FEEDBACK_CLOCK, *SOLVE_CLOCKS.values(), REPORT_CLOCK)
# Which deadline of the problem (its `deadlines` slot) each clock kind measures.
SLOT_OF_CLOCK = {FEEDBACK_CLOCK: "feedback", SOLVE_CLOCKS["general"]: "solve",
                 SOLVE_CLOCKS["complex"]: "solve", REPORT_CLOCK: "progress_report"}


class SupervisionError(KuaibanError):
    """Base of the errors the supervision service's rules raise."""


@deserialize_to_instance
class StepNotAllowed(SupervisionError, Conflict):
    """A step the loop does not allow next; `extra` names the status and the allowed steps."""


@deserialize_to_instance
class ProblemChanged(SupervisionError, Conflict):
    """The problem changed between reading and writing: the step is refused, never doubled."""


@deserialize_to_instance
class TaskChanged(SupervisionError, Conflict):
    """The task changed between reading and writing: the change is refused, never merged."""


def allowed_steps(problem: dict) -> list[str]:
    """The steps the loop allows next: feedback, then analysis, then a plan or the solution;
    with a plan, monthly progress reports until it is solved."""
    status = problem["status"]
    if status == "raised":
        return ["feedback"]
    if status == "feedback_given":
        return ["analysis"]
    if status == "analysed":
        return ["plan", *(["progress_report"] if problem.get("plan") else []), "resolve"]
    return []


def check_step(problem: dict, step: str) -> None:
    """409 naming the allowed steps when `step` is not one of them."""
    allowed = allowed_steps(problem)
    if step not in allowed:
        shown = "、".join(allowed) or "无（问题已解决）"
        status = STATUS_LABELS_ZH.get(problem["status"], problem["status"])
        raise StepNotAllowed(f"{status}的问题不能执行 {step}；可执行：{shown}",
                             {"status": problem["status"], "allowed": allowed})


def report_clock_subject(problem_id: str, n: int) -> str:
    """The subject of the n-th monthly progress-report clock (each report starts the next)."""
    return f"{problem_id}:report-{n}"


def problem_of_subject(subject_id: str) -> str:
    return subject_id.split(":report-", 1)[0]


def solve_clock(complexity: str) -> str:
    return SOLVE_CLOCKS[complexity]


def clock_slot(kind: str, subject_id: str) -> dict:
    """A deadline as the problem keeps it until the sla service reports on its clock."""
    return {"kind": kind, "clock_id": f"{kind}:{subject_id}", "state": "on_track"}


def ref_of(problem: dict) -> ProblemRef:
    """The problem as its events name it."""
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


# -- the loop's steps: each a change of the problem with the event that announces it ----------
def raised(problem_id: str, lead: dict, title: str, description: str, owner_department: str,
           complexity: str, raised_at: datetime, by: str, backdated: dict | None,
           search_keys: list[str], now: datetime) -> Change:
    """发现—提出: the new problem (every field set) and its `problem_raised`."""
    problem = {
        "_id": problem_id, "lead_id": lead["id"], "lead_title": lead["title"],
        "team_id": lead.get("team_id"), "team_name": lead.get("team_name"),
        "project_lead": project_lead_of(lead), "title": title, "description": description,
        "owner_department": owner_department, "complexity": complexity,
        "status": "raised", "raised_at": raised_at, "raised_by": by, "resolved_at": None,
        "deadlines": {"feedback": clock_slot(FEEDBACK_CLOCK, problem_id),
                      "solve": clock_slot(solve_clock(complexity), problem_id)},
        "history": [{"step": "raised", "at": raised_at, "by": by, "recorded_at": now}],
        "backdated": backdated, "team_assigned_at": assigned_at_of(lead),
        "version": 1, "created_at": now, "updated_at": now, "search_keys": search_keys,
    }
    return Change(set=problem, events=(
        ProblemRaised(problem=ref_of(problem), raised_at=raised_at, by=by),))


def stepped(problem: dict, step: str, now: datetime, by: str, fields: dict,
            event: EventData) -> Change:
    """A step the loop allows: its fields, the history entry and the event, all at `now`."""
    check_step(problem, step)
    return Change(set={**fields, "updated_at": now},
                  append={"history": ({"step": step, "at": now, "by": by},)}, events=(event,))


def give_feedback(problem: dict, text: str, now: datetime, by: str) -> Change:
    return stepped(problem, "feedback", now, by,
                   {"status": "feedback_given", "feedback": {"text": text, "at": now, "by": by}},
                   ProblemFeedbackRecorded(problem=ref_of(problem), at=now, by=by))


def analyse(problem: dict, cause: str, approach: str, now: datetime, by: str) -> Change:
    return stepped(problem, "analysis", now, by,
                   {"status": "analysed",
                    "analysis": {"cause": cause, "approach": approach, "at": now, "by": by}},
                   ProblemAnalysed(problem=ref_of(problem), at=now, by=by))


def plan(problem: dict, steps: list[tuple[str, date]], note: str | None, today: date,
         now: datetime, by: str) -> Change:
    """A plan with dated steps (none due before `today`); the first plan starts the monthly
    progress-report clock, a revision leaves the month's clock running."""
    check_step(problem, "plan")
    for i, (_, due_date) in enumerate(steps):
        if due_date < today:
            raise field_error(["body", "steps", str(i), "due_date"], "步骤的完成期限不能早于今天")
    fields: dict = {"plan": {
        "steps": [{"n": n, "step": step, "due_date": due_date.isoformat(), "done_at": None}
                  for n, (step, due_date) in enumerate(steps, start=1)],
        "note": note, "at": now, "by": by,
        "revision": (problem.get("plan") or {}).get("revision", 0) + 1}}
    report_clock = None
    if not problem.get("plan"):
        report_clock = report_clock_subject(problem["_id"], 1)
        fields["report_n"] = 1
        fields["deadlines.progress_report"] = clock_slot(REPORT_CLOCK, report_clock)
    return stepped(problem, "plan", now, by, fields, ProblemPlanned(
        problem=ref_of(problem), at=now, by=by, report_clock=report_clock,
        steps=[PlanStep(step=step, due_date=due_date) for step, due_date in steps]))


def report_progress(problem: dict, text: str, steps_done: list[int], now: datetime,
                    by: str) -> Change:
    """The monthly progress report: stops this month's clock and starts the next."""
    check_step(problem, "progress_report")
    steps = problem["plan"]["steps"]
    for i, k in enumerate(steps_done):
        if k > len(steps):
            raise field_error(["body", "steps_done", str(i)], f"计划只有 {len(steps)} 个步骤")
    n = problem.get("report_n", 1)
    stopped = report_clock_subject(problem["_id"], n)
    following = report_clock_subject(problem["_id"], n + 1)
    fields: dict = {f"plan.steps.{k - 1}.done_at": now for k in steps_done
              if not steps[k - 1].get("done_at")}
    fields.update({"report_n": n + 1,
                   "deadlines.progress_report": clock_slot(REPORT_CLOCK, following)})
    return stepped(problem, "progress_report", now, by, fields, ProblemProgressReported(
        problem=ref_of(problem), at=now, by=by, n=n, stopped_clock=stopped,
        next_clock=following)).appending("progress_reports", {
            "n": n, "text": text, "steps_done": steps_done, "at": now, "by": by})


def resolve(problem: dict, resolution: str, now: datetime, by: str) -> Change:
    report_clock = (report_clock_subject(problem["_id"], problem["report_n"])
                    if problem.get("plan") else None)
    return stepped(problem, "resolve", now, by,
                   {"status": "resolved", "resolved_at": now,
                    "resolution": {"text": resolution, "at": now, "by": by}},
                   ProblemResolved(problem=ref_of(problem), at=now, by=by,
                                   report_clock=report_clock))


# -- what the sla service said about a problem's clocks ---------------------------------------
def deadline_missed(problem: dict, breached: SlaBreached) -> Change:
    """The deadline's clock breached: marked so (unless already met, which the repository
    checks as it writes), and its department told (`problem_deadline_missed`)."""
    slot = SLOT_OF_CLOCK[breached.kind]
    return Change(
        set={f"deadlines.{slot}.state": "breached", f"deadlines.{slot}.due_at": breached.due_at},
        events=(ProblemDeadlineMissed(problem=ref_of(problem), deadline=slot, kind=breached.kind,
                                      label_zh=breached.label_zh, due_at=breached.due_at),))


def deadline_stopped(stopped: ClockStopped) -> Change:
    """The deadline's clock stopped: met, or met late."""
    slot = SLOT_OF_CLOCK[stopped.kind]
    return Change(set={f"deadlines.{slot}.state": stopped.state,
                       f"deadlines.{slot}.due_at": stopped.due_at,
                       f"deadlines.{slot}.stopped_at": stopped.stopped_at})
