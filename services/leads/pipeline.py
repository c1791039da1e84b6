"""The stage pipeline and the status of a lead: one pure state machine, no I/O.

Stages run lead -> negotiating -> signed -> land -> construction -> production. The next
stage is an ordinary move; jumping further ahead is a skip and needs a reason; going back
is for a county leader or an admin only, and needs a reason too. `status` (active, stalled,
lost) is kept apart from the stage: a stalled project keeps its stage, a lost one is frozen
until someone reactivates it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

STAGES = ("lead", "negotiating", "signed", "land", "construction", "production")
STAGE_LABELS_ZH = {
    "lead": "线索", "negotiating": "在谈", "signed": "签约",
    "land": "供地", "construction": "开工", "production": "投产",
}
STATUSES = ("active", "stalled", "lost")
STATUS_LABELS_ZH = {"active": "推进中", "stalled": "停滞", "lost": "已流失"}
KIND_ZH = {"forward": "推进到", "skip": "跳到", "backward": "退回"}


def zh(stage: str) -> str:
    return STAGE_LABELS_ZH.get(stage, stage)


def zs(status: str) -> str:
    return STATUS_LABELS_ZH.get(status, status)

# Roles that may move a lead back (a correction, or a deal that fell back to talks).
BACKWARD_ROLES = frozenset({"leader", "admin"})

# Arriving at these stages reaches the milestone of the same meaning in the plan.
STAGE_MILESTONES = {
    "signed": "signed", "land": "land_listed",
    "construction": "groundbreaking", "production": "production",
}


@dataclass(frozen=True)
class AllowedMove:
    stage: str
    kind: str  # "forward", "skip" or "backward"
    needs_reason: bool

    def as_dict(self) -> dict:
        # Strings only: nameko stringifies other scalars in an error crossing RPC. Every kind
        # but "forward" needs a reason.
        return {"stage": self.stage, "kind": self.kind}


class MoveRefused(Exception):
    """The machine forbids this move; `allowed` lists what it would accept (a 409)."""

    def __init__(self, message: str, allowed: list[AllowedMove]):
        super().__init__(message)
        self.allowed = allowed


class ReasonRequired(Exception):
    """The move is allowed only with a reason, and none was given (a 422 on the note)."""


class BadMoveTime(Exception):
    """The `at` of a move is in the future or before the lead's previous move (a 422)."""


def stage_index(stage: str) -> int:
    return STAGES.index(stage)


def allowed_moves(stage: str, status: str, role: str) -> list[AllowedMove]:
    """Every move a `role` may make from `stage`; none while the lead is lost."""
    if status == "lost":
        return []
    here = stage_index(stage)
    moves = []
    for index, target in enumerate(STAGES):
        if index == here + 1:
            moves.append(AllowedMove(target, "forward", False))
        elif index > here + 1:
            moves.append(AllowedMove(target, "skip", True))
        elif index < here and role in BACKWARD_ROLES:
            moves.append(AllowedMove(target, "backward", True))
    return moves


def check_move(stage: str, target: str, status: str, role: str, reason: str | None) -> AllowedMove:
    """The move from `stage` to `target`, or MoveRefused / ReasonRequired saying why not."""
    allowed = allowed_moves(stage, status, role)
    move = next((m for m in allowed if m.stage == target), None)
    if move is None:
        if status == "lost":
            why = "线索已流失：请先恢复为推进中（status active）再调整阶段"
        elif target == stage:
            why = f"线索已处于{zh(stage)}阶段"
        elif stage_index(target) < stage_index(stage):
            why = f"只有县领导或管理员可以把线索从{zh(stage)}退回{zh(target)}"
        else:
            why = f"不能从{zh(stage)}移到{zh(target)}"
        raise MoveRefused(why, allowed)
    if move.needs_reason and not (reason or "").strip():
        raise ReasonRequired(f"从{zh(stage)}{KIND_ZH.get(move.kind, '移到')}{zh(target)}须在 note 中说明原因")
    return move


def check_move_time(at: datetime, previous_at: datetime, now: datetime) -> None:
    """A move happens now or is recorded late; never in the future, never before the last one."""
    if at > now:
        raise BadMoveTime("不能晚于现在")
    if at < previous_at:
        raise BadMoveTime(f"不能早于上一次阶段变化（{previous_at.isoformat()}）")


def milestone_of_move(move: AllowedMove) -> str | None:
    """The plan milestone a forward move or skip reaches on arrival; backward moves reach none."""
    return None if move.kind == "backward" else STAGE_MILESTONES.get(move.stage)


# -- status -----------------------------------------------------------------------------------

STATUS_MOVES = {
    "active": ("stalled", "lost"),
    "stalled": ("active", "lost"),
    "lost": ("active",),
}


def check_status_change(current: str, target: str, reason: str | None) -> None:
    """Losing a lead or reviving a lost one needs a reason; a no-op change is refused."""
    if target not in STATUS_MOVES[current]:
        raise MoveRefused(
            f"线索已是{zs(current)}状态" if target == current
            else f"不能从{zs(current)}改为{zs(target)}",
            [AllowedMove(s, "status", s == "lost" or current == "lost") for s in STATUS_MOVES[current]],
        )
    if (target == "lost" or current == "lost") and not (reason or "").strip():
        raise ReasonRequired(f"从{zs(current)}改为{zs(target)}须说明原因（reason）")
