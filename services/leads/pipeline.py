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

from services.leads import progress
from services.leads.errors import BadMoveTime, MoveRefused, ReasonRequired
from services.leads.progress import STAGE_MILESTONES
from shared.change import Change
from shared.events import LeadStageChanged, LeadStatusChanged
from shared.scope import Principal

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

@dataclass(frozen=True)
class AllowedMove:
    stage: str
    kind: str  # "forward", "skip" or "backward"
    needs_reason: bool

    def as_dict(self) -> dict:
        # Strings only: nameko stringifies other scalars in an error crossing RPC. Every kind
        # but "forward" needs a reason.
        return {"stage": self.stage, "kind": self.kind}


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
        raise MoveRefused(why, allowed, {"current": stage, "lead_status": status,
                                         "allowed": [m.as_dict() for m in allowed]})
    if move.needs_reason and not (reason or "").strip():
        raise ReasonRequired(
            f"从{zh(stage)}{KIND_ZH.get(move.kind, '移到')}{zh(target)}须在 note 中说明原因",
            ["body", "note"])
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
        allowed = [AllowedMove(s, "status", s == "lost" or current == "lost")
                   for s in STATUS_MOVES[current]]
        raise MoveRefused(
            f"线索已是{zs(current)}状态" if target == current
            else f"不能从{zs(current)}改为{zs(target)}",
            allowed, {"current": current, "allowed": [m.stage for m in allowed]})
    if (target == "lost" or current == "lost") and not (reason or "").strip():
        raise ReasonRequired(f"从{zs(current)}改为{zs(target)}须说明原因（reason）",
                             ["body", "reason"])


# -- the decisions: what a move or a status change sets, appends and announces -----------------

def move(lead: dict, to: str, principal: Principal, note: str | None, at: datetime | None,
         now: datetime) -> Change:
    """The lead moved to `to` (at `at`, default now): its stage, the history entries and
    `lead_stage_changed`, with `milestone_reached` when the arrival reaches a planned milestone
    not reached before. Refused (MoveRefused, ReasonRequired, BadMoveTime) as the machine says."""
    allowed = check_move(lead["stage"], to, lead["status"], principal.role, note)
    at = at or now
    check_move_time(at, lead["stage_history"][-1]["at"], now)
    by = principal.username
    change = Change(
        set={"stage": allowed.stage, "stage_index": stage_index(allowed.stage),
             "updated_at": now, "updated_by": by},
        append={
            "stage_history": ({"stage": allowed.stage, "from": lead["stage"], "kind": allowed.kind,
                               "at": at, "by": by, "note": note},),
            "changes": ({"at": now, "by": by, "action": "stage",
                         "fields": {"stage": {"from": lead["stage"], "to": allowed.stage}},
                         "note": note},),
        },
        events=(LeadStageChanged(
            lead_id=lead["_id"], title=lead["title"], from_stage=lead["stage"],
            to_stage=allowed.stage, at=at, by=by, team_id=lead.get("team_id"),
            source_branch_id=lead.get("source_branch_id"), investment_cny=lead["investment_cny"],
            major=lead["major"], move=allowed.kind, note=note),))
    milestone = milestone_of_move(allowed)
    planned = {item["milestone"]: item for item in progress.plan_of(lead)}
    if milestone in planned and milestone not in progress.dates_of(lead):
        change = change.causing(progress.milestone_reached(
            lead, planned[milestone], progress.county_date(at), None, by))
    return change


def change_status(lead: dict, to: str, reason: str | None, by: str, now: datetime) -> Change:
    """The lead's status set to `to`: the histories and `lead_status_changed`."""
    check_status_change(lead["status"], to, reason)
    return Change(
        set={"status": to, "updated_at": now, "updated_by": by},
        append={
            "status_history": ({"status": to, "from": lead["status"], "at": now, "by": by,
                                "reason": reason},),
            "changes": ({"at": now, "by": by, "action": "status",
                         "fields": {"status": {"from": lead["status"], "to": to}},
                         "note": reason},),
        },
        events=(LeadStatusChanged(
            lead_id=lead["_id"], title=lead["title"], from_status=lead["status"], to_status=to,
            reason=reason, at=now, by=by, team_id=lead.get("team_id"), stage=lead["stage"],
            investment_cny=lead["investment_cny"], major=lead["major"]),))
