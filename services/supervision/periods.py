"""The supervision rhythm's periods: which week, month, quarter or two months a report covers,
when it falls due, and which instant its figures are taken at (pure, no I/O).

Each report is final at REPORT_AT (09:00 by default) county time after its period closes:
- weekly inspection `2026-W48` (ISO week 48, 23-29 November): on the Monday after, 30 November;
- yellow cards `2026-11`: on the 1st of the next month, over the month;
- tackling list `2026Q4`: the quarter's major projects and milestones, on the 1st after it;
- bimonthly results (双月晒实绩) `2026-11`: November and December, on the 1st after them.
Until then the period's report is provisional (进行中): computed on request, as of now, never
stored. A period not yet begun, or one that closed before the county's first record, is 422.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from shared.errors import InvalidInput, field_invalid

COUNTY_TIME = ZoneInfo("Asia/Shanghai")
DEFAULT_REPORT_AT = time(9, 0)

WEEKLY, MONTHLY, QUARTERLY, BIMONTHLY = (
    "weekly_inspection", "yellow_cards", "tackle_list", "showcase")
REPORTS = (WEEKLY, MONTHLY, QUARTERLY, BIMONTHLY)
REPORT_LABELS_ZH = {
    WEEKLY: "项目进度周督查",
    MONTHLY: "月度黄牌单位评选",
    QUARTERLY: "季度项目攻坚清单",
    BIMONTHLY: "双月晒实绩",
}
# The query parameter that names each report's period, and an example of its form.
PERIOD_PARAMS = {WEEKLY: ("week", "2026-W48"), MONTHLY: ("month", "2026-11"),
                 QUARTERLY: ("quarter", "2026Q4"), BIMONTHLY: ("period", "2026-11")}

WEEK_KEY = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_KEY = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER_KEY = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Period:
    report: str
    key: str
    label_zh: str
    start: datetime  # the window the report looks at: [start, end), UTC
    end: datetime
    due_at: datetime  # when it is produced
    as_of: datetime  # the instant its state figures (open problems, milestones) are taken at

    @property
    def as_of_day(self) -> date:
        """The last county day the figures include (a milestone of that day counts as reached)."""
        return (self.as_of - timedelta(microseconds=1)).astimezone(COUNTY_TIME).date()


def local_day(moment: datetime) -> date:
    return moment.astimezone(COUNTY_TIME).date()


def local_moment(day: date, at: time = time(0)) -> datetime:
    return datetime.combine(day, at, COUNTY_TIME).astimezone(timezone.utc)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def invalid(report: str, message: str) -> InvalidInput:
    param = PERIOD_PARAMS[report][0]
    return field_invalid(["query", param], message)


def month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def period_of(report: str, key: str, at: time = DEFAULT_REPORT_AT) -> Period:
    """The period named `key`; a malformed key is InvalidInput naming the query parameter."""
    if report not in REPORTS:
        raise field_invalid(["body", "report"], f"应为以下之一：{'、'.join(REPORTS)}")
    key = (key or "").strip()
    param, example = PERIOD_PARAMS[report]
    try:
        if report == WEEKLY:
            match = WEEK_KEY.match(key)
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            after = monday + timedelta(days=7)
            label = (f"{match[1]}年第{int(match[2])}周"
                     f"（{month_day(monday)}—{month_day(after - timedelta(days=1))}）")
            return Period(report, key, label, local_moment(monday), local_moment(after),
                          local_moment(after, at), local_moment(after))
        if report == QUARTERLY:
            match = QUARTER_KEY.match(key)
            first = date(int(match[1]), 3 * int(match[2]) - 2, 1)
            after = add_months(first, 3)
            return Period(report, key, f"{match[1]}年第{match[2]}季度", local_moment(first),
                          local_moment(after), local_moment(after, at), local_moment(after))
        match = MONTH_KEY.match(key)
        first = date(int(match[1]), int(match[2]), 1)
        # A month at the calendar's ends has no instant in UTC or no period after it.
        local_moment(first), local_moment(add_months(first, 2), at)
    except (TypeError, ValueError, OverflowError):  # no match (None[1]), no such week or month
        raise invalid(report, f"{param} 的格式应如 {example}") from None
    if report == MONTHLY:
        after = add_months(first, 1)
        return Period(report, key, f"{first.year}年{first.month}月", local_moment(first),
                      local_moment(after), local_moment(after, at), local_moment(after))
    if first.month % 2 == 0:
        raise invalid(report, "双月期从单月开始，例如 "
                              f"{first.year}-{first.month - 1:02d} 即"
                              f"{first.month - 1}-{first.month}月")
    after = add_months(first, 2)
    return Period(report, key, f"{first.year}年{first.month}-{first.month + 1}月",
                  local_moment(first), local_moment(after), local_moment(after, at),
                  local_moment(after))


def key_of(report: str, day: date) -> str:
    """The key of the period of `report` that contains (or, weekly, starts the week of) `day`."""
    if report == WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if report == QUARTERLY:
        return f"{day.year}Q{(day.month - 1) // 3 + 1}"
    if report == BIMONTHLY:
        return f"{day.year}-{day.month - (day.month + 1) % 2:02d}"
    return f"{day.year}-{day.month:02d}"


def latest_due(report: str, now: datetime, at: time = DEFAULT_REPORT_AT) -> Period:
    """The most recent period of `report` whose final report has fallen due by `now`."""
    today = now.astimezone(COUNTY_TIME).date()
    if report == WEEKLY:
        candidates = [today - timedelta(days=today.weekday() + 7 * back) for back in (1, 2)]
    elif report == QUARTERLY:
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        candidates = [add_months(start, -3), add_months(start, -6)]
    elif report == MONTHLY:
        candidates = [add_months(today.replace(day=1), back) for back in (-1, -2)]
    else:
        start = date(today.year, today.month - (today.month + 1) % 2, 1)
        candidates = [add_months(start, -2), add_months(start, -4)]
    for day in candidates:
        period = period_of(report, key_of(report, day), at)
        if period.due_at <= now:
            return period
    raise AssertionError("one of the two latest periods is always due")  # pragma: no cover


def current_period(report: str, now: datetime, at: time = DEFAULT_REPORT_AT) -> Period:
    """The period `now` falls in (its report is provisional until it closes)."""
    return period_of(report, key_of(report, now.astimezone(COUNTY_TIME).date()), at)


def provisional(period: Period, now: datetime) -> Period:
    """The period's figures as they stand now: a live board, never stored."""
    return replace(period, as_of=min(now, period.as_of))


