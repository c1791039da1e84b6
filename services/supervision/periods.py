"""The supervision rhythm's periods: which week, month, quarter or two months a report covers,
when it falls due, and which instant its figures are taken at (pure, no I/O).

Each report is due at REPORT_AT (09:00 by default) county time:
- weekly inspection `2026-W48`: on the Monday of that ISO week, over the 7 days before it;
- yellow cards `2026-11`: on the 1st of the next month, over the month;
- tackling list `2026Q4`: on the first day of the quarter (the list is the quarter's plan);
- bimonthly results (双月晒实绩) `2026-11`: November and December, on the 1st after them.
A period is known by its key; a report for a period not yet due is refused (422).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
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
            end = local_moment(monday, at)
            return Period(report, key, f"{match[1]}年第{int(match[2])}周", end - timedelta(days=7),
                          end, end, end)
        if report == QUARTERLY:
            match = QUARTER_KEY.match(key)
            first = date(int(match[1]), 3 * int(match[2]) - 2, 1)
            due = local_moment(first, at)
            return Period(report, key, f"{match[1]}年第{match[2]}季度", local_moment(first),
                          local_moment(add_months(first, 3)), due, due)
        match = MONTH_KEY.match(key)
        first = date(int(match[1]), int(match[2]), 1)
    except (TypeError, ValueError):  # no match (None[1]) or no such week or month
        raise invalid(report, f"格式应如 {example}") from None
    if report == MONTHLY:
        after = add_months(first, 1)
        return Period(report, key, f"{first.year}年{first.month}月", local_moment(first),
                      local_moment(after), local_moment(after, at), local_moment(after))
    if first.month % 2 == 0:
        raise invalid(report, "双月期间从单数月开始，如 "
                              f"{first.year}-{first.month - 1:02d} 表示 "
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
    """The most recent period of `report` whose due time has come by `now`."""
    today = now.astimezone(COUNTY_TIME).date()
    if report == WEEKLY:
        candidates = [today - timedelta(days=today.weekday() + 7 * back) for back in (0, 1)]
    elif report == QUARTERLY:
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        candidates = [start, add_months(start, -3)]
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


def due_period(report: str, key: str | None, now: datetime,
               at: time = DEFAULT_REPORT_AT) -> Period:
    """The period asked for (the latest due one when `key` is None); not yet due: 422."""
    if key is None:
        return latest_due(report, now, at)
    period = period_of(report, key, at)
    if period.due_at > now:
        due = period.due_at.astimezone(COUNTY_TIME).strftime("%Y-%m-%d %H:%M")
        raise invalid(report, f"{REPORT_LABELS_ZH[report]} {key} 要到 {due}（北京时间）才生成："
                              "未来的期间还没有报表")
    return period


def parse_report_at(text: str) -> time:
    hours, _, minutes = str(text).partition(":")
    return time(int(hours), int(minutes or 0))
