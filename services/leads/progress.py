"""The plan, the dynamic progress table (动态进度表) and the cycle times: pure figures, no I/O.

Dates here are calendar days in the county (Asia/Shanghai): "signed 21 days after first
contact" counts days on the county's calendar, whatever the hour of the meeting.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.events import MilestoneReached

COUNTY_TZ = ZoneInfo("Asia/Shanghai")

# Arriving at these stages reaches the milestone of the same meaning in the plan.
STAGE_MILESTONES = {
    "signed": "signed", "land": "land_listed",
    "construction": "groundbreaking", "production": "production",
}

# Milestones the county names; a plan may add its own keys with their own labels.
MILESTONE_LABELS_ZH = {
    "signed": "签约",
    "relocation_done": "居民搬迁完成",
    "land_listed": "土地挂牌",
    "land_delivered": "交地",
    "groundbreaking": "开工",
    "trial_production": "试生产",
    "production": "投产",
}

# (key, label, from milestone, to milestone): the spans the county reports on.
CYCLE_TIMES = (
    ("contact_to_signing", "首次接触至签约", "first_contact", "signed"),
    ("signing_to_relocation", "签约至居民搬迁完成", "signed", "relocation_done"),
    ("signing_to_land_listed", "签约至土地挂牌", "signed", "land_listed"),
    ("signing_to_groundbreaking", "签约至开工", "signed", "groundbreaking"),
    ("groundbreaking_to_trial_production", "开工至试生产", "groundbreaking", "trial_production"),
    ("groundbreaking_to_production", "开工至投产", "groundbreaking", "production"),
    ("contact_to_production", "首次接触至投产", "first_contact", "production"),
)


def county_date(moment: datetime) -> date:
    return moment.astimezone(COUNTY_TZ).date()


def label_of(milestone: str, label: str | None = None) -> str:
    return label or MILESTONE_LABELS_ZH.get(milestone, milestone)


def duplicate_milestones(plan: list[dict]) -> list[str]:
    seen, twice = set(), []
    for item in plan:
        if item["milestone"] in seen and item["milestone"] not in twice:
            twice.append(item["milestone"])
        seen.add(item["milestone"])
    return twice


def milestone_dates(first_contact_at: datetime | None, stage_history: list[dict],
                    actuals: dict[str, date]) -> dict[str, date]:
    """When each milestone happened: the recorded actual date, else the first forward arrival
    at its stage; `first_contact` from the lead's first contact."""
    dates: dict[str, date] = {}
    if first_contact_at is not None:
        dates["first_contact"] = county_date(first_contact_at)
    for entry in stage_history:
        milestone = STAGE_MILESTONES.get(entry["stage"])
        if milestone and entry.get("kind") != "backward" and milestone not in dates:
            dates[milestone] = county_date(entry["at"])
    dates.update(actuals)
    return dates


def recorded_actuals(lead: dict) -> dict[str, date]:
    """The actual dates recorded by hand on the lead (`milestones`)."""
    return {key: date.fromisoformat(m["actual_date"])
            for key, m in (lead.get("milestones") or {}).items()}


def plan_of(lead: dict) -> list[dict]:
    """The plan of the lead's four ones, each planned date as a date."""
    four_ones = lead.get("four_ones") or {}
    return [{**item, "planned_date": date.fromisoformat(item["planned_date"])}
            for item in four_ones.get("plan", [])]


def dates_of(lead: dict) -> dict[str, date]:
    """When each of the lead's milestones happened (milestone_dates of the lead)."""
    return milestone_dates(lead.get("first_contact_at"), lead.get("stage_history") or [],
                           recorded_actuals(lead))


def milestone_reached(lead: dict, item: dict, actual: date, previous: date | None,
                      by: str) -> MilestoneReached:
    """`milestone_reached` for the plan's `item`, reached on `actual` (`previous`: the date it
    had before, when it is recorded again)."""
    return MilestoneReached(
        lead_id=lead["_id"], title=lead["title"], milestone=item["milestone"],
        label=label_of(item["milestone"], item.get("label")),
        planned_date=item["planned_date"], actual_date=actual,
        days_late=(actual - item["planned_date"]).days, previous_actual_date=previous,
        team_id=lead.get("team_id"), major=lead["major"], by=by)


def cycle_times(dates: dict[str, date]) -> list[dict]:
    """Days between the named milestones; `days` is None until both have happened."""
    rows = []
    for key, label, start, end in CYCLE_TIMES:
        start_date, end_date = dates.get(start), dates.get(end)
        rows.append({
            "key": key, "label_zh": label, "from": start, "to": end,
            "from_date": start_date, "to_date": end_date,
            "days": (end_date - start_date).days if start_date and end_date else None,
        })
    return rows


def progress_table(plan: list[dict], actuals: dict[str, date], today: date) -> dict:
    """Planned against actual for each milestone of the plan, and the next one due.

    `days_late` is actual minus planned (negative: early); for a milestone not reached it is
    how far past its planned date today is, or None while it is not yet due.
    """
    rows = []
    for item in sorted(plan, key=lambda i: (i["planned_date"], i["milestone"])):
        planned, actual = item["planned_date"], actuals.get(item["milestone"])
        if actual is not None:
            days = (actual - planned).days
            state = "early" if days < 0 else "on_time" if days == 0 else "late"
        elif today > planned:
            days, state = (today - planned).days, "overdue"
        else:
            days, state = None, "pending"
        rows.append({
            "milestone": item["milestone"], "label": label_of(item["milestone"], item.get("label")),
            "planned_date": planned, "actual_date": actual, "days_late": days, "state": state,
        })
    open_rows = [r for r in rows if r["actual_date"] is None]
    next_due = None
    if open_rows:
        first = open_rows[0]
        next_due = {"milestone": first["milestone"], "label": first["label"],
                    "planned_date": first["planned_date"],
                    "days_left": (first["planned_date"] - today).days}
    return {
        "today": today,
        "milestones": rows,
        "next_due": next_due,
        "reached": sum(r["actual_date"] is not None for r in rows),
        "late": sum(r["state"] in ("late", "overdue") for r in rows),
        "total": len(rows),
    }


# The order of a report row's fields (rows cross RPC as lists: 10,000 leads' keys add up).
REPORT_ROW_FIELDS = ("id", "title", "team_id", "team_name", "major", "investment_cny", "status",
                     "created_at", "milestones")


def report_row(lead: dict) -> list:
    """What the supervision reports need of a lead, compact, in REPORT_ROW_FIELDS order: its
    plan against actual as [key, label, planned_date, actual_date or None] (none when lost)."""
    milestones = []
    if lead["status"] != "lost":
        dates = dates_of(lead)
        milestones = [[item["milestone"], label_of(item["milestone"], item.get("label")),
                       str(item["planned_date"]),
                       dates[item["milestone"]].isoformat() if item["milestone"] in dates
                       else None]
                      for item in (lead.get("four_ones") or {}).get("plan", [])]
    return [lead["_id"], lead["title"], lead.get("team_id"), lead.get("team_name"),
            bool(lead.get("major")), int(lead.get("investment_cny") or 0), lead["status"],
            lead["created_at"].isoformat(), milestones]