def is_final(period: Period, now: datetime) -> bool:
    return period.due_at <= now


def due_period(report: str, key: str | None, now: datetime,
               at: time = DEFAULT_REPORT_AT) -> Period:
    """The period asked for (the latest final one when `key` is None); not yet begun: 422.
    A period that has begun and is not final yet is answered provisionally (is_final)."""
    if key is None:
        return latest_due(report, now, at)
    period = period_of(report, key, at)
    if period.start > now:
        begins = period.start.astimezone(COUNTY_TIME).strftime("%Y-%m-%d")
        raise invalid(report, f"{REPORT_LABELS_ZH[report]} {key} 自{begins}起才开始，"
                              "未来的期间还没有报表")
    return period


def check_recorded(report: str, period: Period, first_record: datetime | None) -> None:
    """A period that closed before the county's first record (or with none at all) is 422:
    there is nothing to report, and nothing is computed or stored for it."""
    if first_record is None or period.end <= first_record:
        since = ("本县尚无任何记录" if first_record is None else
                 f"本县最早的记录在{first_record.astimezone(COUNTY_TIME).strftime('%Y-%m-%d')}")
        raise invalid(report, f"{REPORT_LABELS_ZH[report]} {period.key} 早于本县第一条记录"
                              f"（{since}），没有可督查的内容")


def parse_report_at(text: str) -> time:
    hours, _, minutes = str(text).partition(":")
    return time(int(hours), int(minutes or 0))
