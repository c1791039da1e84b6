"""Boundary models of the supervision service (HTTP bodies and queries through the gateway, and
the results it answers)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Optional, Union

from pydantic import Field, RootModel

from services.supervision.domain import (
    COMPLEXITIES, COMPLEXITY_LABELS_ZH, PROBLEM_STATUSES, STATUS_LABELS_ZH, STEPS,
)
from services.supervision.periods import REPORT_LABELS_ZH, REPORTS
from services.supervision.tasks import (
    AREA_LABELS_ZH, AREAS as TASK_AREAS, OUTCOMES as TASK_OUTCOMES, STATUS_LABELS_ZH as
    TASK_STATUS_LABELS_ZH, STATUSES as TASK_STATUSES, WEEK_STATES,
)
from shared.schemas import Backdated, CountyDatetime, Day, Page, PageQuery, Strict, Timestamp, View, choice

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



# -- results ----------------------------------------------------------------------------------
class LiveClock(View):
    """The deadline's clock as the sla service has it now (GET /problems/{id} only)."""

    due_at: Optional[Timestamp] = None
    elapsed_pct: Optional[float] = None
    state: Optional[str] = None
    paused: Optional[bool] = None
    counted_hours: Optional[float] = None
    started_at: Optional[Timestamp] = None


class Deadline(View):
    kind: str
    clock_id: str
    state: str
    due_at: Optional[Timestamp] = None
    stopped_at: Optional[Timestamp] = None
    clock: Optional[LiveClock] = None


class HistoryStep(View):
    step: str
    at: Timestamp
    by: str
    recorded_at: Optional[Timestamp] = None


class Feedback(View):
    text: str
    at: Timestamp
    by: str


class Analysis(View):
    cause: str
    approach: str
    at: Timestamp
    by: str


class PlanStepView(View):
    n: int
    step: str
    due_date: Day
    done_at: Optional[Timestamp]


class PlanView(View):
    steps: list[PlanStepView]
    note: Optional[str] = None
    at: Timestamp
    by: str
    revision: int


class ProgressReportView(View):
    n: int
    text: str
    steps_done: list[int]
    at: Timestamp
    by: str


class ProblemView(View):
    """A problem on its way round 发现—提出—分析—解决, with its deadlines."""

    id: str
    lead_id: str
    lead_title: str
    team_id: Optional[str]
    team_name: Optional[str] = None
    project_lead: Optional[str]
    title: str
    description: str
    owner_department: str
    complexity: Literal[COMPLEXITIES]  # type: ignore[valid-type]
    complexity_zh: str
    status: Literal[PROBLEM_STATUSES]  # type: ignore[valid-type]
    status_zh: str
    allowed_steps: list[Literal[STEPS]]  # type: ignore[valid-type]
    raised_at: Timestamp
    raised_by: str
    resolved_at: Optional[Timestamp]
    deadlines: dict[str, Deadline]
    feedback: Optional[Feedback] = None
    analysis: Optional[Analysis] = None
    plan: Optional[PlanView] = None
    report_n: Optional[int] = None
    progress_reports: Optional[list[ProgressReportView]] = None
    resolution: Optional[Feedback] = None
    history: list[HistoryStep]
    backdated: Optional[Backdated] = None  # raised earlier than entered: by whom, how far back
    created_at: Timestamp
    updated_at: Timestamp


class ProblemPage(Page):
    items: list[ProblemView]


class UnitView(View):
    name: str
    kind: Literal["department", "town"]


class UnitList(RootModel[list[UnitView]]):
    pass


# -- the reports ------------------------------------------------------------------------------
class ReportView(View):
    """What every period's report carries besides its content."""

    id: str
    period: str
    label_zh: str
    title_zh: str
    from_: Timestamp = Field(alias="from")
    to: Timestamp
    as_of: Timestamp
    due_at: Timestamp
    final: Optional[bool] = None
    status_zh: Optional[str] = None  # 进行中 (the current period so far) or the record's state
    generated_at: Timestamp
    generated_by: str
    regenerated_at: Optional[Timestamp] = None
    regenerated_by: Optional[str] = None
    version: int
    same_as_previous: Optional[bool] = None  # POST /reports/generate: did the facts change?


class InspectionRow(View):
    lead_id: str
    title: str
    team_name: Optional[str]
    major: bool
    milestones_total: int
    milestones_reached: int
    milestones_late: int
    max_days_late: int
    late_detail: Optional[str]
    next_milestone: Optional[str]
    next_planned_date: Optional[Day]
    open_problems: int
    overdue_problems: int
    breached_replies: int
    taken_in: Optional[bool] = None  # a project taken in that week


class WeeklyInspection(ReportView):
    report: Literal["weekly_inspection"]
    rows: list[InspectionRow]


class CardRule(View):
    rule: str
    label_zh: str
    points: int


class CardReason(View):
    unit_kind: str
    unit_id: Optional[str]
    unit_name: Optional[str]
    rule: str
    label_zh: str
    points: int
    subject_id: str
    title: str
    detail: str


class YellowCard(View):
    card_id: str
    unit_kind: str
    unit_id: Optional[str]
    unit_name: Optional[str]
    score: int
    reasons_text: str
    reasons: list[CardReason]


