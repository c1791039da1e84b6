"""SLA clocks without nameko or a database: counted time, thresholds, working days, the report."""
from datetime import date, datetime, timedelta, timezone

import pytest

from services.sla import domain
from services.sla.calendar import HolidayTable, WorkingCalendar, packaged_years
from services.sla.domain import ClockFacts, evaluate

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in the county
HOUR = 3600.0


def policy_clock(received_hours_ago: float, **kw) -> ClockFacts:
    kind = domain.KINDS["policy_reply"]
    return ClockFacts(started_at=NOW - timedelta(hours=received_hours_ago),
                      target_seconds=kind.target.total_seconds(), working_days=False,
                      thresholds=kind.thresholds, **kw)


class TestThresholds:
    def test_a_fresh_clock_is_on_track_and_looks_again_at_half_time(self):
        result = evaluate(policy_clock(1), NOW)
        assert result.fire is None and result.state == "on_track"
        assert result.next_threshold_at == NOW + timedelta(hours=23)
        assert result.due_at == NOW + timedelta(hours=47)

    def test_received_47_hours_ago_only_the_90_percent_warning_fires(self):
        result = evaluate(policy_clock(47), NOW)
        assert result.fire == 90 and result.fired == 90
        assert result.state == "warning"
        assert result.elapsed_pct == pytest.approx(97.92, abs=0.01)
        assert result.next_threshold_at == NOW + timedelta(hours=1)  # the breach

    def test_a_threshold_already_fired_does_not_fire_again(self):
        result = evaluate(policy_clock(47, fired=90), NOW)
        assert result.fire is None and result.fired == 90

    def test_received_49_hours_ago_is_breached_and_nothing_comes_after(self):
        result = evaluate(policy_clock(49), NOW)
        assert result.fire == 100 and result.state == "breached"
        assert result.next_threshold_at is None

    def test_exactly_at_a_threshold_it_fires(self):
        assert evaluate(policy_clock(24), NOW).fire == 50
        assert evaluate(policy_clock(36, fired=50), NOW).fire == 75

    def test_stopped_in_time_is_met_with_its_real_duration(self):
        clock = policy_clock(47, fired=90, stopped_at=NOW - timedelta(hours=1))
        result = evaluate(clock, NOW)
        assert result.state == "met" and result.fire is None
        assert result.counted_seconds == 46 * HOUR
        assert result.next_threshold_at is None

    def test_stopped_after_the_target_is_met_late(self):
        result = evaluate(policy_clock(50, stopped_at=NOW), NOW)
        assert result.state == "met_late"


class TestPauses:
    def test_paused_time_is_excluded_and_the_due_time_moves(self):
        # Received 30 h ago; waited 10 h for the enterprise's documents.
        hold = (NOW - timedelta(hours=20), NOW - timedelta(hours=10))
        result = evaluate(policy_clock(30, holds=(hold,)), NOW)
        assert result.counted_seconds == 20 * HOUR
        assert result.due_at == NOW + timedelta(hours=28)

    def test_an_open_pause_stops_the_clock_and_no_threshold_is_due(self):
        hold = (NOW - timedelta(hours=2), None)
        result = evaluate(policy_clock(30, fired=50, holds=(hold,)), NOW)
        assert result.counted_seconds == 28 * HOUR
        assert result.next_threshold_at is None
        assert result.due_at == NOW + timedelta(hours=20)  # as if the pause ended now

    def test_overlapping_pauses_count_once(self):
        holds = ((NOW - timedelta(hours=10), NOW - timedelta(hours=4)),
                 (NOW - timedelta(hours=6), NOW - timedelta(hours=2)))
        assert evaluate(policy_clock(10, holds=holds), NOW).counted_seconds == 2 * HOUR


class TestWorkingDays:
    def test_national_day_and_its_make_up_workday_on_the_packaged_calendar(self):
        days = WorkingCalendar()
        assert not days.is_working_day(date(2026, 10, 1))  # 国庆节
        assert days.is_working_day(date(2026, 10, 10))  # a Saturday worked in exchange (调休)
        assert not days.estimated_years

    def test_three_working_days_skip_the_weekend(self):
        kind = domain.KINDS["problem_feedback"]
        friday_10 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        clock = ClockFacts(friday_10, kind.target.total_seconds(), True, kind.thresholds)
        result = evaluate(clock, friday_10)
        # Friday 10:00 + 3 working days of 24 h = Wednesday 10:00.
        assert result.due_at == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
        assert not result.estimated

    def test_a_year_the_package_does_not_cover_counts_monday_to_friday_as_estimated(self):
        assert 2027 not in packaged_years()
        kind = domain.KINDS["problem_general"]
        start = datetime(2026, 12, 31, 1, 0, tzinfo=UTC)  # Thursday 09:00
        result = evaluate(ClockFacts(start, kind.target.total_seconds(), True, kind.thresholds),
                          start)
        assert result.estimated
        # Thu 31 Dec, then Fri 1 Jan 2027 counted as a plain Friday, Mon 4 ... Fri 8, Mon 11.
        assert result.due_at == datetime(2027, 1, 11, 1, 0, tzinfo=UTC)

    def test_a_loaded_table_replaces_the_estimate(self):
        kind = domain.KINDS["problem_general"]
        start = datetime(2026, 12, 31, 1, 0, tzinfo=UTC)
        table = HolidayTable(2027, frozenset({date(2027, 1, 1), date(2027, 1, 4)}),
                             frozenset({date(2027, 1, 9)}))
        result = evaluate(ClockFacts(start, kind.target.total_seconds(), True, kind.thresholds),
                          start, {2027: table})
        assert not result.estimated
        # 168 h: Thu 15 h, 1 and 4 Jan off, Tue-Fri 96 h, Saturday 9 worked 24 h, Mon 11 24 h,
        # then 9 h on Tuesday 12 January.
        assert result.due_at == datetime(2027, 1, 12, 1, 0, tzinfo=UTC)

    def test_a_table_with_a_date_of_another_year_is_refused(self):
        with pytest.raises(ValueError):
            HolidayTable(2027, frozenset({date(2026, 1, 1)}), frozenset())


