"""The branches' rules, without nameko or a database: trips, visits, nightly summaries,
the same company however it is written, results and the ranking of the six."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.branches import domain
from services.branches.schemas import LeadFromVisit, PeriodQuery, SummaryAmend, TripCreate, VisitCreate
from services.branches.service import load_branches_file
from services.leads.domain import STAGES

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE_PM = time(21, 0)
DAY1, DAY3 = date(2026, 12, 1), date(2026, 12, 3)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


class TestBranchesFile:
    def test_six_branches_each_with_a_secretary_among_the_members(self):
        branches = load_branches_file()
        assert len(branches) == 6
        for b in branches:
            assert b["secretary"]["username"] in {m["username"] for m in b["members"]}

    def test_a_secretary_who_is_not_a_member_is_refused(self):
        branch = {"_id": "x", "name": "X", "name_zh": "X支部", "regions": ["上海"],
                  "secretary": {"username": "a", "name": "甲"},
                  "members": [{"username": "b", "name": "乙"}]}
        with pytest.raises(ValueError, match="secretary a"):
            domain.check_branches([branch])

    def test_the_same_id_twice_is_refused(self):
        branch = {"_id": "x", "name": "X", "name_zh": "X支部", "regions": ["上海"]}
        with pytest.raises(ValueError, match="twice"):
            domain.check_branches([branch, dict(branch)])


class TestScope:
    @pytest.mark.parametrize("role", ["admin", "leader", "inspector"])
    def test_county_roles_read_every_branch(self, role):
        assert domain.may_read({"role": role}, "shanghai")

    def test_a_branch_member_reads_and_writes_only_the_own_branch(self):
        member = {"role": "branch_member", "branch_id": "sunan"}
        assert domain.may_read(member, "sunan") and domain.may_write(member, "sunan")
        assert not domain.may_read(member, "shanghai")
        assert not domain.may_write(member, "shanghai")

    @pytest.mark.parametrize("role", ["leader", "inspector", "team_member", "department"])
    def test_only_admin_and_members_write(self, role):
        assert not domain.may_write({"role": role, "branch_id": "sunan"}, "sunan")

    def test_a_team_member_reads_no_trips(self):
        assert not domain.may_read({"role": "team_member", "team_id": "x"}, "sunan")


class TestTripsAndVisits:
    def test_a_trip_ending_before_it_starts_names_end_date(self):
        errors = domain.trip_date_problems(DAY3, DAY1)
        assert errors[0]["loc"] == ["body", "end_date"] and "before it starts" in errors[0]["msg"]

    def test_a_one_day_trip_is_fine_and_a_season_is_not(self):
        assert domain.trip_date_problems(DAY1, DAY1) == []
        assert domain.trip_date_problems(DAY1, DAY1 + timedelta(days=60))

    def test_a_visit_is_on_its_local_day(self):
        # 23:30 UTC on 30 November is 07:30 on 1 December in Shanghai: inside the trip.
        at = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)
        assert domain.visit_time_problem(at, local(DAY3, 12), DAY1, DAY3, SHANGHAI) is None
        before = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)  # 23:00 local on 30 Nov
        problem = domain.visit_time_problem(before, local(DAY3, 12), DAY1, DAY3, SHANGHAI)
        assert "2026-11-30" in problem and "outside the trip" in problem

    def test_a_visit_ahead_of_time_is_refused(self):
        now = local(DAY1, 10)
        assert domain.visit_time_problem(now + timedelta(hours=1), now, DAY1, DAY3, SHANGHAI)
        assert domain.visit_time_problem(now + timedelta(minutes=5), now, DAY1, DAY3, SHANGHAI) is None

    def test_only_company_is_required_to_log_a_visit(self):
        visit = VisitCreate.model_validate({"company": "某某精密机械有限公司"})
        assert visit.visited_at is None and visit.interest is None
        with pytest.raises(ValidationError):
            VisitCreate.model_validate({"visited_at": "2026-12-01T10:00:00+08:00"})

    def test_a_bad_credit_code_and_an_unknown_interest_are_refused(self):
        with pytest.raises(ValidationError, match="check digit"):
            VisitCreate.model_validate({"company": "c", "credit_code": "91110000600037341A"})
        with pytest.raises(ValidationError):
            VisitCreate.model_validate({"company": "c", "interest": "keen"})

    def test_trip_dates_are_dates(self):
        with pytest.raises(ValidationError):
            TripCreate.model_validate({"destination": "苏州", "start_date": "next week",
                                       "end_date": "2026-12-03"})


class TestNightlySummary:
    def test_a_day_is_due_at_nine_pm_local_not_before(self):
        assert domain.days_due(DAY1, DAY3, local(DAY1, 20, 59), NINE_PM, SHANGHAI) == []
        assert domain.days_due(DAY1, DAY3, local(DAY1, 21), NINE_PM, SHANGHAI) == [DAY1]
        assert domain.days_due(DAY1, DAY3, local(DAY3, 23), NINE_PM, SHANGHAI) == [
            DAY1, date(2026, 12, 2), DAY3]

    def test_the_summary_time_is_read_as_hours_and_minutes(self):
        assert domain.parse_summary_time("21:00") == NINE_PM
        assert domain.parse_summary_time(" 7:05 ") == time(7, 5)
        for bad in ("25:00", "9pm", "21"):
            with pytest.raises(ValueError):
                domain.parse_summary_time(bad)

    def test_figures_from_the_days_visits(self):
        targets = [{"company": "甲科技有限公司"}, {"company": "乙材料股份有限公司"},
                   {"company": "丙电子有限公司"}]
        earlier = {"_id": "v0", "company": "丙电子", "visited_at": local(DAY1, 9), "day": "2026-11-30"}
        today = [
            {"_id": "v2", "company": "乙材料有限公司", "visited_at": local(DAY1, 15),
             "interest": "medium"},
            {"_id": "v1", "company": "甲科技有限公司", "visited_at": local(DAY1, 10),
             "interest": "high", "next_step": "下周来涟水考察"},
        ]
        figures = domain.summary_figures(DAY1, today, targets, [earlier, *today])
        assert figures["visit_count"] == 2
        assert [c["company"] for c in figures["companies"]] == ["甲科技有限公司", "乙材料有限公司"]
        assert figures["interest"] == {"high": 1, "medium": 1, "low": 0, "none": 0, "unknown": 0}
        assert figures["follow_ups"] == [
            {"visit_id": "v1", "company": "甲科技有限公司", "next_step": "下周来涟水考察"}]
        assert figures["targets_not_visited"] == []  # 丙 was visited earlier on the trip

    def test_targets_not_yet_visited_are_listed(self):
        targets = [{"company": "甲科技有限公司"}, {"company": "乙材料有限公司"}]
        figures = domain.summary_figures(DAY1, [], targets, [])
        assert figures["visit_count"] == 0
        assert figures["targets_not_visited"] == ["甲科技有限公司", "乙材料有限公司"]

    def test_an_amendment_must_say_something(self):
        with pytest.raises(ValidationError):
            SummaryAmend.model_validate({})
        assert SummaryAmend.model_validate({"next_day_plan": "上午拜访丙电子"}).next_day_plan


class TestResults:
    NOVEMBER = domain.local_period(date(2026, 11, 1), date(2026, 11, 30), SHANGHAI)

    def row(self, sourced_day, signed_day=None, cny=0):
        return {"sourced_at": local(sourced_day, 10),
                "signed_at": local(signed_day, 10) if signed_day else None, "investment_cny": cny}

    def test_the_period_is_local_days_both_included(self):
        period = self.NOVEMBER
        assert period.contains(local(date(2026, 11, 1), 0))
        assert period.contains(local(date(2026, 11, 30), 23, 59))
        assert not period.contains(local(date(2026, 12, 1), 0))
        assert not period.contains(None)
        assert domain.local_period(None, None, SHANGHAI).contains(local(date(1999, 1, 1), 0))

    def test_results_for_a_period(self):
        leads = [
            self.row(date(2026, 11, 3), date(2026, 11, 20), 13_000_000_000),  # sourced, signed
            self.row(date(2026, 11, 5)),  # sourced, not signed
            self.row(date(2026, 10, 5), date(2026, 11, 2), 2_000_000_000),  # signed in November
            self.row(date(2026, 11, 9), date(2026, 12, 2), 500),  # signed after November
        ]
        result = domain.branch_results("sunan", 12, leads, self.NOVEMBER)
        assert result == {
            "branch_id": "sunan", "visits": 12, "leads_sourced": 3, "signed": 2,
            "investment_signed_cny": 15_000_000_000,
            "conversion_rate": round(2 / 3, 4), "visit_to_lead_rate": 0.25,
        }

    def test_no_leads_and_no_visits_give_no_rates(self):
        result = domain.branch_results("overseas", 0, [], self.NOVEMBER)
        assert result["conversion_rate"] is None and result["visit_to_lead_rate"] is None

    def test_ranking_by_investment_then_signed_with_shared_ranks(self):
        def r(branch, cny, signed, sourced=0, visits=0):
            return {"branch_id": branch, "investment_signed_cny": cny, "signed": signed,
                    "leads_sourced": sourced, "visits": visits}
        ranked = domain.ranking([r("a", 0, 0, 1), r("b", 10, 1), r("c", 10, 2), r("d", 0, 0, 1),
                                 r("e", 0, 0, 0, 9)])
        assert [(x["branch_id"], x["rank"]) for x in ranked] == [
            ("c", 1), ("b", 2), ("a", 3), ("d", 3), ("e", 5)]

    def test_a_stage_change_sets_and_keeps_the_first_signing(self):
        t1, t2, t3 = (local(DAY1, h) for h in (9, 10, 11))
        row = domain.apply_stage_change(None, "signed", t1)
        assert row == {"stage": "signed", "stage_at": t1, "signed_at": t1}
        later = domain.apply_stage_change(row, "land", t2)
        assert later["signed_at"] == t1 and later["stage"] == "land"
        back = domain.apply_stage_change({**row, **later}, "negotiating", t3)
        assert back["signed_at"] is None

    def test_older_news_changes_nothing(self):
        t1, t2 = local(DAY1, 9), local(DAY1, 10)
        row = {"stage": "signed", "stage_at": t2, "signed_at": t2}
        assert domain.apply_stage_change(row, "negotiating", t1) == {}

    def test_signed_and_later_stages_count_as_signed(self):
        assert [s for s in STAGES if domain.is_signed(s)] == [
            "signed", "land", "construction", "production"]

    def test_a_period_ending_before_it_starts_is_refused(self):
        with pytest.raises(ValidationError, match="before"):
            PeriodQuery.model_validate({"from": "2026-12-01", "to": "2026-11-01"})
        assert PeriodQuery.model_validate({"from": "2026-11-01"}).from_ == date(2026, 11, 1)


def test_a_lead_from_a_visit_needs_industry_and_investment():
    with pytest.raises(ValidationError) as exc:
        LeadFromVisit.model_validate({"title": "x"})
    assert {e["loc"][0] for e in exc.value.errors()} == {"industry", "investment_cny"}
