from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Optional

from pydantic import AwareDatetime, Field, RootModel, model_validator

from services.sla.domain import CLOCK_KINDS, CLOCK_STATES
from shared.schemas import Page, PageQuery, Strict, Timestamp, View

Kind = Literal[CLOCK_KINDS]  # type: ignore[valid-type]


class ClockFilter(PageQuery):
    state: Optional[Literal[CLOCK_STATES]] = None  # type: ignore[valid-type]
    kind: Optional[Kind] = None


class ReportQuery(Strict):
    """Clocks started in [from, to); both optional."""

    from_: Optional[AwareDatetime] = Field(default=None, alias="from")
    to: Optional[AwareDatetime] = None
    kind: Kind = "policy_reply"

    @model_validator(mode="after")
    def ordered(self):
        if self.from_ and self.to and self.to <= self.from_:
            raise ValueError("`to` must be after `from`")
        return self


class HolidayTableIn(Strict):
    """A year's official table (国务院办公厅关于…部分节假日安排的通知)."""

    holidays: Annotated[list[date], Field(min_length=1, max_length=60)]
    workdays: Annotated[list[date], Field(max_length=20)] = []


# -- results ----------------------------------------------------------------------------------
class ClockContextView(View):
    title: str
    lead_id: Optional[str] = None
    departments: list[str] = []
    team_id: Optional[str] = None
    project_lead: Optional[str] = None


class ClockView(View):
    """A promise's clock as it stands now (`elapsed_pct` of the target counted so far)."""

    id: str
    kind: str
    label_zh: Optional[str]
    subject_id: str
    started_at: Timestamp
    due_at: Optional[Timestamp]
    elapsed_pct: float
    state: Literal[CLOCK_STATES]  # type: ignore[valid-type]
    estimated: bool
    fired: int
    paused: bool
    stopped_at: Optional[Timestamp]
    counted_hours: float
    context: Optional[ClockContextView]


class ClockPage(Page):
    items: list[ClockView]


class ReplyFigures(View):
    met: int
    met_late: int
    open: int
    overdue_open: int
    met_rate: Optional[float]
    median_hours: Optional[float]
    p90_hours: Optional[float]


class OverallFigures(ReplyFigures):
    clocks: int


class DepartmentFigures(ReplyFigures):
    department: str
    items: int


class SlaReport(View):
    kind: str
    from_: Optional[Timestamp] = Field(alias="from")
    to: Optional[Timestamp]
    generated_at: Timestamp
    overall: OverallFigures
    departments: list[DepartmentFigures]


class HolidayTableView(View):
    year: int
    holidays: list[str]
    workdays: list[str]
    loaded_by: Optional[str] = None
    loaded_at: Optional[Timestamp] = None


class HolidayTables(RootModel[list[HolidayTableView]]):
    pass


class HolidayTableLoaded(View):
    year: int
    holidays: int
    workdays: int
    clocks_reevaluated: int
