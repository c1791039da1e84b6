"""Boundary models of the supervision service (HTTP bodies and queries through the gateway)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

from pydantic import Field

from services.supervision.domain import (
    COMPLEXITIES, COMPLEXITY_LABELS_ZH, PROBLEM_STATUSES, STATUS_LABELS_ZH,
)
from services.supervision.periods import REPORT_LABELS_ZH, REPORTS
from shared.schemas import CountyDatetime, PageQuery, Strict, choice

Text = Annotated[str, Field(min_length=1, max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Department = Annotated[str, Field(min_length=1, max_length=100)]
Complexity = choice(COMPLEXITIES, COMPLEXITY_LABELS_ZH, {"一般": "general", "复杂": "complex"})


class ProblemFilter(PageQuery):
    status: Optional[choice(PROBLEM_STATUSES, STATUS_LABELS_ZH)] = None
    owner_department: Optional[Department] = None
    lead_id: Optional[Annotated[str, Field(max_length=64)]] = None
    complexity: Optional[Complexity] = None
    q: Optional[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default=None, description="search in the title (Chinese works)")


class ProblemCreate(Strict):
    """A problem a project met, raised to the department that owns it (发现—提出)."""

    lead_id: Annotated[str, Field(min_length=1, max_length=64)]
    title: ShortText
    description: Text
    owner_department: Department
    complexity: Complexity
    raised_at: Optional[CountyDatetime] = Field(
        default=None, description="when it was raised, if earlier (on paper); never in the future")


class FeedbackIn(Strict):
    """The owner department's first answer (3 days)."""

    text: Text


class AnalysisIn(Strict):
    """Why the problem arose and how it will be solved (分析)."""

    cause: Text
    approach: Text


class ResolveIn(Strict):
    resolution: Text


class PlanStepIn(Strict):
    step: ShortText
    due_date: date


class PlanIn(Strict):
    """A concrete plan for a problem that cannot be solved soon: steps with dates."""

    steps: Annotated[list[PlanStepIn], Field(min_length=1, max_length=30)]
    note: Optional[Text] = None


class ProgressReportIn(Strict):
    """The monthly progress report on a plan; `steps_done` are step numbers from 1."""

    text: Text
    steps_done: Annotated[list[Annotated[int, Field(ge=1, le=30)]], Field(max_length=30)] = []


class WeekQuery(Strict):
    week: Optional[Annotated[str, Field(max_length=10, examples=["2026-W48"])]] = None


class MonthQuery(Strict):
    month: Optional[Annotated[str, Field(max_length=7, examples=["2026-11"])]] = None


class QuarterQuery(Strict):
    quarter: Optional[Annotated[str, Field(max_length=6, examples=["2026Q4"])]] = None


class BimonthQuery(Strict):
    period: Optional[Annotated[str, Field(max_length=7, examples=["2026-11"])]] = Field(
        default=None, description="the first (odd) month of the two, e.g. 2026-11 for Nov-Dec")


class GenerateIn(Strict):
    """Produce a past period's report again (or for the first time) from the facts."""

    report: choice(REPORTS, REPORT_LABELS_ZH)
    period: Annotated[str, Field(min_length=1, max_length=10)]

