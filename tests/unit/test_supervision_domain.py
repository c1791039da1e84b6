"""Supervision rules without nameko or a database: the loop's steps, the periods and when
they fall due, and the four reports computed as of their period."""
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from services.supervision import domain, exports, periods, reports
from services.supervision.periods import BIMONTHLY, MONTHLY, QUARTERLY, WEEKLY
from shared import xlsx
from shared.errors import Conflict, InvalidInput

CST = ZoneInfo("Asia/Shanghai")
LAND, POWER, HOUSING, WATER = "县自然资源和规划局", "县供电公司", "县住房和城乡建设局", "县水务局"
SHIHU = "石湖镇"


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CST)


class TestProblemLoop:
    def test_each_status_allows_the_next_steps_of_the_loop(self):
        assert domain.allowed_steps({"status": "raised"}) == ["feedback"]
        assert domain.allowed_steps({"status": "feedback_given"}) == ["analysis"]
        assert domain.allowed_steps({"status": "analysed"}) == ["plan", "resolve"]
        assert domain.allowed_steps({"status": "analysed", "plan": {"steps": []}}) == [
            "plan", "progress_report", "resolve"]
        assert domain.allowed_steps({"status": "resolved"}) == []

    def test_resolving_without_analysis_is_a_conflict_naming_the_allowed_steps(self):
        with pytest.raises(Conflict) as caught:
            domain.check_step({"status": "feedback_given"}, "resolve")
        assert caught.value.extra == {"status": "feedback_given", "allowed": ["analysis"]}

    def test_feedback_after_resolution_is_a_conflict_with_nothing_allowed(self):
        with pytest.raises(Conflict) as caught:
            domain.check_step({"status": "resolved"}, "feedback")
        assert caught.value.extra["allowed"] == []
        assert caught.value.detail == "已解决的问题不能执行 feedback；可执行：无（问题已解决）"

    def test_progress_reports_need_a_plan(self):
        with pytest.raises(Conflict):
            domain.check_step({"status": "analysed"}, "progress_report")
        domain.check_step({"status": "analysed", "plan": {"steps": []}}, "progress_report")

    def test_each_monthly_report_clock_has_its_own_subject_that_leads_back_to_the_problem(self):
        subject = domain.report_clock_subject("p1", 3)
        assert subject == "p1:report-3"
        assert domain.problem_of_subject(subject) == "p1"
        assert domain.problem_of_subject("p1") == "p1"
        assert domain.SLOT_OF_CLOCK[domain.solve_clock("complex")] == "solve"


