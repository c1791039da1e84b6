"""What supervision's events become elsewhere: problem clocks in natural or working days as
configured (sla), and the notices the departments, teams and leaders get (notifier)."""
from datetime import timedelta

import pytest

from services.notifier import domain as notifier
from services.sla import domain as sla

PROBLEM = {"problem_id": "p1", "lead_id": "jietai", "lead_title": "捷泰新能源高效电池片项目",
           "title": "双回路供电接入", "owner_department": "县供电公司", "complexity": "general",
           "team_id": "new-energy", "project_lead": "chengh"}


def test_problem_clocks_count_natural_or_working_days_as_configured():
    kinds = sla.kind_days(sla.KINDS, "problem_feedback=natural, problem_complex=working")
    assert not kinds["problem_feedback"].working_days
    assert kinds["problem_complex"].working_days
    assert kinds["problem_complex"].target == timedelta(days=30)  # only the counting changes
    assert kinds["problem_general"] == sla.KINDS["problem_general"]
    assert sla.kind_days(sla.KINDS, "") is sla.KINDS


@pytest.mark.parametrize("setting", ["problem_feedback=weekdays", "no_such_kind=natural",
                                     "problem_feedback"])
def test_a_wrong_day_setting_is_refused_at_start(setting):
    with pytest.raises(ValueError, match="SLA_DAYS"):
        sla.kind_days(sla.KINDS, setting)


def test_a_new_problem_reaches_its_owner_department():
    message = notifier.problem_raised_message({"problem": PROBLEM,
                                               "raised_at": "2026-12-07T01:30:00+00:00"})
    assert message.recipients == ("department:县供电公司",)
    assert "3日内反馈" in message.body and "12月07日09:30" in message.body


def test_an_overdue_problem_reaches_its_owner_department():
    message = notifier.deadline_missed_message({
        "problem": PROBLEM, "deadline": "feedback", "kind": "problem_feedback",
        "label_zh": "问题3日内反馈", "due_at": "2026-12-10T01:30:00+00:00"})
    assert message.recipients == ("department:县供电公司",)
    assert message.title == "【超期】问题未3日内反馈：双回路供电接入"
    assert "12月10日09:30" in message.body


@pytest.mark.parametrize("kind,unit_id,unit", [
    ("department", "县供电公司", ("department:县供电公司",)),
    ("town", "石湖镇", ("department:石湖镇",)),
    ("team", "new-energy", ("team-leader:new-energy", "team:new-energy")),
])
def test_a_yellow_card_reaches_the_unit_the_leaders_and_the_supervision_office(
        kind, unit_id, unit):
    message = notifier.yellow_card_message({
        "card_id": f"2026-12:{kind}:{unit_id}", "month": "2026-12", "unit_kind": kind,
        "unit_id": unit_id, "unit_name": unit_id, "score": 3, "threshold": 3,
        "reasons": [{"rule": "problem_deadline_missed", "label_zh": "问题超期未解决", "points": 3,
                     "subject_id": "p2", "title": "安置房建设", "detail": "已超期"}]})
    assert message.recipients == (*unit, "role:leader", "role:inspector")
    assert "问题超期未解决：安置房建设（3分）" in message.body
