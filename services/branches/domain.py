"""Rules about branches, trips, visits, nightly summaries and results: pure, no I/O.

Times are stored in UTC; a trip's days, the summary deadline and result periods are in the
county's local time (Asia/Shanghai unless configured otherwise).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Iterable

from services.leads.domain import STAGES
from shared import scope
from shared.change import Change
from shared.errors import Conflict, Refusal
from shared.events import LeadSourced, TripDayUnreported
from shared.messages_zh import field_message
from shared.company import company_name_key

class BranchesRefusal(Refusal):
    """A rule of the branches refused a request: a 409 whose extra is `answer`."""

    def __init__(self, message: str, answer: dict | None = None):
        super().__init__(message)
        self.answer = answer or {}

    def rpc_error(self) -> Conflict:
        return Conflict(str(self), self.answer)


# A lead at any of these stages is a signed project.
SIGNED_STAGES = frozenset(STAGES[STAGES.index("signed"):])
INTEREST_LEVELS = ("high", "medium", "low", "none")

READ_ALL_ROLES = frozenset({"admin", "leader", "inspector"})
WRITE_ALL_ROLES = frozenset({"admin"})

# The longest trip the service takes: outbound trips run days, not seasons.
MAX_TRIP_DAYS = 60
# A phone's clock may run a little ahead of the server's; beyond this a visit is "in the future".
VISIT_CLOCK_SKEW = timedelta(minutes=10)


# --- branches --------------------------------------------------------------------------

def check_branches(branches: list[dict]) -> list[dict]:
    """Each branch has an id, names and at least one region; ids are unique; the secretary
    is one of the members."""
    seen = set()
    for branch in branches:
        for field in ("_id", "name", "name_zh", "regions"):
            if not branch.get(field):
                raise ValueError(f"branch {branch.get('_id', '?')} lacks {field}")
        if branch["_id"] in seen:
            raise ValueError(f"branch {branch['_id']} listed twice")
        problem = secretary_problem(branch.get("secretary"), branch.get("members") or [])
        if problem:
            raise ValueError(f"branch {branch['_id']}: {problem}")
        seen.add(branch["_id"])
    return branches


def secretary_problem(secretary: dict | None, members: list[dict]) -> str | None:
    """Why this secretary cannot be the branch's, or None. Alerts go to the secretary by
    username, so the secretary must be a member with a username."""
    if secretary is None:
        return None
    if secretary.get("username") not in {m.get("username") for m in members}:
        return f"书记 {secretary.get('username')} 不是支部成员"
    return None


# --- who may see and write what ------------------------------------------------------------

def may_read(viewer: dict, branch_id: str) -> bool:
    """admin, leader and inspector read every branch; a branch member only the own branch."""
    return scope.may_see_trip(viewer, {"branch_id": branch_id})


def may_write(viewer: dict, branch_id: str) -> bool:
    """admin writes every branch's trips and visits; a branch member only the own branch's."""
    return scope.may_act_on_trip(viewer, {"branch_id": branch_id})


# --- trips and their days ----------------------------------------------------------------

def trip_date_problems(start: date, end: date) -> list[dict]:
    """Field errors ({loc, msg}) for a trip's dates; empty when they are fine."""
    if end < start:
        return [{"loc": ["body", "end_date"], "msg": field_message(
            ["body", "end_date"], f"行程结束（{end}）早于开始（{start}）")}]
    if (end - start).days + 1 > MAX_TRIP_DAYS:
        return [{"loc": ["body", "end_date"], "msg": field_message(
            ["body", "end_date"], f"行程最多 {MAX_TRIP_DAYS} 天")}]
    return []


def trip_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def visit_time_problem(visited_at: datetime, now: datetime, start: date, end: date,
                       zone: tzinfo) -> str | None:
    """Why a visit at `visited_at` cannot belong to a trip from `start` to `end`, or None."""
    if visited_at > now + VISIT_CLOCK_SKEW:
        return "不能提前记录拜访"
    day = local_day(visited_at, zone)
    if not start <= day <= end:
        return f"拜访日期 {day} 不在行程日期 {start} 至 {end} 之内"
    return None


def parse_summary_time(value) -> time:
    """The nightly summary time from configuration: "HH:MM" (local)."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"BRANCH_SUMMARY_AT must be HH:MM, got {value!r}")
    return time(int(match[1]), int(match[2]))


def summary_deadline(day: date, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def days_due(start: date, end: date, now: datetime, at: time, zone: tzinfo) -> list[date]:
    """The trip's days whose summary time has passed."""
    return [d for d in trip_days(start, end) if summary_deadline(d, at, zone) <= now]


# --- nightly summaries -------------------------------------------------------------------

def summary_figures(day: date, visits: list[dict], targets: list[dict],
                    visits_so_far: Iterable[dict]) -> dict:
    """A day's summary from its visits: how many, which companies, interest, follow-ups,
    and the trip's targets not yet visited by the end of the day.

    `visits` are the day's visits; `visits_so_far` every visit of the trip up to that day.
    """
    ordered = sorted(visits, key=lambda v: v["visited_at"])
    interest = {level: 0 for level in (*INTEREST_LEVELS, "unknown")}
    for visit in ordered:
        interest[visit.get("interest") or "unknown"] += 1
    visited_names = {company_name_key(v["company"]) for v in visits_so_far}
    return {
        "day": day.isoformat(),
        "visit_count": len(ordered),
        "companies": [
            {"visit_id": v["_id"], "company": v["company"], "visited_at": v["visited_at"],
             "interest": v.get("interest"), "outcome": v.get("outcome"),
             "next_step": v.get("next_step"), "lead_id": v.get("lead_id")}
            for v in ordered
        ],
        "interest": interest,
        "follow_ups": [
            {"visit_id": v["_id"], "company": v["company"], "next_step": v["next_step"]}
            for v in ordered if v.get("next_step")
        ],
        "targets_not_visited": [
            t["company"] for t in targets
            if company_name_key(t["company"]) not in visited_names
        ],
    }