class TestPeriods:
    def test_the_weekly_inspection_is_the_iso_week_final_the_monday_after_at_0900(self):
        week = periods.period_of(WEEKLY, "2026-W48")
        assert (week.start, week.end) == (local(2026, 11, 23), local(2026, 11, 30))
        assert week.due_at == local(2026, 11, 30, 9) and week.as_of == week.end
        assert week.as_of_day == date(2026, 11, 29)
        assert week.label_zh == "2026年第48周（11月23日—11月29日）"
        assert periods.period_of(WEEKLY, "2026-W49").label_zh == "2026年第49周（11月30日—12月6日）"

    def test_yellow_cards_for_a_month_are_due_on_the_first_of_the_next(self):
        month = periods.period_of(MONTHLY, "2026-12")
        assert (month.start, month.end) == (local(2026, 12, 1), local(2027, 1, 1))
        assert month.due_at == local(2027, 1, 1, 9)
        assert month.as_of_day == date(2026, 12, 31)

    def test_the_tackling_list_runs_through_its_quarter_and_is_final_after_it(self):
        quarter = periods.period_of(QUARTERLY, "2026Q4")
        assert (quarter.start, quarter.end) == (local(2026, 10, 1), local(2027, 1, 1))
        assert quarter.due_at == local(2027, 1, 1, 9) and quarter.as_of == quarter.end
        live = periods.provisional(quarter, local(2026, 12, 1, 10))
        assert live.as_of == local(2026, 12, 1, 10) and live.as_of_day == date(2026, 12, 1)

    def test_bimonthly_periods_start_in_odd_months(self):
        period = periods.period_of(BIMONTHLY, "2026-11")
        assert (period.start, period.end) == (local(2026, 11, 1), local(2027, 1, 1))
        assert period.label_zh == "2026年11-12月"
        with pytest.raises(InvalidInput) as caught:
            periods.period_of(BIMONTHLY, "2026-12")
        assert caught.value.extra["errors"][0]["loc"] == ["query", "period"]
        assert "2026-11" in caught.value.detail

    @pytest.mark.parametrize("report,key,param", [
        (WEEKLY, "2026-48", "week"), (WEEKLY, "2026-W54", "week"), (WEEKLY, "2025-W53", "week"),
        (MONTHLY, "2026-13", "month"), (MONTHLY, "202611", "month"),
        (QUARTERLY, "2026Q5", "quarter"), (QUARTERLY, "2026-Q4", "quarter"),
        (BIMONTHLY, "", "period")])
    def test_malformed_periods_are_422_naming_the_parameter(self, report, key, param):
        with pytest.raises(InvalidInput) as caught:
            periods.period_of(report, key)
        assert caught.value.extra["errors"][0]["loc"] == ["query", param]

    def test_a_period_that_has_begun_is_provisional_until_due_and_a_future_one_is_422(self):
        now = local(2026, 11, 30, 8, 59)
        week = periods.due_period(WEEKLY, "2026-W48", now)
        assert not periods.is_final(week, now)
        assert periods.is_final(week, now + timedelta(minutes=1))
        assert not periods.is_final(periods.due_period(MONTHLY, "2026-11",
                                                       local(2026, 11, 30, 23)), now)
        with pytest.raises(InvalidInput) as caught:
            periods.due_period(WEEKLY, "2026-W50", now)
        assert "2026-12-07" in caught.value.detail and "未来" in caught.value.detail
        assert caught.value.extra["errors"][0]["loc"] == ["query", "week"]

    def test_a_period_before_the_countys_first_record_is_422(self):
        week = periods.period_of(WEEKLY, "1970-W02")
        with pytest.raises(InvalidInput) as caught:
            periods.check_recorded(WEEKLY, week, local(2026, 9, 21, 10))
        assert "早于本县第一条记录" in caught.value.detail and "2026-09-21" in caught.value.detail
        with pytest.raises(InvalidInput):
            periods.check_recorded(WEEKLY, week, None)
        periods.check_recorded(WEEKLY, periods.period_of(WEEKLY, "2026-W39"),
                               local(2026, 9, 21, 10))  # the week of the first record

    @pytest.mark.parametrize("now,expected", [
        (local(2026, 11, 23, 8, 59), {WEEKLY: "2026-W46", MONTHLY: "2026-10",
                                      QUARTERLY: "2026Q3", BIMONTHLY: "2026-09"}),
        (local(2026, 11, 23, 9, 0), {WEEKLY: "2026-W47"}),
        (local(2026, 12, 1, 8, 0), {MONTHLY: "2026-10", WEEKLY: "2026-W48"}),
        (local(2026, 12, 1, 9, 0), {MONTHLY: "2026-11"}),
        (local(2027, 1, 1, 9, 0), {MONTHLY: "2026-12", QUARTERLY: "2026Q4",
                                   BIMONTHLY: "2026-11"}),
        (local(2027, 1, 1, 8, 0), {QUARTERLY: "2026Q3", BIMONTHLY: "2026-09"}),
        (local(2027, 1, 4, 9, 30), {WEEKLY: "2026-W53"}),
    ])
    def test_the_latest_due_period_of_each_report(self, now, expected):
        for report, key in expected.items():
            assert periods.latest_due(report, now).key == key, report

    def test_the_report_time_is_a_setting(self):
        at = periods.parse_report_at("08:30")
        assert periods.period_of(WEEKLY, "2026-W48", at).due_at == local(2026, 11, 30, 8, 30)


def milestone(key, planned, actual=None, label=None):
    return reports.Milestone(key, label or key, planned, actual)


JIETAI = reports.Project(
    "jietai", "捷泰新能源高效电池片项目", "new-energy", "新能源产业专业招商协作组", True,
    13_000_000_000, "active", (
        milestone("signed", date(2026, 1, 31), date(2026, 1, 26), "签约"),
        milestone("land_listed", date(2026, 3, 15), date(2026, 3, 20), "土地挂牌"),
        milestone("groundbreaking", date(2026, 11, 10), None, "开工"),
        milestone("trial_production", date(2026, 12, 20), None, "试生产"),
    ))
