"""Bodies the gateway itself reads (the other services validate their own)."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field, model_validator

from shared.schemas import Strict, choice

ROLES = ("admin", "leader", "team_member", "branch_member", "department", "inspector")
ROLE_LABELS_ZH = {"admin": "管理员", "leader": "县领导", "team_member": "专业组成员",
                  "branch_member": "党支部成员", "department": "部门", "inspector": "督查室"}
Role = choice(ROLES, ROLE_LABELS_ZH)


class TokenRequest(Strict):
    username: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class UserCreate(Strict):
    username: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
    password: Annotated[str, Field(min_length=10, max_length=200)]
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Role
    team_id: Optional[Annotated[str, Field(max_length=50)]] = None
    branch_id: Optional[Annotated[str, Field(max_length=50)]] = None
    department: Optional[Annotated[str, Field(max_length=100)]] = None


class PasswordChange(Strict):
    current_password: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Annotated[str, Field(min_length=10, max_length=200)]


class UserUpdate(Strict):
    """An admin's edit of an account; any change revokes the account's tokens."""

    display_name: Optional[Annotated[str, Field(min_length=1, max_length=100)]] = None
    role: Optional[Role] = None
    team_id: Optional[Annotated[str, Field(max_length=50)]] = None
    branch_id: Optional[Annotated[str, Field(max_length=50)]] = None
    department: Optional[Annotated[str, Field(max_length=100)]] = None
    disabled: Optional[bool] = None
    password: Optional[Annotated[str, Field(min_length=10, max_length=200)]] = None

    @model_validator(mode="after")
    def no_null_where_a_value_is_needed(self):
        # Leaving a field out keeps it; null clears team, branch or department only.
        for name in ("display_name", "role", "disabled", "password"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} 不能为 null；不修改就不要提交该字段")
        return self


class AuditQuery(Strict):
    object_id: Optional[Annotated[str, Field(min_length=1, max_length=100)]] = None
    actor: Optional[Annotated[str, Field(min_length=1, max_length=64)]] = None
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=200)] = 50
