"""Rules of the closed problem loop (发现—提出—分析—解决): pure, no I/O.

A problem met by a project is raised to an owner department, which gives feedback within
3 days, analyses it, and solves it within 7 days (general) or a month (complex); one that
cannot be solved soon gets a plan (steps with dates) and reports progress every month.
The deadlines are clocks of the sla service, started and stopped by this service's events.
"""
from __future__ import annotations

from datetime import timedelta

from shared.errors import Conflict

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
        raise Conflict(f"{status}的问题不能执行 {step}；可执行：{shown}",
                       {"status": problem["status"], "allowed": allowed})


def report_clock_subject(problem_id: str, n: int) -> str:
    """The subject of the n-th monthly progress-report clock (each report starts the next)."""
    return f"{problem_id}:report-{n}"


def problem_of_subject(subject_id: str) -> str:
    return subject_id.split(":report-", 1)[0]


def solve_clock(complexity: str) -> str:
    return SOLVE_CLOCKS[complexity]