# --- results -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; either end may be open."""

    start: datetime | None = None
    end: datetime | None = None

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        return (self.start is None or moment >= self.start) and (
            self.end is None or moment < self.end)


def local_period(first: date | None, last: date | None, zone: tzinfo) -> Period:
    """The local days `first` to `last`, both included, as a UTC period."""
    start = datetime.combine(first, time(0), tzinfo=zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone) if last else None
    return Period(start, end)


def is_signed(stage: str) -> bool:
    return stage in SIGNED_STAGES


def branch_results(branch_id: str, visits: int, leads: list[dict], period: Period) -> dict:
    """One branch's results for a period from its visit count and its sourced leads
    (projection rows with `sourced_at`, `signed_at`, `investment_cny`).

    - leads_sourced: leads the branch brought in during the period;
    - signed / investment_signed_cny: its leads that reached signing during the period;
    - conversion_rate: of the leads sourced in the period, the share signed by now;
    - visit_to_lead_rate: leads sourced per visit in the period.
    """
    sourced = [row for row in leads if period.contains(row.get("sourced_at"))]
    signed = [row for row in leads if period.contains(row.get("signed_at"))]
    sourced_and_signed = [row for row in sourced if row.get("signed_at") is not None]
    return {
        "branch_id": branch_id,
        "visits": visits,
        "leads_sourced": len(sourced),
        "signed": len(signed),
        "investment_signed_cny": sum(int(row.get("investment_cny") or 0) for row in signed),
        "conversion_rate": ratio(len(sourced_and_signed), len(sourced)),
        "visit_to_lead_rate": ratio(len(sourced), visits),
    }


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def ranking(results: list[dict]) -> list[dict]:
    """Branches best first: investment signed, then projects signed, then leads sourced, then
    visits. Equal figures share a rank (1, 1, 3)."""
    def key(r):
        return (-r["investment_signed_cny"], -r["signed"], -r["leads_sourced"], -r["visits"])

    ordered = sorted(results, key=lambda r: (key(r), r["branch_id"]))
    ranked, previous, rank = [], None, 0
    for position, row in enumerate(ordered, start=1):
        if key(row) != previous:
            rank, previous = position, key(row)
        ranked.append({"rank": rank, **row})
    return ranked


def apply_stage_change(row: dict | None, to_stage: str, at: datetime) -> dict:
    """The projection fields after a lead moved to `to_stage` at `at`: the stage, and when it
    was first signed (cleared if it falls back before signing). Older news than what the row
    already reflects changes nothing, so redelivered or reordered events are harmless."""
    row = row or {}
    if row.get("stage_at") is not None and at < row["stage_at"]:
        return {}
    fields = {"stage": to_stage, "stage_at": at}
    if is_signed(to_stage):
        fields["signed_at"] = row.get("signed_at") or at
    else:
        fields["signed_at"] = None
    return fields


def summary_id(trip_id: str, day) -> str:
    return f"{trip_id}:{day}"


def lead_sourced(visit: dict, trip: dict, lead_in, lead_id: str, by: str,
                 now: datetime) -> tuple[dict, Change]:
    """A visit becoming a lead of the branch: the claim on the company (what the first report
    keeps), and the visit's change naming the lead, with `lead_sourced`. 409 for a visit that
    became a lead already."""
    if visit.get("lead_id"):
        raise BranchesRefusal("这次拜访已转为线索", {"existing_id": visit["lead_id"]})
    company = lead_in.company_name or visit["company"]
    credit_code = lead_in.credit_code or visit.get("credit_code")
    claim = {"lead_id": lead_id, "branch_id": trip["branch_id"], "visit_id": visit["_id"],
             "company_name": company, "credit_code": credit_code, "claimed_at": now,
             "claimed_by": by}
    return claim, Change(set={"lead_id": lead_id}, events=(LeadSourced(
        lead_id=lead_id, branch_id=trip["branch_id"], trip_id=trip["_id"],
        visit_id=visit["_id"], sourced_by=by, title=lead_in.title or company,
        company_name=company, credit_code=credit_code, industry=lead_in.industry,
        investment_cny=lead_in.investment_cny, land_mu=lead_in.land_mu,
        region=lead_in.region or trip["destination"],
        contact=(lead_in.contact.model_dump(exclude_none=True) if lead_in.contact
                 else visit.get("contact")),
        first_contact_at=visit["visited_at"], notes=lead_in.notes or visit.get("notes")),))


def day_summary(trip: dict, day: date, figures: dict, written: dict | None, secretary: str,
                now: datetime) -> tuple[dict, tuple]:
    """A trip day's nightly summary, and `trip_day_unreported` when the day had no visit and
    nobody wrote about it (the secretary is told)."""
    unreported = figures["visit_count"] == 0 and written is None
    summary = {"_id": summary_id(trip["_id"], day), "trip_id": trip["_id"],
               "branch_id": trip["branch_id"], "destination": trip["destination"],
               "produced_at": now, **figures, "unreported": unreported}
    if not unreported:
        return summary, ()
    return summary, (TripDayUnreported(branch_id=trip["branch_id"], trip_id=trip["_id"],
                                       day=day, destination=trip["destination"],
                                       secretary=secretary),)
