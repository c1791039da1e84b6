"""What the gateway's own routes answer (accounts, audit, health, this API's description).

Each is an allow-list: ApiRoute passes a handler's result through the route's model, so a field
is sent because a model here (or in a service's schemas.py) names it.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from services.gateway.schemas import Role
from shared.schemas import Page, Timestamp, View


class IssuedToken(View):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class PasswordChanged(View):
    changed: bool


class UserView(View):
    """An account; never its password hash or its token version."""

    username: str
    display_name: str
    role: Role
    team_id: Optional[str] = None
    branch_id: Optional[str] = None
    department: Optional[str] = None
    disabled: bool
    created_at: Timestamp
    created_by: Optional[str] = None
    updated_at: Optional[Timestamp] = None
    last_login_at: Optional[Timestamp] = None
    failed_logins: Optional[int] = None
    locked_until: Optional[Timestamp] = None


class UserPage(Page):
    items: list[UserView]


class AuditEntry(View):
    """One successful write: the request as sent (secrets masked) and the object before and after
    (each as the API showed it then, so of any shape)."""

    id: str
    at: Timestamp
    actor: str
    role: str
    method: str
    route: str
    path: str
    object_id: Optional[str] = None
    request: Any = None
    before: Optional[dict] = None
    after: Any = None
    status: int
    correlation_id: Optional[str] = None


class AuditPage(Page):
    items: list[AuditEntry]


class Alive(View):
    status: Literal["ok"]


class Ready(View):
    status: Literal["ready"]
    checks: dict[str, str]


class OpenApiDocument(View):
    openapi: str
    info: dict
    paths: dict
    components: dict
    security: list
