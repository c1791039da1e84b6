"""Leading by example (率先垂范, domain.md mechanism 7): the county leaders' task lists in five
areas, the weekly arrangement (周安排) and the monthly exchange (月交流). Pure: no I/O.

A task belongs to one county leader (a `leader` account), lies in one of the five areas, has a
due date (a county day) and progress in percent; it is done when its progress reaches 100, on
the county day that was recorded. The supervision office (and the admin) assigns tasks; the
leader who owns one records its progress.

The weekly arrangement of ISO week W: every task due that week, and every task due before it
still open when the week began, by leader. The monthly exchange of month M partitions the
month's tasks (due in M, or due earlier and open when M began: carried in) by how each stood
at the end of M, or now for the current month:
- done (按期完成): progress 100 on or before the due date;
- late (逾期完成): progress 100 after the due date, by the end of the period;
- carried over (结转下月): past its due date and not done by then;
- pending (未到期): not done and not yet due (the current month only).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from services.supervision import periods
from shared.change import Change
from shared.errors import InvalidInput, Refusal, field_error

# The five areas a county standing-committee member's tasks fall in (县委常委五个方面任务).
AREAS = ("investment", "projects", "factors", "business_environment", "problems")
AREA_LABELS_ZH = {
    "investment": "招商引资",
    "projects": "项目推进",
    "factors": "要素保障",
    "business_environment": "营商环境",
    "problems": "问题化解",
}
OUTCOMES = ("done", "late", "carried_over", "pending")
OUTCOME_LABELS_ZH = {"done": "按期完成", "late": "逾期完成", "carried_over": "结转下月",
                     "pending": "未到期"}
WEEK_STATES = ("done", "done_late", "open", "overdue")
WEEK_STATE_LABELS_ZH = {"done": "已完成", "done_late": "逾期完成", "open": "推进中",
                        "overdue": "已逾期"}
STATUSES = ("open", "done")
STATUS_LABELS_ZH = {"open": "推进中", "done": "已完成"}
DONE_PCT = 100
ASSIGN_FIELDS = ("title", "details", "area", "leader", "due_date")
PROGRESS_FIELDS = ("progress_pct", "progress_note")

WEEKLY_TITLE_ZH, MONTHLY_TITLE_ZH = "县领导任务周安排", "县领导任务月交流"


class NothingToChange(Refusal, ValueError):
    """A PATCH that names no field to change (a 422 on the body)."""

    def rpc_error(self) -> InvalidInput:
        return field_error(["body"], "至少要修改一项")


def new_task(task_id: str, data: dict, leader_name: str, now: datetime, by: str) -> dict:
    """A task as stored: open, no progress yet (or the progress given at creation)."""
    pct = data.get("progress_pct") or 0
    done_on = periods.local_day(now).isoformat() if pct >= DONE_PCT else None
    return {
        "_id": task_id, "title": data["title"], "details": data.get("details"),
        "area": data["area"], "leader": data["leader"], "leader_name": leader_name,
        "due_date": data["due_date"].isoformat(), "progress_pct": pct,
        "progress_note": data.get("progress_note"), "open": done_on is None,
        "done_on": done_on, "done_at": now if done_on else None,
        "history": [{"at": now, "by": by, "step": "assigned", "progress_pct": pct,
                     "note": data.get("progress_note")}],
        "created_at": now, "created_by": by, "updated_at": now, "updated_by": by, "version": 1,
    }


def change(task: dict, data: dict, leader_name: str | None, now: datetime, by: str) -> Change:
    """What a PATCH sets (only the fields given), with done/open following the progress (a
    task reaching 100 is done today; one taken back below 100 is open again), and the history
    entry it adds."""
    fields = {k: v for k, v in data.items() if k in ASSIGN_FIELDS + PROGRESS_FIELDS}
    if not fields:
        raise NothingToChange()
    if "due_date" in fields:
        fields["due_date"] = fields["due_date"].isoformat()
    if "leader" in fields:
        fields["leader_name"] = leader_name or fields["leader"]
    pct = fields.get("progress_pct", task["progress_pct"])
    if pct >= DONE_PCT and task.get("done_on") is None:
        fields.update(open=False, done_on=periods.local_day(now).isoformat(), done_at=now)
    elif pct < DONE_PCT and task.get("done_on") is not None:
        fields.update(open=True, done_on=None, done_at=None)
    step = "progress" if set(data) <= set(PROGRESS_FIELDS) else "updated"
    entry = {"at": now, "by": by, "step": step, "progress_pct": pct,
             "note": data.get("progress_note")}
    fields.update(updated_at=now, updated_by=by)
    return Change(set=fields, append={"history": (entry,)})


def status_of(task: dict) -> str:
    return "open" if task.get("done_on") is None else "done"


def done_by(task: dict, day: date) -> bool:
    """Done on or before the county day `day`."""
    return task.get("done_on") is not None and task["done_on"] <= day.isoformat()


def outcome(task: dict, as_of_day: date, closed: bool) -> str:
    """How the task stood at the end of `as_of_day` (see the module's docstring); in a closed
    period whatever is not done is carried over, in the current one only what is past due."""
    if done_by(task, as_of_day):
        return "done" if task["done_on"] <= task["due_date"] else "late"
    if closed or task["due_date"] < as_of_day.isoformat():
        return "carried_over"
    return "pending"


def week_state(task: dict, as_of_day: date) -> str:
    """A task's state in the weekly arrangement, as of `as_of_day`."""
    if done_by(task, as_of_day):
        return "done" if task["done_on"] <= task["due_date"] else "done_late"
    return "overdue" if task["due_date"] < as_of_day.isoformat() else "open"


def row_of(task: dict) -> dict:
    return {"id": task["_id"], "title": task["title"], "area": task["area"],
            "area_zh": AREA_LABELS_ZH[task["area"]], "leader": task["leader"],
            "leader_name": task.get("leader_name") or task["leader"],
            "due_date": task["due_date"], "progress_pct": task["progress_pct"],
            "progress_note": task.get("progress_note"), "done_on": task.get("done_on")}


def in_period(tasks: list[dict], first_day: date, last_day: date) -> list[dict]:
    """The period's tasks: due within [first_day, last_day], or due before it and not done
    before it began (carried in). Each at most once, ordered by due date, leader, id."""
    first, last = first_day.isoformat(), last_day.isoformat()
    chosen = {}
    for t in tasks:
        if first <= t["due_date"] <= last or (
                t["due_date"] < first and (t.get("done_on") is None or t["done_on"] >= first)):
            chosen[t["_id"]] = t
    return sorted(chosen.values(), key=lambda t: (t["due_date"], t["leader"], t["_id"]))


def is_closed(period: periods.Period, now: datetime) -> bool:
    return period.end <= now


def as_of_day(period: periods.Period, now: datetime) -> date:
    """The last county day a period's figures include: its last day once closed, else today."""
    return periods.local_day(min(now, period.end - timedelta(microseconds=1)))


def last_day(period: periods.Period) -> date:
    return periods.local_day(period.end - timedelta(microseconds=1))


def header(period: periods.Period, now: datetime, title_zh: str) -> dict:
    final = is_closed(period, now)
    return {"period": period.key, "label_zh": period.label_zh,
            "title_zh": f"{title_zh}（{period.label_zh}）" + ("" if final else "（进行中）"),
            "from": period.start, "to": period.end, "as_of": min(now, period.end),
            "final": final, "status_zh": "已结束" if final else "进行中"}


def weekly_arrangement(period: periods.Period, tasks: list[dict], now: datetime) -> dict:
    """周安排: what is due in the week, by leader (and what was carried into it, still open)."""
    first, last = periods.local_day(period.start), last_day(period)
    day = as_of_day(period, now)
    leaders: dict[str, dict] = {}
    for task in in_period(tasks, first, last):
        row = row_of(task)
        row["carried_in"] = task["due_date"] < first.isoformat()
        row["state"] = week_state(task, day)
        row["state_zh"] = WEEK_STATE_LABELS_ZH[row["state"]]
        group = leaders.setdefault(task["leader"], {
            "leader": task["leader"], "leader_name": row["leader_name"], "due": 0, "done": 0,
            "overdue": 0, "carried_in": 0, "tasks": []})
        group["tasks"].append(row)
        group["due"] += not row["carried_in"]
        group["carried_in"] += row["carried_in"]
        group["done"] += row["state"] in ("done", "done_late")
        group["overdue"] += row["state"] == "overdue"
    groups = sorted(leaders.values(), key=lambda g: g["leader_name"])
    rows = [{**r, "leader_name": g["leader_name"]} for g in groups for r in g["tasks"]]
    return {"report": "tasks_weekly", **header(period, now, WEEKLY_TITLE_ZH),
            "leaders": groups, "rows": rows}


def monthly_exchange(period: periods.Period, tasks: list[dict], now: datetime) -> dict:
    """月交流: the month's tasks by outcome (done, late, carried over, pending), per leader and
    per area, with each task's row."""
    first, last = periods.local_day(period.start), last_day(period)
    day, closed = as_of_day(period, now), is_closed(period, now)
    empty = {o: 0 for o in OUTCOMES}
    totals = {**empty, "tasks": 0, "carried_in": 0}
    by_leader: dict[str, dict] = {}
    by_area: dict[str, dict] = {a: {"area": a, "area_zh": AREA_LABELS_ZH[a], **empty, "tasks": 0}
               for a in AREAS}
    rows = []
    for task in in_period(tasks, first, last):
        row = row_of(task)
        row["carried_in"] = task["due_date"] < first.isoformat()
        row["outcome"] = outcome(task, day, closed)
        row["outcome_zh"] = OUTCOME_LABELS_ZH[row["outcome"]]
        rows.append(row)
        leader = by_leader.setdefault(task["leader"], {
            "leader": task["leader"], "leader_name": row["leader_name"], **empty, "tasks": 0,
            "carried_in": 0})
        for group in (totals, leader, by_area[task["area"]]):
            group[row["outcome"]] += 1
            group["tasks"] += 1
        totals["carried_in"] += row["carried_in"]
        leader["carried_in"] += row["carried_in"]
    return {"report": "tasks_monthly", **header(period, now, MONTHLY_TITLE_ZH),
            "totals": totals, "leaders": sorted(by_leader.values(), key=lambda g: g["leader_name"]),
            "areas": list(by_area.values()), "rows": rows}
