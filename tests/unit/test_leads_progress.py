"""The plan, the dynamic progress table and the cycle times, on Jietai's dates from the report."""
from datetime import date, datetime, timedelta, timezone

from services.leads.progress import (
    COUNTY_TZ, county_date, cycle_times, duplicate_milestones, milestone_dates, progress_table,
)

CST = timezone(timedelta(hours=8))
FIRST_CONTACT = datetime(2026, 1, 5, 9, tzinfo=CST)
SIGNED = date(2026, 1, 26)  # 21 days after first contact

JIETAI_ACTUALS = {
    "relocation_done": SIGNED + timedelta(days=8),
    "land_listed": SIGNED + timedelta(days=48),
    "groundbreaking": SIGNED + timedelta(days=51),
}
JIETAI_PLAN = [
    {"milestone": "signed", "planned_date": date(2026, 1, 31)},
    {"milestone": "relocation_done", "planned_date": date(2026, 2, 10)},
    {"milestone": "land_listed", "planned_date": date(2026, 3, 15)},
    {"milestone": "groundbreaking", "planned_date": date(2026, 3, 31)},
    {"milestone": "trial_production", "planned_date": date(2026, 4, 30)},
]


def history(*moves):
    return [{"stage": "lead", "kind": "created", "at": FIRST_CONTACT}] + [
        {"stage": s, "kind": k, "at": at} for s, k, at in moves]


def test_jietai_cycle_times_are_21_8_48_51_days():
    # Signed at 21:30 county time: still 26 January on the county's calendar (13:30 UTC).
    signed_at = datetime(2026, 1, 26, 13, 30, tzinfo=timezone.utc)
    dates = milestone_dates(FIRST_CONTACT, history(("negotiating", "forward", FIRST_CONTACT),
                                                   ("signed", "forward", signed_at)), JIETAI_ACTUALS)
    days = {row["key"]: row["days"] for row in cycle_times(dates)}
    assert days["contact_to_signing"] == 21
    assert days["signing_to_relocation"] == 8
    assert days["signing_to_land_listed"] == 48
    assert days["signing_to_groundbreaking"] == 51
    assert days["groundbreaking_to_production"] is None  # not there yet


def test_county_days_not_utc_days():
    # 00:30 on 27 January in the county is still 26 January in UTC.
    late = datetime(2026, 1, 27, 0, 30, tzinfo=CST)
    assert county_date(late) == date(2026, 1, 27)
    assert late.astimezone(timezone.utc).date() == date(2026, 1, 26)
    assert COUNTY_TZ.key == "Asia/Shanghai"


def test_a_recorded_date_wins_over_the_stage_move_and_a_move_back_reaches_nothing():
    moved = datetime(2026, 2, 1, tzinfo=CST)
    hist = history(("signed", "skip", moved), ("negotiating", "backward", moved),
                   ("signed", "forward", datetime(2026, 2, 5, tzinfo=CST)))
    assert milestone_dates(None, hist, {})["signed"] == date(2026, 2, 1)
    assert milestone_dates(None, hist, {"signed": SIGNED})["signed"] == SIGNED
    assert "first_contact" not in milestone_dates(None, hist, {})
    back_only = history(("signed", "backward", moved))
    assert "signed" not in milestone_dates(None, back_only, {})


def test_progress_table_planned_against_actual_and_next_due():
    actuals = {"signed": SIGNED, **JIETAI_ACTUALS}
    table = progress_table(JIETAI_PLAN, actuals, today=date(2026, 4, 20))
    rows = {r["milestone"]: r for r in table["milestones"]}
    assert (rows["signed"]["days_late"], rows["signed"]["state"]) == (-5, "early")
    assert (rows["relocation_done"]["days_late"], rows["relocation_done"]["state"]) == (-7, "early")
    assert (rows["land_listed"]["days_late"], rows["land_listed"]["state"]) == (0, "on_time")
    assert (rows["groundbreaking"]["days_late"], rows["groundbreaking"]["state"]) == (-13, "early")
    assert rows["trial_production"]["state"] == "pending"
    assert rows["trial_production"]["label"] == "试生产"
    assert table["next_due"] == {"milestone": "trial_production", "label": "试生产",
                                 "planned_date": date(2026, 4, 30), "days_left": 10}
    assert (table["reached"], table["late"], table["total"]) == (4, 0, 5)


def test_a_milestone_past_its_date_is_overdue_and_a_late_one_counts_late():
    plan = [{"milestone": "signed", "planned_date": date(2026, 1, 20)},
            {"milestone": "land_listed", "planned_date": date(2026, 3, 1), "label": "挂牌出让"}]
    table = progress_table(plan, {"signed": SIGNED}, today=date(2026, 3, 4))
    signed, land = table["milestones"]
    assert (signed["days_late"], signed["state"]) == (6, "late")
    assert (land["days_late"], land["state"], land["label"]) == (3, "overdue", "挂牌出让")
    assert table["next_due"]["days_left"] == -3 and table["late"] == 2


def test_no_plan_no_rows():
    assert progress_table([], {}, date(2026, 1, 1))["next_due"] is None


def test_a_milestone_planned_twice_is_named():
    assert duplicate_milestones([{"milestone": "a"}, {"milestone": "b"}, {"milestone": "a"}]) == ["a"]