JUSHI = reports.Project("jushi", "巨石集团零碳智能制造基地", "new-materials", "新材料产业专业招商协作组",
                        True, 10_000_000_000, "active", ())
SMALL = reports.Project("small", "小型食品加工项目", "food-liquor", "食品酒类产业专业招商协作组", False,
                        50_000_000, "active", (milestone("signed", date(2026, 11, 1)),))
LOST = reports.Project("lost", "已流失项目", "equipment", "装备制造产业专业招商协作组", True,
                       2_000_000_000, "lost", (milestone("signed", date(2026, 1, 1)),))


class TestMilestonesAsOf:
    def test_a_milestone_is_reached_late_overdue_or_pending_as_of_a_day(self):
        m = milestone("groundbreaking", date(2026, 11, 10), date(2026, 11, 20))
        assert m.state_on(date(2026, 11, 10)) == ("pending", None)
        assert m.state_on(date(2026, 11, 15)) == ("overdue", 5)  # not reached by then
        assert m.state_on(date(2026, 11, 20)) == ("late", 10)
        early = milestone("signed", date(2026, 1, 31), date(2026, 1, 26))
        assert early.state_on(date(2026, 2, 1)) == ("reached", -5)


def problem(pid, lead_id, owner, raised, resolved=None, complexity="general"):
    return {"id": pid, "lead_id": lead_id, "owner_department": owner, "raised_at": raised,
            "resolved_at": resolved, "complexity": complexity, "title": pid}


def breach(kind, subject, due, departments, lead_id="jietai", title="事项"):
    return reports.Breach(kind, subject, due, tuple(departments), lead_id, title)


class TestWeeklyInspection:
    def test_per_project_plan_against_actual_open_problems_and_breached_replies(self):
        week = periods.period_of(WEEKLY, "2026-W47")  # 16-22 November, as of 23 November 00:00
        problems = [
            problem("p-open", "jietai", POWER, local(2026, 11, 10)),
            problem("p-solved", "jietai", LAND, local(2026, 11, 2), local(2026, 11, 6)),
            problem("p-later", "jietai", LAND, local(2026, 11, 23, 10)),  # after the inspection
        ]
        breaches = [
            breach("problem_general", "p-open", local(2026, 11, 19, 9), [POWER]),
            breach("policy_reply", "r1", local(2026, 11, 20), [LAND]),
            breach("policy_reply", "r0", local(2026, 11, 10), [LAND]),  # the week before
        ]
        rows = reports.weekly_inspection(week, [SMALL, JUSHI, JIETAI, LOST], problems,
                                         breaches)["rows"]
        assert [r["lead_id"] for r in rows] == ["jietai", "small"]  # major first; no plan: out
        jietai = rows[0]
        assert jietai["milestones_total"] == 4 and jietai["milestones_reached"] == 2
        assert jietai["milestones_late"] == 2  # land listed 5 days late; groundbreaking overdue
        assert jietai["max_days_late"] == 12  # 2026-11-10 to 2026-11-22
        assert "开工（计划2026-11-10，未完成，滞后12天）" in jietai["late_detail"]
        assert (jietai["next_milestone"], jietai["next_planned_date"]) == ("开工", "2026-11-10")
        assert (jietai["open_problems"], jietai["overdue_problems"]) == (1, 1)
        assert jietai["breached_replies"] == 1
        assert rows[1]["max_days_late"] == 21
        assert not any(r["taken_in"] for r in rows)

    def test_a_project_taken_in_during_the_week_is_listed_even_without_a_plan(self):
        week = periods.period_of(WEEKLY, "2026-W49")
        new = reports.Project("new", "新签约项目", "new-energy", None, False, 5_000_000, "active",
                              (), local(2026, 12, 1, 10))
        live = periods.provisional(week, local(2026, 12, 1, 11))
        [row] = reports.weekly_inspection(live, [new], [], [])["rows"]
        assert row["lead_id"] == "new" and row["taken_in"] and row["milestones_total"] == 0
        before = periods.provisional(week, local(2026, 12, 1, 9))  # before it was taken in
        assert reports.weekly_inspection(before, [new], [], [])["rows"] == []