class UnitScore(View):
    unit_kind: str
    unit_id: Optional[str]
    unit_name: Optional[str]
    score: int
    reasons: int
    yellow_card: bool


class YellowCards(ReportView):
    report: Literal["yellow_cards"]
    threshold: int
    rules: list[CardRule]
    cards: list[YellowCard]
    scores: list[UnitScore]
    reasons: list[CardReason]


class TackleRow(View):
    lead_id: str
    title: str
    team_name: Optional[str]
    investment_cny: int
    milestones_due: Optional[str]
    carried_over: Optional[str]
    milestones_reached: int
    milestones_total: int
    progress_pct: int
    latest_reached: Optional[str]
    next_milestone: Optional[str]
    next_planned_date: Optional[Day]


class TackleList(ReportView):
    report: Literal["tackle_list"]
    rows: list[TackleRow]


class ShowcaseRow(View):
    rank: int
    unit_kind: str
    unit_name: str
    projects: int
    investment_cny: int
    replies: int
    replies_on_time: int
    replies_on_time_pct: Optional[int]
    breached_replies: int
    problems_solved: int
    problems_solved_on_time: int
    problems_overdue: int
    score: int


class Showcase(ReportView):
    report: Literal["showcase"]
    score_rule: dict[str, int]
    rows: list[ShowcaseRow]


class AnyReport(RootModel[Annotated[Union[WeeklyInspection, YellowCards, TackleList, Showcase],
                                    Field(discriminator="report")]]):
    pass


# -- leading by example: county leaders' tasks (tasks.py) ---------------------------------------
Area = choice(TASK_AREAS, AREA_LABELS_ZH)
Username = Annotated[str, Field(min_length=1, max_length=64)]
Pct = Annotated[int, Field(ge=0, le=100)]


class TaskCreate(Strict):
    """A county leader's task in one of the five areas, with its due date (a county day)."""

    title: ShortText
    details: Optional[Text] = None
    area: Area
    leader: Username = Field(description="the username of the county leader who owns it")
    due_date: date
    progress_pct: Pct = 0
    progress_note: Optional[Text] = None


class TaskPatch(Strict):
    """What changes: the owning leader records progress only; the supervision office and the
    admin may also change the rest."""

    title: Optional[ShortText] = None
    details: Optional[Text] = None
    area: Optional[Area] = None
    leader: Optional[Username] = None
    due_date: Optional[date] = None
    progress_pct: Optional[Pct] = None
    progress_note: Optional[Text] = None


class TaskFilter(PageQuery):
    leader: Optional[Username] = None
    area: Optional[Area] = None
    status: Optional[choice(TASK_STATUSES, TASK_STATUS_LABELS_ZH)] = None


class TaskStep(View):
    at: Timestamp
    by: str
    step: str
    progress_pct: int
    note: Optional[str] = None


class TaskView(View):
    id: str
    title: str
    details: Optional[str] = None
    area: Literal[TASK_AREAS]  # type: ignore[valid-type]
    area_zh: str
    leader: str
    leader_name: str
    due_date: Day
    progress_pct: int
    progress_note: Optional[str] = None
    status: Literal[TASK_STATUSES]  # type: ignore[valid-type]
    status_zh: str
    done_on: Optional[Day] = None
    overdue: bool
    history: list[TaskStep]
    created_at: Timestamp
    created_by: str
    updated_at: Timestamp
    updated_by: str
    version: int


class TaskPage(Page):
    items: list[TaskView]


class TaskRow(View):
    id: str
    title: str
    area: str
    area_zh: str
    leader: str
    leader_name: str
    due_date: Day
    progress_pct: int
    progress_note: Optional[str] = None
    done_on: Optional[Day] = None
    carried_in: bool


class TaskPeriodView(View):
    period: str
    label_zh: str
    title_zh: str
    from_: Timestamp = Field(alias="from")
    to: Timestamp
    as_of: Timestamp
    final: bool
    status_zh: str


class WeekTaskRow(TaskRow):
    state: Literal[WEEK_STATES]  # type: ignore[valid-type]
    state_zh: str


class WeekLeader(View):
    leader: str
    leader_name: str
    due: int
    done: int
    overdue: int
    carried_in: int
    tasks: list[WeekTaskRow]


class WeeklyArrangement(TaskPeriodView):
    """周安排: what is due in the week, by leader (with what was carried into it, still open)."""

    report: Literal["tasks_weekly"]
    leaders: list[WeekLeader]
    rows: list[WeekTaskRow]


class MonthTaskRow(TaskRow):
    outcome: Literal[TASK_OUTCOMES]  # type: ignore[valid-type]
    outcome_zh: str


class OutcomeCounts(View):
    tasks: int
    done: int
    late: int
    carried_over: int
    pending: int


class MonthTotals(OutcomeCounts):
    carried_in: int


class MonthLeader(MonthTotals):
    leader: str
    leader_name: str


class MonthArea(OutcomeCounts):
    area: str
    area_zh: str


class MonthlyExchange(TaskPeriodView):
    """月交流: the month's tasks done on time, done late, carried over (and not yet due)."""

    report: Literal["tasks_monthly"]
    totals: MonthTotals
    leaders: list[MonthLeader]
    areas: list[MonthArea]
    rows: list[MonthTaskRow]
