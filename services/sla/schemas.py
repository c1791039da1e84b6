from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Optional

from pydantic import AwareDatetime, Field, model_validator

from services.sla.domain import CLOCK_KINDS, CLOCK_STATES
from shared.schemas import PageQuery, Strict

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