class TestKinds:
    def test_every_kind_alerts_someone_at_each_threshold(self):
        for kind in domain.KINDS.values():
            assert kind.thresholds[-1] == 100
            for threshold in kind.thresholds:
                assert kind.alerts[threshold], (kind.name, threshold)
                assert set(kind.alerts[threshold]) <= set(domain.AUDIENCES)

    def test_the_ladder_of_the_48_hour_reply(self):
        alerts = domain.KINDS["policy_reply"].alerts
        assert alerts[50] == alerts[75] == ("department", "submitter")
        assert set(alerts[90]) == {"team_leader", "project_lead", "submitter"}
        # The breach reaches whoever owes, as well as the supervision office.
        assert set(alerts[100]) == {"department", "department_leader", "supervision",
                                    "submitter"}

    def test_a_threshold_fired_late_tells_every_rung_it_skipped(self):
        alerts = {str(t): list(a) for t, a in domain.KINDS["policy_reply"].alerts.items()}
        assert domain.audiences_reached(alerts, 0, 100) == [
            "department", "submitter", "team_leader", "project_lead", "department_leader",
            "supervision"]
        assert domain.audiences_reached(alerts, 75, 90) == [
            "team_leader", "project_lead", "submitter"]
        assert domain.audiences_reached(alerts, 90, 100) == [
            "department", "department_leader", "supervision", "submitter"]

    def test_targets_can_be_overridden_per_kind(self):
        kinds = domain.kind_targets(domain.KINDS, "policy_reply=24h, problem_complex=20d")
        assert kinds["policy_reply"].target == timedelta(hours=24)
        assert kinds["problem_complex"].target == timedelta(days=20)
        assert kinds["problem_general"] == domain.KINDS["problem_general"]

    @pytest.mark.parametrize("bad", ["policy_reply=48", "nope=3d", "policy_reply=-1h"])
    def test_a_bad_override_is_refused(self, bad):
        with pytest.raises(ValueError):
            domain.kind_targets(domain.KINDS, bad)


class TestReport:
    def test_met_rate_median_and_p90_overall_and_by_department(self):
        target = 48 * HOUR
        land, power = "县自然资源和规划局", "县供电公司"
        rows = [
            domain.ReportRow("met", 10 * HOUR, target, (domain.PartDone(land, 10 * HOUR),
                                                        domain.PartDone(power, 5 * HOUR))),
            domain.ReportRow("met", 20 * HOUR, target, (domain.PartDone(land, 20 * HOUR),)),
            domain.ReportRow("met_late", 60 * HOUR, target, (domain.PartDone(land, 60 * HOUR),)),
            domain.ReportRow("breached", 50 * HOUR, target, (domain.PartDone(power, None),)),
            domain.ReportRow("on_track", 1 * HOUR, target, (domain.PartDone(power, None),)),
        ]
        report = domain.sla_report(rows)
        overall = report["overall"]
        assert overall["clocks"] == 5 and overall["open"] == 2 and overall["overdue_open"] == 1
        assert overall["met_rate"] == 0.5  # 2 met of 2 met + 1 late + 1 overdue
        assert overall["median_hours"] == 20.0 and overall["p90_hours"] == 60.0
        by = {d["department"]: d for d in report["departments"]}
        assert by[land]["met"] == 2 and by[land]["met_late"] == 1
        assert by[land]["met_rate"] == pytest.approx(0.6667, abs=1e-4)
        assert by[land]["median_hours"] == 20.0
        assert by[power]["items"] == 3 and by[power]["open"] == 2 and by[power]["overdue_open"] == 1
        assert by[power]["met_rate"] == 0.5

    def test_an_empty_report_has_no_rates(self):
        report = domain.sla_report([])
        assert report["overall"]["met_rate"] is None and report["departments"] == []
