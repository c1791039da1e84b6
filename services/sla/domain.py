"""Rules about SLA clocks: pure, no I/O.

A clock measures one promise (a 48-hour reply, a 3-day problem feedback, ...) from
`started_at`. Only counted time advances it: time on a counted day (every day, or working
days on the Chinese calendar) that is not inside a pause ("hold"). Thresholds are shares of
the target; each fires at most once, and when several are already past (a backdated
request, a service that was down) only the highest fires.

To add a kind of clock, add a row to KINDS: its target, whether it counts working days,
its warning thresholds, and who is alerted at each (the notifier turns audiences into
addresses).
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Optional
from zoneinfo import ZoneInfo

from services.sla.calendar import HolidayTable, NaturalDays, WorkingCalendar
from shared.change import Change
from nameko.exceptions import deserialize_to_instance

from shared.errors import KuaibanError, NotFound
from shared.events import ClockContext, ClockStopped, SlaBreached, SlaWarning


class SlaError(KuaibanError):
    """Base of the errors the sla service's rules raise."""


@deserialize_to_instance
class ClockNotStarted(SlaError, NotFound):
    """No clock of that kind has started for the subject (yet: its start event may be on its
    way)."""

COUNTY_TIME = ZoneInfo("Asia/Shanghai")  # days begin and end at midnight in the county
BREACH = 100
# Audiences of the county's alert ladder; the notifier turns each into addresses.
AUDIENCES = ("department", "department_leader", "team_leader", "project_lead", "submitter",
             "supervision")
CLOCK_STATES = ("on_track", "warning", "breached", "met", "met_late")
WARNING_STATE_FROM = 75  # the API's `warning`: past 75% of the target
# Counted time within this of a threshold has reached it (float rounding of instants).
EPSILON_SECONDS = 0.001
# A deadline further away than this many days is not searched for (a guard, not a rule).
HORIZON_DAYS = 800


@dataclass(frozen=True)
class ClockKind:
    name: str
    label_zh: str
    target: timedelta  # counted time: hours of the day on counted days
    working_days: bool  # count only working days on the Chinese calendar
    warnings: tuple[int, ...]  # percent of the target; the breach at 100 always follows
    alerts: dict[int, tuple[str, ...]]  # threshold (100 = breach) -> audiences

    @property
    def thresholds(self) -> tuple[int, ...]:
        return (*self.warnings, BREACH)


LADDER = {  # the county's ladder: department first, then the leaders, then supervision
    50: ("department",),
    75: ("department",),
    90: ("team_leader", "project_lead"),
    # The breach reaches whoever owes the reply (the department and its county leader) as
    # well as the supervision office.
    BREACH: ("department", "department_leader", "supervision"),
}
# A policy batch's submitter follows every alert of its items.
POLICY_LADDER = {threshold: (*audiences, "submitter") for threshold, audiences in LADDER.items()}

KINDS: dict[str, ClockKind] = {k.name: k for k in (
    ClockKind("policy_reply", "政策和要素保障诉求48小时答复", timedelta(hours=48), False,
              (50, 75, 90), POLICY_LADDER),
    ClockKind("problem_feedback", "问题3日内反馈", timedelta(days=3), True, (50, 75, 90), LADDER),
    ClockKind("problem_general", "一般问题7日内解决", timedelta(days=7), True, (50, 75, 90),
              LADDER),
    ClockKind("problem_complex", "复杂问题1个月内解决", timedelta(days=30), False, (50, 75, 90),
              LADDER),
    ClockKind("plan_progress_report", "月度进展报告", timedelta(days=30), False, (75, 90),
              {75: ("department",), 90: ("department", "team_leader"),
               BREACH: ("department", "department_leader", "supervision")}),
)}
CLOCK_KINDS = tuple(KINDS)


def item_subject(request_id: str, n: int) -> str:
    """The subject of one policy item's clock: each item of a batch keeps its own 48 hours."""
    return f"{request_id}-{n}"


def audiences_reached(alerts: dict, fired_before: int, fire: int) -> list[str]:
    """Who hears of threshold `fire`: its rung of the ladder and every rung skipped on the way
    (a batch received already late alerts the department as well as the supervision office)."""
    found: list[str] = []
    for threshold in sorted(int(t) for t in alerts):
        if fired_before < threshold <= fire:
            found += [a for a in alerts[str(threshold)] if a not in found]
    return found


