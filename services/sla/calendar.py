"""Which days a clock counts: every day, or working days on the Chinese calendar (pure, no I/O).

Working days follow the State Council's holiday table: public holidays are off, make-up
workdays (调休, often a Saturday or Sunday) are on. PyPI `chinese-calendar` carries the tables
up to the year its release covers and raises for a later year. For such a year an admin can
load the table (the State Council publishes it each November); until then Monday to Friday
count and every deadline that touched that year is marked estimated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import chinese_calendar

from shared.errors import InvalidInput, Refusal, field_invalid


class TableRefused(Refusal, ValueError):
    """A holiday table that cannot be (a 422 on the body)."""

    def rpc_error(self) -> InvalidInput:
        return field_invalid(["body"], str(self))


@dataclass(frozen=True)
class HolidayTable:
    """One year's official table, as an admin loads it."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # make-up workdays on a weekend

    def __post_init__(self):
        strays = [d for d in (*self.holidays, *self.workdays) if d.year != self.year]
        if strays:
            raise TableRefused(f"有不在 {self.year} 年的日期：{sorted(strays)[:3]}")
        if self.holidays & self.workdays:
            raise TableRefused("同一天不能既是节假日又是调休工作日")


def packaged_years() -> frozenset[int]:
    """The years `chinese-calendar` has data for."""
    return frozenset(d.year for d in chinese_calendar.constants.holidays)


@dataclass
class WorkingCalendar:
    """Answers "is this a working day?" and remembers when the answer was only an estimate."""

    loaded: dict[int, HolidayTable] = field(default_factory=dict)
    estimated_years: set[int] = field(default_factory=set)

    def covers(self, year: int) -> bool:
        return year in self.loaded or year in packaged_years()

    def is_working_day(self, day: date) -> bool:
        table = self.loaded.get(day.year)
        if table is not None:  # an admin's table wins over the package's
            if day in table.holidays:
                return False
            if day in table.workdays:
                return True
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the package does not cover yet
            self.estimated_years.add(day.year)
            return day.weekday() < 5


class NaturalDays:
    """Every day counts (the 48-hour reply runs through weekends and holidays)."""

    estimated_years: set[int] = frozenset()  # type: ignore[assignment]

    def is_working_day(self, day: date) -> bool:
        return True
