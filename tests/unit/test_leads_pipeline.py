"""The stage pipeline and the status of a lead: the one state machine, driven directly."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from services.leads.pipeline import (
    STAGES, STATUSES, BadMoveTime, MoveRefused, ReasonRequired, allowed_moves, check_move,
    check_move_time, check_status_change, milestone_of_move,
)

ROLES = ("admin", "leader", "team_member", "branch_member", "department", "inspector")
stages = st.sampled_from(STAGES)
roles = st.sampled_from(ROLES)
reasons = st.one_of(st.none(), st.just(""), st.just("  "), st.text(min_size=1, max_size=20))


class TestForward:
    def test_the_next_stage_needs_no_reason(self):
        move = check_move("lead", "negotiating", "active", "team_member", None)
        assert (move.stage, move.kind, move.needs_reason) == ("negotiating", "forward", False)

    def test_a_skip_needs_a_reason(self):
        with pytest.raises(ReasonRequired, match="从签约跳到开工须在 note 中说明原因"):
            check_move("signed", "construction", "active", "team_member", "  ")
        move = check_move("signed", "construction", "active", "team_member", "土地已先行交付")
        assert move.kind == "skip"

    def test_a_stalled_lead_can_still_move(self):
        assert check_move("land", "construction", "stalled", "team_member", None).kind == "forward"


class TestBackward:
    def test_a_team_member_may_not_move_back_and_is_told_what_is_allowed(self):
        with pytest.raises(MoveRefused) as exc:
            check_move("signed", "negotiating", "active", "team_member", "谈判反复")
        assert str(exc.value) == "只有县领导或管理员可以把线索从签约退回在谈"
        assert [(m.stage, m.kind) for m in exc.value.allowed] == [
            ("land", "forward"), ("construction", "skip"), ("production", "skip")]

    @pytest.mark.parametrize("role", ["leader", "admin"])
    def test_a_leader_or_admin_moves_back_with_a_reason(self, role):
        with pytest.raises(ReasonRequired):
            check_move("signed", "negotiating", "active", role, None)
        assert check_move("signed", "negotiating", "active", role, "合同条款重谈").kind == "backward"


class TestRefusals:
    def test_the_same_stage_is_refused(self):
        with pytest.raises(MoveRefused, match="线索已处于供地阶段"):
            check_move("land", "land", "active", "admin", "x")

    def test_a_lost_lead_is_frozen_until_reactivated(self):
        with pytest.raises(MoveRefused, match=r"线索已流失：请先恢复为推进中（status active）再调整阶段") as exc:
            check_move("lead", "negotiating", "lost", "admin", "x")
        assert exc.value.allowed == []

    def test_production_is_the_end_for_a_team_member(self):
        assert allowed_moves("production", "active", "team_member") == []


@given(stages, stages, st.sampled_from(STATUSES), roles, reasons)
def test_the_machine_accepts_exactly_what_it_lists_as_allowed(stage, target, status, role, reason):
    allowed = {m.stage: m for m in allowed_moves(stage, status, role)}
    try:
        move = check_move(stage, target, status, role, reason)
    except MoveRefused as exc:
        assert target not in allowed
        assert {m.stage for m in exc.allowed} == set(allowed)
    except ReasonRequired:
        assert allowed[target].needs_reason and not (reason or "").strip()
    else:
        assert move == allowed[target]
        assert not move.needs_reason or (reason or "").strip()


@given(stages, st.sampled_from(STATUSES), roles)
def test_allowed_moves_follow_the_rules(stage, status, role):
    here = STAGES.index(stage)
    for move in allowed_moves(stage, status, role):
        there = STAGES.index(move.stage)
        assert status != "lost" and there != here
        assert move.kind == ("forward" if there == here + 1 else "skip" if there > here else "backward")
        assert move.needs_reason == (move.kind != "forward")
        if move.kind == "backward":
            assert role in ("leader", "admin")


@given(st.lists(st.tuples(stages, st.text(alphabet="重谈复核ab", min_size=1, max_size=5)), max_size=30))
def test_any_walk_the_machine_accepts_for_an_admin_ends_on_a_real_stage(steps):
    stage = "lead"
    for target, reason in steps:
        try:
            stage = check_move(stage, target, "active", "admin", reason).stage
        except MoveRefused:
            assert target == stage  # for an admin with a reason, only standing still is refused
    assert stage in STAGES


def test_a_walk_to_production_without_reasons_passes_every_stage_in_order():
    stage, walked = "lead", []
    while allowed := [m for m in allowed_moves(stage, "active", "team_member") if not m.needs_reason]:
        stage = check_move(stage, allowed[0].stage, "active", "team_member", None).stage
        walked.append(stage)
    assert walked == list(STAGES[1:])


class TestMoveTime:
    NOW = datetime(2026, 3, 18, 9, tzinfo=timezone.utc)

    def test_a_move_recorded_late_is_fine(self):
        check_move_time(self.NOW - timedelta(days=30), self.NOW - timedelta(days=60), self.NOW)

    def test_not_in_the_future(self):
        with pytest.raises(BadMoveTime, match="^不能晚于现在$"):
            check_move_time(self.NOW + timedelta(minutes=1), self.NOW - timedelta(days=1), self.NOW)

    def test_not_before_the_previous_move(self):
        with pytest.raises(BadMoveTime, match=r"^不能早于上一次阶段变化（2026-03-17T09:00:00\+00:00）$"):
            check_move_time(self.NOW - timedelta(days=2), self.NOW - timedelta(days=1), self.NOW)


def test_arriving_at_a_stage_reaches_its_milestone_but_going_back_does_not():
    assert milestone_of_move(check_move("negotiating", "signed", "active", "x", None)) == "signed"
    assert milestone_of_move(check_move("signed", "construction", "active", "x", "r")) == "groundbreaking"
    assert milestone_of_move(check_move("negotiating", "lead", "active", "admin", "r")) is None
    assert milestone_of_move(check_move("lead", "negotiating", "active", "x", None)) is None


class TestStatus:
    def test_stall_and_resume_need_no_reason(self):
        check_status_change("active", "stalled", None)
        check_status_change("stalled", "active", None)

    @pytest.mark.parametrize("current,target", [("active", "lost"), ("stalled", "lost"), ("lost", "active")])
    def test_losing_or_reviving_needs_a_reason(self, current, target):
        with pytest.raises(ReasonRequired):
            check_status_change(current, target, "")
        check_status_change(current, target, "企业战略调整")

    def test_no_op_and_lost_to_stalled_are_refused_with_the_allowed_list(self):
        with pytest.raises(MoveRefused, match="线索已是推进中状态"):
            check_status_change("active", "active", None)
        with pytest.raises(MoveRefused) as exc:
            check_status_change("lost", "stalled", "x")
        assert [m.stage for m in exc.value.allowed] == ["active"]