def kind_targets(kinds: dict[str, ClockKind], override: str | None) -> dict[str, ClockKind]:
    """KINDS with targets overridden by a setting like "policy_reply=48h,problem_general=7d"."""
    if not override or not override.strip():
        return kinds
    result = dict(kinds)
    for part in override.split(","):
        name, _, value = part.strip().partition("=")
        if name not in kinds or len(value) < 2 or value[-1] not in "hd":
            raise ValueError(f"SLA_TARGETS: {part!r} is not <kind>=<number>h|d of a known kind")
        amount = float(value[:-1])
        if amount <= 0:
            raise ValueError(f"SLA_TARGETS: {part!r} must be positive")
        target = timedelta(hours=amount) if value[-1] == "h" else timedelta(days=amount)
        result[name] = ClockKind(**{**kinds[name].__dict__, "target": target})
    return result


def kind_days(kinds: dict[str, ClockKind], override: str | None) -> dict[str, ClockKind]:
    """KINDS with natural or working days overridden by a setting like
    "problem_feedback=working,problem_general=natural" (the county decides which it promises)."""
    if not override or not override.strip():
        return kinds
    result = dict(kinds)
    for part in override.split(","):
        name, _, value = part.strip().partition("=")
        if name not in kinds or value.strip() not in ("natural", "working"):
            raise ValueError(f"SLA_DAYS: {part!r} is not <kind>=natural|working of a known kind")
        result[name] = ClockKind(**{**kinds[name].__dict__,
                                    "working_days": value.strip() == "working"})
    return result


# --- counted time -------------------------------------------------------------------------

Hold = tuple[datetime, Optional[datetime]]  # (since, until); until None: still paused
FOREVER = datetime.max.replace(tzinfo=timezone.utc)


def merged_holds(holds: Iterable[Hold]) -> list[tuple[datetime, datetime]]:
    """Overlapping pauses as one; an open pause runs to FOREVER."""
    spans = sorted((since, until or FOREVER) for since, until in holds if until is None
                   or until > since)
    merged: list[list[datetime]] = []
    for since, until in spans:
        if merged and since <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], until)
        else:
            merged.append([since, until])
    return [(a, b) for a, b in merged]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), COUNTY_TIME).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), COUNTY_TIME).astimezone(timezone.utc)
    return start, end


def free_pieces(start: datetime, end: datetime, holds: list[tuple[datetime, datetime]]):
    """[start, end) less the holds, in order."""
    cursor = start
    for since, until in holds:
        if until <= cursor or since >= end:
            continue
        if since > cursor:
            yield cursor, since
        cursor = max(cursor, until)
        if cursor >= end:
            return
    if cursor < end:
        yield cursor, end


def counted_seconds(start: datetime, end: datetime, holds: Iterable[Hold], days) -> float:
    """Counted time between start and end: on counted days, outside the holds."""
    if end <= start:
        return 0.0
    spans = merged_holds(holds)
    total = 0.0
    day = start.astimezone(COUNTY_TIME).date()
    while True:
        day_start, day_end = day_bounds(day)
        if day_start >= end:
            return total
        if days.is_working_day(day):
            for a, b in free_pieces(max(start, day_start), min(end, day_end), spans):
                total += (b - a).total_seconds()
        day += timedelta(days=1)


def instant_after(start: datetime, seconds: float, holds: Iterable[Hold], days) -> datetime | None:
    """When `seconds` of counted time will have passed since start; None while paused for good."""
    spans = merged_holds(holds)
    remaining = max(seconds, 0.0)
    day = start.astimezone(COUNTY_TIME).date()
    for _ in range(HORIZON_DAYS):
        day_start, day_end = day_bounds(day)
        if days.is_working_day(day):
            for a, b in free_pieces(max(start, day_start), day_end, spans):
                length = (b - a).total_seconds()
                if length >= remaining:
                    return a + timedelta(seconds=remaining)
                remaining -= length
        if spans and spans[-1][1] == FOREVER and spans[-1][0] < day_end:
            return None  # an open pause: no time counts from here on
        day += timedelta(days=1)
    return None


# --- a clock's evaluation ---------------------------------------------------------------

@dataclass(frozen=True)
class ClockFacts:
    """What a clock knows, as stored: its start, pauses, stop and the threshold last fired."""

    started_at: datetime
    target_seconds: float
    working_days: bool
    thresholds: tuple[int, ...]
    holds: tuple[Hold, ...] = ()
    stopped_at: datetime | None = None
    fired: int = 0  # the highest threshold already fired (0: none)


