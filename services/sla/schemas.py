from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

from pydantic import Field, model_validator

from services.sla.domain import CLOCK_KINDS, CLOCK_STATES, KINDS
from shared.schemas import CountyDatetime, PageQuery, Strict, choice

Kind = choice(CLOCK_KINDS, {name: kind.label_zh for name, kind in KINDS.items()})
CLOCK_STATE_LABELS_ZH = {"on_track": "正常", "warning": "预警", "breached": "已超时",
                         "met": "按时办结", "met_late": "超时办结"}


class ClockFilter(PageQuery):
    state: Optional[choice(CLOCK_STATES, CLOCK_STATE_LABELS_ZH)] = None
    kind: Optional[Kind] = None


class ReportQuery(Strict):
    """Clocks started in [from, to); both optional."""

    from_: Optional[CountyDatetime] = Field(default=None, alias="from")
    to: Optional[CountyDatetime] = None
    kind: Kind = "policy_reply"

    @model_validator(mode="after")
    def ordered(self):
        if self.from_ and self.to and self.to <= self.from_:
            raise ValueError("结束时间（to）应晚于开始时间（from）")
        return self


class HolidayTableIn(Strict):
    """A year's official table (国务院办公厅关于…部分节假日安排的通知)."""

    holidays: Annotated[list[date], Field(min_length=1, max_length=60)]
    workdays: Annotated[list[date], Field(max_length=20)] = []