class TestYellowCards:
    NOVEMBER = periods.period_of(MONTHLY, "2026-11")
    BREACHES = [
        breach("policy_reply", "r1", local(2026, 11, 5, 10), [LAND, POWER]),
        breach("policy_reply", "r2", local(2026, 11, 12, 10), [LAND]),
        breach("problem_feedback", "p1", local(2026, 11, 18, 9), [POWER], title="双回路供电"),
        breach("problem_complex", "p2", local(2026, 11, 28, 9), [HOUSING], title="安置房"),
        breach("problem_feedback", "p3", local(2026, 11, 20, 9), [WATER]),
        breach("problem_general", "p4", local(2026, 10, 30, 9), [SHIHU]),  # October's
        breach("problem_general", "p5", local(2026, 12, 1, 0, 0), [SHIHU]),  # December's
    ]

    def cards(self, threshold=3):
        return reports.yellow_cards(self.NOVEMBER, [JIETAI, SMALL, LOST], self.BREACHES,
                                    {SHIHU}, {"new-energy": "新能源产业专业招商协作组"}, threshold)

    def test_exactly_the_units_at_fault_get_cards_with_their_reasons(self):
        result = self.cards()
        assert [(c["unit_id"], c["score"]) for c in result["cards"]] == [
            (LAND, 4), (HOUSING, 3), (POWER, 3)]
        power = next(c for c in result["cards"] if c["unit_id"] == POWER)
        assert [(r["rule"], r["points"], r["subject_id"]) for r in power["reasons"]] == [
            ("problem_feedback_overdue", 1, "p1"), ("reply_breached", 2, "r1")]
        assert "问题超3日未反馈：双回路供电（1分）" in power["reasons_text"]
        assert power["card_id"] == f"2026-11:department:{POWER}"

    def test_units_below_the_threshold_are_scored_but_get_no_card(self):
        scores = {(s["unit_kind"], s["unit_id"]): s for s in self.cards()["scores"]}
        assert scores[("department", WATER)]["score"] == 1
        assert not scores[("department", WATER)]["yellow_card"]
        # Jietai's groundbreaking is lagging at the month's end; the small project's signing too.
        assert scores[("team", "new-energy")]["score"] == 1
        assert scores[("team", "food-liquor")]["score"] == 1
        assert ("team", "equipment") not in scores  # a lost project lags nobody
        assert ("town", SHIHU) not in scores  # its breaches fall in other months

    def test_a_lower_threshold_gives_more_cards_and_the_rules_are_in_the_report(self):
        result = self.cards(threshold=1)
        assert len(result["cards"]) == len(result["scores"]) == 6
        assert {r["rule"]: r["points"] for r in result["rules"]}["problem_overdue"] == 3

    def test_the_same_facts_give_the_same_cards(self):
        assert self.cards() == self.cards()

    def test_a_town_is_scored_as_a_town(self):
        december = periods.period_of(MONTHLY, "2026-12")
        result = reports.yellow_cards(december, [], self.BREACHES, {SHIHU}, {}, 3)
        assert [(c["unit_kind"], c["unit_id"], c["score"]) for c in result["cards"]] == [
            ("town", SHIHU, 3)]


class TestProjectsAsOf:
    def test_a_project_taken_in_after_the_period_is_not_in_its_reports(self):
        later = reports.Project(**{**JIETAI.__dict__, "created_at": local(2026, 12, 2)})
        november = periods.period_of(MONTHLY, "2026-11")
        assert reports.yellow_cards(november, [later], [], set(), {}, 1)["cards"] == []
        assert reports.yellow_cards(november, [JIETAI], [], set(), {}, 1)["cards"]
        week = periods.period_of(WEEKLY, "2026-W48")
        assert reports.weekly_inspection(week, [later], [], [])["rows"] == []
        q4 = periods.period_of(QUARTERLY, "2026Q4")
        next_year = reports.Project(**{**JIETAI.__dict__, "created_at": local(2027, 1, 2)})
        assert reports.tackle_list(q4, [next_year])["rows"] == []
        assert reports.tackle_list(q4, [later])["rows"]  # taken in during the quarter: on it