@dataclass(frozen=True)
class Evaluation:
    state: str
    elapsed_pct: float
    counted_seconds: float
    due_at: datetime | None  # with a pause still open: as if it ended now
    next_threshold_at: datetime | None  # when the scan must look again; None: never
    fire: int | None  # the threshold to fire now (the highest passed, not yet fired)
    fired: int  # the highest threshold fired after this evaluation
    estimated: bool  # a year without a holiday table was counted Monday to Friday


def days_counted(working_days: bool, tables: dict[int, HolidayTable] | None = None):
    return WorkingCalendar(dict(tables or {})) if working_days else NaturalDays()


def evaluate(clock: ClockFacts, now: datetime,
             tables: dict[int, HolidayTable] | None = None) -> Evaluation:
    days = days_counted(clock.working_days, tables)
    end = clock.stopped_at or now
    # An open pause counts as ending at `end`, for the figures shown now.
    holds_to_end = tuple((since, until or max(since, end)) for since, until in clock.holds)
    counted = counted_seconds(clock.started_at, end, clock.holds, days)
    target = clock.target_seconds
    pct = 100.0 * counted / target
    due_at = instant_after(clock.started_at, target, holds_to_end, days)

    if clock.stopped_at is not None:
        state = "met" if counted <= target + EPSILON_SECONDS else "met_late"
        return Evaluation(state, round(pct, 2), counted, due_at, None, None, clock.fired,
                          bool(days.estimated_years))

    passed = [t for t in clock.thresholds
              if counted + EPSILON_SECONDS >= t / 100.0 * target]
    highest = max(passed, default=0)
    fire = highest if highest > clock.fired else None
    fired = max(clock.fired, highest)
    upcoming = [t for t in clock.thresholds if t > fired]
    next_at = (instant_after(clock.started_at, upcoming[0] / 100.0 * target, clock.holds, days)
               if upcoming else None)
    if pct + 1e-9 >= BREACH:
        state = "breached"
    elif pct + 1e-9 >= WARNING_STATE_FROM:
        state = "warning"
    else:
        state = "on_track"
    return Evaluation(state, round(pct, 2), counted, due_at, next_at, fire, fired,
                      bool(days.estimated_years))


# --- from one clock per batch to one clock per item (a one-off migration) -----------------

def split_batch_clock(doc: dict, now: datetime) -> list[dict]:
    """The clocks of a batch clock's items (the shape before per-item clocks): each starts
    when the batch did, keeps only its own pauses (keys "item-<n>-<k>"), stops at its own
    reply, and keeps the thresholds already fired so that nobody is alerted twice."""
    context = dict(doc.get("context") or {})
    request_id = doc["subject_id"]
    clocks = []
    for n, part in sorted((doc.get("parts") or {}).items(), key=lambda p: int(p[0])):
        department = part.get("department")
        holds = {key: hold for key, hold in (doc.get("holds") or {}).items()
                 if key.startswith(f"item-{n}-")}
        stopped_at = part.get("done_at") or doc.get("stopped_at")
        subject = item_subject(request_id, int(n))
        clock = {
            "_id": f"{doc['kind']}:{subject}", "kind": doc["kind"], "subject_id": subject,
            "started_at": doc.get("started_at"), "target_seconds": doc.get("target_seconds"),
            "working_days": doc.get("working_days"), "thresholds": doc.get("thresholds"),
            "alerts": doc.get("alerts"), "label_zh": doc.get("label_zh"),
            "context": {**context, "title": f"{context.get('title', '')}（第{n}项）",
                        "departments": [department] if department else [],
                        "request_id": request_id, "item": int(n)},
            "holds": holds, "stopped_at": stopped_at, "department": department,
            "fired": doc.get("fired", 0), "fired_at": doc.get("fired_at") or {},
            # Evaluated at once: a stopped item announces its own met or met_late.
            "state": "on_track",
            # Due for evaluation at once, whatever the service's clock reads.
            "version": 0, "next_threshold_at": doc.get("started_at") or now,
            "created_at": doc.get("created_at", now),
            "updated_at": now, "migrated_from": doc["_id"],
        }
        clocks.append(clock)
    return clocks


# --- the report -------------------------------------------------------------------------

