"""The policy service's boundary models (RPC arguments and results)."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, RootModel

from services.policy.domain import (
    CATEGORIES, CATEGORY_LABELS_ZH, ITEM_STATUSES, MAX_ITEMS, REQUEST_STATUSES, SLA_STATES,
)
from shared.schemas import Backdated, CountyDatetime, Page, PageQuery, Strict, Timestamp, View, choice

Text = Annotated[str, Field(min_length=1, max_length=200)]
Department = Annotated[str, Field(min_length=1, max_length=100)]


# What enterprises and clerks also write for a category.
CATEGORY_ALIASES_ZH = {"政策": "policy", "土地": "land", "电力": "power", "供电": "power",
                       "供水": "water", "水": "water", "燃气": "gas", "天然气": "gas",
                       "供气": "gas", "审批": "permit", "许可": "permit", "金融": "finance",
                       "财税": "finance", "融资": "finance"}
REQUEST_STATUS_LABELS_ZH = {"open": "办理中", "closed": "已办结"}
SLA_STATE_LABELS_ZH = {"on_track": "正常", "warning": "预警", "breached": "已超时",
                       "met": "按时办结", "met_late": "超时办结"}


class ItemIn(Strict):
    topic: Text
    category: choice(CATEGORIES, CATEGORY_LABELS_ZH, CATEGORY_ALIASES_ZH)
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    department: Optional[Department] = Field(default=None,
                                             description="else routed by category")


class PolicyRequestCreate(Strict):
    lead_id: Annotated[str, Field(min_length=1, max_length=64)]
    enterprise: Text
    received_at: Optional[CountyDatetime] = Field(
        default=None, description="when the county received it; may be in the past, never future")
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=MAX_ITEMS)]


class PolicyImportQuery(Strict):
    """POST /policy-requests/import: the request the spreadsheet's rows are the items of."""

    lead_id: Annotated[str, Field(min_length=1, max_length=64)]
    enterprise: Optional[Text] = Field(default=None, description="else the lead's company")
    received_at: Optional[CountyDatetime] = Field(
        default=None, description="when the county received it; may be in the past, never future")
    dry_run: bool = Field(default=True, description="true: check and answer, write nothing")


class ReplyIn(Strict):
    """A stamped reply (盖章函复)."""

    text: Annotated[str, Field(min_length=1, max_length=10000)]
    department: Department
    signer: Text
    reference_no: Annotated[str, Field(min_length=1, max_length=60,
                                       description="文号, unique per department and year; "
                                                   "several items of one request may share one")]
    proof_attachment_id: Optional[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default=None, description="the scanned stamped letter, attached to this item first")


class PauseIn(Strict):
    note: Optional[Annotated[str, Field(max_length=1000)]] = None


class MeetingIn(Strict):
    """A joint study meeting (专题研究会商)."""

    held_at: CountyDatetime
    chair: Text
    attendees: Annotated[list[Text], Field(min_length=1, max_length=100)]
    minutes: Annotated[str, Field(min_length=1, max_length=20000)]


class RouteIn(Strict):
    department: Department


class RequestFilter(PageQuery):
    status: Optional[choice(REQUEST_STATUSES, REQUEST_STATUS_LABELS_ZH)] = None
    department: Optional[Annotated[str, Field(max_length=100)]] = None
    sla_state: Optional[choice(SLA_STATES, SLA_STATE_LABELS_ZH)] = None
    lead_id: Optional[Annotated[str, Field(max_length=64)]] = None
    q: Optional[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default=None, description="search in the enterprise and the items' topics")


# -- results ----------------------------------------------------------------------------------
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
SlaState = Literal[SLA_STATES]  # type: ignore[valid-type]


class PauseView(View):
    key: str
    since: Timestamp
    until: Optional[Timestamp]
    note: Optional[str] = None


class ReplyView(View):
    text: str
    department: str
    signer: str
    reference_no: str
    replied_at: Timestamp
    replied_by: str
    proof_attachment_id: Optional[str] = None  # the scanned stamped letter, attached to the item


class ItemClock(View):
    """One item's own 48-hour clock (GET /policy-requests/{id})."""

    due_at: Optional[Timestamp] = None
    elapsed_pct: Optional[float] = None
    state: SlaState
    paused: Optional[bool] = None
    counted_hours: Optional[float] = None
    stopped_at: Optional[Timestamp] = None


class ItemView(View):
    n: int
    topic: str
    category: Category
    text: str
    department: str
    status: Literal[ITEM_STATUSES]  # type: ignore[valid-type]
    pauses: list[PauseView]
    reply: Optional[ReplyView]
    sla_state: Optional[SlaState] = None
    sla: Optional[ItemClock] = None


class MeetingView(View):
    held_at: Timestamp
    chair: str
    attendees: list[str]
    minutes: str
    recorded_by: Optional[str] = None
    recorded_at: Optional[Timestamp] = None


class RequestSla(View):
    """The request's 48-hour clock as the sla service keeps it (`elapsed_pct` None while the
    clock is not there yet)."""

    due_at: Optional[Timestamp]
    elapsed_pct: Optional[float]
    state: SlaState
    paused: Optional[bool] = None
    counted_hours: Optional[float] = None
    items: Optional[int] = None  # how many item clocks the state follows from
    items_breached: Optional[int] = None


class PolicyRequestView(View):
    """An enterprise's batch of requests; a department sees its own items only."""

    id: str
    lead_id: str
    lead_title: str
    team_id: Optional[str]
    project_lead: Optional[str]
    enterprise: str
    received_at: Timestamp
    due_at: Timestamp
    items: list[ItemView]
    meeting: Optional[MeetingView]
    status: Literal[REQUEST_STATUSES]  # type: ignore[valid-type]
    closed_at: Optional[Timestamp]
    sla_state: SlaState
    sla_updated_at: Optional[Timestamp] = None
    sla: Optional[RequestSla] = None  # GET /policy-requests/{id} adds the live clock
    backdated: Optional[Backdated] = None  # received on paper earlier: by whom, how far back
    created_by: str
    created_at: Timestamp


class PolicyRequestPage(Page):
    items: list[PolicyRequestView]


class RouteView(View):
    category: Category
    label_zh: Optional[str] = None
    department: str


class RouteTable(RootModel[list[RouteView]]):
    pass
