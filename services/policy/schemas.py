"""The policy service's boundary models (RPC arguments)."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from services.policy.domain import (
    CATEGORIES, CATEGORY_LABELS_ZH, MAX_ITEMS, REQUEST_STATUSES, SLA_STATES,
)
from shared.schemas import CountyDatetime, PageQuery, Strict, choice

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
