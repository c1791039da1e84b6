"""What the gateway's own routes answer (accounts, audit, health, this API's description).

Each is an allow-list: ApiRoute passes a handler's result through the route's model, so a field
is sent because a model here (or in a service's schemas.py) names it.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import RootModel

from services.gateway.schemas import Role
from services.leads.schemas import LeadSummary, LeadView
from services.policy.schemas import Category, PolicyRequestView
from services.sla.schemas import ClockView
from services.supervision.schemas import ProblemView
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


class LeaderAccount(View):
    """A county leader's account as the workers who name one see it (no role, no scope)."""

    username: str
    display_name: str


class LeaderList(RootModel[list[LeaderAccount]]):
    pass


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


# -- paper: attachments and seals ---------------------------------------------------------------
class AttachmentView(View):
    """A file attached to a lead, a policy request or one of its items, a problem or a visit."""

    id: str
    filename: str
    bytes: int
    kind: str
    media_type: str
    sha256: str
    owner: str
    uploaded_by: str
    uploaded_at: Timestamp
    note: Optional[str] = None


class AttachmentList(View):
    items: list[AttachmentView]
    total: int


class SealUploaded(View):
    unit: str
    sha256: str
    bytes: int
    uploaded_by: str
    uploaded_at: Timestamp
    replaced: bool
    versions: int


class SealInfo(View):
    """Whether and when a unit's seal was uploaded (never the image itself)."""

    unit: str
    sha256: str
    bytes: int
    uploaded_by: str
    uploaded_at: Timestamp
    history: list[dict[str, Any]] = []


# -- lead detail and my work (they gather answers of several services) ---------------------------


class LeadDetail(LeadView):
    """GET /leads/{id}: the lead with its open problems and open requests, as far as the caller
    may see them (None: that service did not answer just now)."""

    open_problems: Optional[list[ProblemView]] = None
    open_requests: Optional[list[PolicyRequestView]] = None


class MyProject(LeadSummary):
    my_role: str  # project_lead (县级项目长) or service_group (帮办服务组)


class WorkQueue(View):
    """My team's, department's or branch's queue (admin: triage; inspector: breached clocks)."""

    kind: Literal["team", "department", "branch", "triage", "breached"]
    team_id: Optional[str] = None
    department: Optional[str] = None
    branch_id: Optional[str] = None
    mine: Optional[list[LeadSummary]] = None
    leads: Optional[list[LeadSummary]] = None
    requests: Optional[list[PolicyRequestView]] = None
    problems: Optional[list[ProblemView]] = None
    clocks: Optional[list[ClockView]] = None


class MyWork(View):
    role: Role
    overdue: list[ClockView]
    due_soon: list[ClockView]
    projects: list[MyProject]
    queue: WorkQueue


# -- Excel in: the county's ledger (台账) -------------------------------------------------------
class ImportRowError(View):
    row: int
    column: Optional[str] = None
    msg: str


class ImportDuplicate(View):
    row: int
    existing_id: Optional[str] = None
    msg: str


class ImportPossibleDuplicate(View):
    row: int
    leads: list[str]


class LedgerImport(View):
    """A dry run says what a commit would do; a commit creates what is valid, once."""

    dry_run: bool
    rows: int
    valid: int
    created: int
    would_create: int
    already_imported: int
    errors: list[ImportRowError]
    duplicates: list[ImportDuplicate]
    possible_duplicates: list[ImportPossibleDuplicate]
    created_ids: list[str]
    seconds: float


class ReportProducing(View):
    """202 from a report route: the report is being produced (a closed period's, or a live board
    that takes longer than a caller waits); ask `poll` again after `retry_after` seconds."""

    status: Literal["producing"]
    report: str
    period: str
    label_zh: str
    final: bool
    status_zh: str
    retry_after: int
    poll: str


# -- Excel in: an enterprise's batch of policy requests ---------------------------------------
class PolicyImportItem(View):
    """A row as the item it becomes: its number in the request and the department it goes to."""

    row: int
    n: int
    topic: str
    category: Category
    category_zh: str
    department: str


class PolicyImport(View):
    """A dry run says what a commit would create; a commit creates the request once (the same
    file again is `already_imported`, with the request the first import stored)."""

    dry_run: bool
    rows: int
    valid: int
    errors: list[ImportRowError]
    duplicates: list[ImportDuplicate]
    items: list[PolicyImportItem]
    id: Optional[str] = None
    would_create: bool
    created: bool
    already_imported: bool
    request: Optional[PolicyRequestView] = None
