"""The leads' domain refusals: one base, each knowing how it crosses RPC (a 409 or a 422)."""
from __future__ import annotations

from shared.errors import Conflict, InvalidInput, Refusal, field_error


class LeadsRefusal(Refusal):
    """A rule of the leads refused a change; `rpc_error()` is the error the caller gets."""


class MoveRefused(LeadsRefusal):
    """The machine forbids this move; `allowed` lists what it would accept (a 409 whose extra,
    `answer`, names the current state and the allowed moves)."""

    def __init__(self, message: str, allowed: list, answer: dict | None = None):
        super().__init__(message)
        self.allowed = allowed
        self.answer = answer or {}

    def rpc_error(self) -> Conflict:
        return Conflict(str(self), self.answer)


class FieldRefused(LeadsRefusal):
    """A value the rules refuse (a 422 naming the field at `loc`)."""

    loc: list[str] = []

    def __init__(self, message: str, loc: list[str] | None = None):
        super().__init__(message)
        if loc is not None:
            self.loc = loc

    def rpc_error(self) -> InvalidInput:
        return field_error(self.loc, str(self))


class ReasonRequired(FieldRefused):
    """The move is allowed only with a reason, and none was given (a 422 on the note)."""


class BadMoveTime(FieldRefused):
    """The `at` of a move is in the future or before the lead's previous move (a 422)."""

    loc = ["body", "at"]


class DuplicateLead(LeadsRefusal):
    """A lead with the same credit code and title exists (a 409 with its id)."""

    def __init__(self, existing_id: str | None):
        super().__init__("已有同一统一社会信用代码、同一名称的线索")
        self.existing_id = existing_id

    def rpc_error(self) -> Conflict:
        return Conflict(str(self), {"existing_id": self.existing_id})
