"""Leading by example (tasks.py): a leader's task, its progress, the weekly arrangement and the
monthly exchange, without nameko or a database."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.supervision import periods, tasks
from shared import scope

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, tzinfo=CST)  # a Tuesday of ISO week 49


def task(task_id, due, leader="chen", area="projects", done_on=None, pct=None):
    t = tasks.new_task(task_id, {"title": f"任务{task_id}", "area": area, "leader": leader,
                                 "due_date": date.fromisoformat(due)}, leader, NOW, "inspector")
    if done_on:
        t.update(progress_pct=100, done_on=done_on, open=False)
    elif pct is not None:
        t["progress_pct"] = pct
    return t


class TestProgress:
    def test_a_task_reaching_100_is_done_today_and_open_again_below(self):
        t = task("t1", "2026-12-04")
        assert t["open"] and t["done_on"] is None and tasks.status_of(t) == "open"
        done = tasks.change(t, {"progress_pct": 100, "progress_note": "已开工"}, None, NOW, "chen")
        assert done.set["done_on"] == "2026-12-01" and done.set["open"] is False
        assert done.append["history"][0]["step"] == "progress"
        assert done.append["history"][0]["note"] == "已开工"
        again = tasks.change({**t, **done.set}, {"progress_pct": 80}, None, NOW, "inspector")
        assert again.set["open"] is True and again.set["done_on"] is None

    def test_a_patch_naming_nothing_changes_nothing(self):
        with pytest.raises(tasks.NothingToChange):
            tasks.change(task("t1", "2026-12-04"), {}, None, NOW, "chen")

    def test_the_leader_records_progress_of_the_own_tasks_only(self):
        t = task("t1", "2026-12-04", leader="chen")
        chen = {"username": "chen", "role": "leader"}
        assert scope.may_act_on_task(chen, t, {"progress_pct"})
        assert not scope.may_act_on_task(chen, t, {"progress_pct", "due_date"})
        assert not scope.may_act_on_task({"username": "li", "role": "leader"}, t, {"progress_pct"})
        assert scope.may_act_on_task({"username": "d", "role": "inspector"}, t, {"due_date"})
        assert not scope.may_assign_tasks(chen) and scope.may_assign_tasks({"role": "admin"})
        assert scope.task_filter({"role": "team_member", "team_id": "x"}) == scope.NOTHING


class TestWeeklyArrangement:
    def test_what_is_due_this_week_by_leader_with_what_was_carried_in(self):
        week = periods.period_of(periods.WEEKLY, "2026-W49")
        found = [task("a", "2026-12-03", leader="chen"), task("b", "2026-12-06", leader="li"),
                 task("c", "2026-11-25", leader="chen"),  # last week's, still open
                 task("d", "2026-11-25", leader="li", done_on="2026-11-26"),  # done before
                 task("e", "2026-12-07", leader="li")]  # next week's
        board = tasks.weekly_arrangement(week, tasks.in_period(found, date(2026, 11, 30),
                                                               date(2026, 12, 6)), NOW)
        assert board["label_zh"] == "2026年第49周（11月30日—12月6日）" and board["final"] is False
        by = {g["leader"]: g for g in board["leaders"]}
        assert [r["id"] for r in by["chen"]["tasks"]] == ["c", "a"]
        assert by["chen"]["due"] == 1 and by["chen"]["carried_in"] == 1
        assert by["chen"]["overdue"] == 1 and by["chen"]["tasks"][0]["state_zh"] == "已逾期"
        assert [r["id"] for r in by["li"]["tasks"]] == ["b"]


class TestMonthlyExchange:
    def test_done_late_carried_over_and_pending(self):
        month = periods.period_of(periods.MONTHLY, "2026-11")
        found = [task("on-time", "2026-11-10", done_on="2026-11-09"),
                 task("late", "2026-11-10", done_on="2026-11-20"),
                 task("open", "2026-11-30", pct=60),
                 task("from-october", "2026-10-20", done_on="2026-11-02"),
                 task("done-in-october", "2026-10-20", done_on="2026-10-19"),
                 task("done-after", "2026-11-15", done_on="2026-12-01")]
        after = datetime(2026, 12, 1, 10, tzinfo=CST)
        report = tasks.monthly_exchange(month, tasks.in_period(
            found, date(2026, 11, 1), date(2026, 11, 30)), after)
        outcomes = {r["id"]: r["outcome"] for r in report["rows"]}
        assert outcomes == {"on-time": "done", "late": "late", "open": "carried_over",
                            "from-october": "late", "done-after": "carried_over"}
        assert report["final"] is True and report["totals"]["carried_in"] == 1
        assert {k: report["totals"][k] for k in tasks.OUTCOMES} == {
            "done": 1, "late": 2, "carried_over": 2, "pending": 0}
        # The same month seen on 20 November: what is not yet due is pending; what is past due
        # and not done already counts as carried over.
        during = tasks.monthly_exchange(month, tasks.in_period(
            found, date(2026, 11, 1), date(2026, 11, 30)), datetime(2026, 11, 20, 12, tzinfo=CST))
        assert during["final"] is False and during["title_zh"].endswith("（进行中）")
        outcomes = {r["id"]: r["outcome"] for r in during["rows"]}
        assert outcomes["open"] == "pending" and outcomes["done-after"] == "carried_over"
        assert outcomes["late"] == "late"