@dataclass(frozen=True)
class PartDone:
    department: str
    counted_seconds: float | None  # None: not done yet


@dataclass(frozen=True)
class ReportRow:
    state: str
    counted_seconds: float
    target_seconds: float
    parts: tuple[PartDone, ...] = field(default_factory=tuple)


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def figures(durations: list[float], met: int, late: int, open_: int, overdue: int) -> dict:
    judged = met + late + overdue  # an open clock past its target is already a miss
    hours = [d / 3600.0 for d in durations]
    return {
        "met": met, "met_late": late, "open": open_, "overdue_open": overdue,
        "met_rate": round(met / judged, 4) if judged else None,
        "median_hours": round(statistics.median(hours), 2) if hours else None,
        "p90_hours": round(nearest_rank(hours, 0.9), 2) if hours else None,
    }


def sla_report(rows: Iterable[ReportRow]) -> dict:
    """Met rate, median and p90 time to reply, overall (per clock) and per department (per part)."""
    rows = list(rows)
    closed = [r for r in rows if r.state in ("met", "met_late")]
    overall = figures(
        [r.counted_seconds for r in closed],
        met=sum(r.state == "met" for r in rows),
        late=sum(r.state == "met_late" for r in rows),
        open_=sum(r.state not in ("met", "met_late") for r in rows),
        overdue=sum(r.state == "breached" for r in rows),
    )
    by_department: dict[str, dict] = {}
    for row in rows:
        for part in row.parts:
            d = by_department.setdefault(part.department,
                                         {"durations": [], "met": 0, "late": 0, "open": 0,
                                          "overdue": 0, "items": 0})
            d["items"] += 1
            if part.counted_seconds is None:
                d["open"] += 1
                d["overdue"] += row.counted_seconds > row.target_seconds
            else:
                d["durations"].append(part.counted_seconds)
                on_time = part.counted_seconds <= row.target_seconds + EPSILON_SECONDS
                d["met" if on_time else "late"] += 1
    departments = [
        {"department": name, "items": d["items"],
         **figures(d["durations"], d["met"], d["late"], d["open"], d["overdue"])}
        for name, d in sorted(by_department.items())
    ]
    return {"overall": {"clocks": len(rows), **overall}, "departments": departments}


# -- a clock's evaluation as a change: its outcome and the events it fires ---------------------
def settled(doc: dict, facts: ClockFacts, result: Evaluation, now: datetime) -> Change:
    """The outcome of evaluating a stored clock at `now`: its state and figures, the threshold
    fired (with its warning or breach), and `clock_stopped` the first time it is seen stopped."""
    outcome: dict = {
        "state": result.state, "fired": result.fired, "elapsed_pct": result.elapsed_pct,
        "counted_seconds": result.counted_seconds, "due_at": result.due_at,
        "estimated": result.estimated, "next_threshold_at": result.next_threshold_at,
        "evaluated_at": now,
    }
    events: list = []
    if result.fire is not None:
        events.append(alert(doc, result))
        outcome[f"fired_at.{result.fire}"] = now
    if facts.stopped_at is not None and doc.get("state") not in ("met", "met_late"):
        events.append(ClockStopped(
            clock_id=doc["_id"], kind=doc["kind"], subject_id=doc["subject_id"],
            state=result.state, started_at=facts.started_at, stopped_at=facts.stopped_at,
            # A stopped clock's due time is known: no pause of it is open any more.
            due_at=result.due_at,  # type: ignore[arg-type]
            counted_seconds=round(result.counted_seconds, 3)))
    return Change(set=outcome, events=tuple(events))


def alert(doc: dict, result: Evaluation) -> SlaWarning | SlaBreached:
    """The warning (or, at 100%, the breach) a fired threshold sends to the ladder's rungs."""
    assert result.fire is not None
    common = dict(
        clock_id=doc["_id"], kind=doc["kind"], subject_id=doc["subject_id"],
        label_zh=doc.get("label_zh") or doc["kind"], elapsed_pct=result.elapsed_pct,
        started_at=doc["started_at"], due_at=result.due_at, estimated=result.estimated,
        notify=audiences_reached(doc.get("alerts") or {}, doc.get("fired", 0), result.fire),
        context=ClockContext(**dict(doc.get("context") or {})),
    )
    if result.fire >= BREACH:
        return SlaBreached(**common)
    return SlaWarning(threshold=result.fire, **common)