class TestTackleList:
    def test_major_projects_with_milestones_due_in_the_quarter_or_carried_over(self):
        q4 = periods.period_of(QUARTERLY, "2026Q4")  # as of its end, 2027-01-01 00:00
        late_major = reports.Project(
            "jushi", JUSHI.title, "new-materials", JUSHI.team_name, True, JUSHI.investment_cny,
            "active", (milestone("signed", date(2026, 6, 30), None, "签约"),))
        rows = reports.tackle_list(q4, [SMALL, JIETAI, late_major, LOST])["rows"]
        assert [r["lead_id"] for r in rows] == ["jietai", "jushi"]  # by investment
        jietai = rows[0]
        assert jietai["milestones_due"] == "开工（2026-11-10）；试生产（2026-12-20）"
        assert jietai["carried_over"] is None
        assert (jietai["milestones_reached"], jietai["milestones_total"]) == (2, 4)
        assert jietai["progress_pct"] == 50 and jietai["latest_reached"] == "土地挂牌"
        assert rows[1]["milestones_due"] is None
        assert rows[1]["carried_over"] == "签约（计划2026-06-30，滞后184天）"


class TestShowcase:
    def test_per_town_and_department_ranked_within_each(self):
        period = periods.period_of(BIMONTHLY, "2026-11")
        units = [{"name": LAND, "kind": "department"}, {"name": POWER, "kind": "department"},
                 {"name": WATER, "kind": "department"}, {"name": SHIHU, "kind": "town"}]
        requests = [
            {"request_id": "r1", "lead_id": "jietai", "received_at": local(2026, 11, 2),
             "items": [{"n": "1", "department": LAND, "replied_at": local(2026, 11, 3)},
                       {"n": "2", "department": POWER, "replied_at": local(2026, 11, 6)}]},
            {"request_id": "r0", "lead_id": "small", "received_at": local(2026, 10, 30),
             "items": [{"n": "1", "department": LAND, "replied_at": local(2026, 11, 1, 8)}]},
        ]
        problems = [
            problem("p1", "jushi", SHIHU, local(2026, 11, 3), local(2026, 11, 8)),
            problem("p2", "jietai", POWER, local(2026, 11, 3), local(2026, 11, 20)),
        ]
        breaches = [breach("policy_reply", "r1", local(2026, 11, 4), [POWER]),
                    breach("problem_general", "p2", local(2026, 11, 12), [POWER])]
        projects = {p.lead_id: p for p in (JIETAI, JUSHI, SMALL)}
        result = reports.showcase(period, units, projects, problems, breaches, requests)
        rows = {r["unit_name"]: r for r in result["rows"]}
        assert rows[LAND] == {**rows[LAND], "projects": 1, "investment_cny": 13_000_000_000,
                                   "replies": 2, "replies_on_time": 2, "replies_on_time_pct": 100,
                                   "score": 2, "rank": 1}
        assert rows[POWER]["replies_on_time"] == 0 and rows[POWER]["breached_replies"] == 1
        assert rows[POWER]["problems_solved"] == 1 and rows[POWER]["problems_solved_on_time"] == 0
        assert rows[POWER]["problems_overdue"] == 1
        assert rows[POWER]["score"] == 1 - 2 - 3 and rows[POWER]["rank"] == 3
        assert rows[WATER]["score"] == 0 and rows[WATER]["rank"] == 2
        assert rows[SHIHU]["unit_kind"] == "town" and rows[SHIHU]["rank"] == 1
        assert rows[SHIHU]["problems_solved_on_time"] == 1
        assert rows[SHIHU]["investment_cny"] == 10_000_000_000
        assert [r["unit_name"] for r in result["rows"]] == [LAND, WATER, POWER, SHIHU]


class TestWorkbook:
    def test_each_sheet_holds_the_rows_of_its_list_under_chinese_headers(self):
        november = periods.period_of(MONTHLY, "2026-11")
        content = TestYellowCards().cards()
        report = {"report": MONTHLY, "period": november.key, **content}
        workbook = exports.workbook(report)
        book = openpyxl.load_workbook(io.BytesIO(workbook))
        assert book.sheetnames == ["黄牌单位", "单位扣分", "扣分明细"]
        for title, key, columns in exports.SHEETS[MONTHLY]:
            header, rows = xlsx.table(workbook, title)
            values = [header, *rows]
            assert values[0] == tuple(header for _, header in columns)
            expected = [tuple(exports.cell(f, row.get(f)) for f, _ in columns)
                        for row in report[key]]
            assert values[1:] == expected
        assert xlsx.table(workbook, "黄牌单位")[1][0][:3] == (LAND, "部门", 4)
        assert xlsx.table(workbook, "单位扣分")[1][0][4] == "是"
