"""The policy service's boundary models (RPC arguments)."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import AwareDatetime, Field

from services.policy.domain import CATEGORIES, MAX_ITEMS, REQUEST_STATUSES, SLA_STATES
from shared.schemas import PageQuery, Strict

Text = Annotated[str, Field(min_length=1, max_length=200)]
Department = Annotated[str, Field(min_length=1, max_length=100)]


class ItemIn(Strict):
    topic: Text
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    department: Optional[Department] = Field(default=None,
                                             description="else routed by category")


class PolicyRequestCreate(Strict):
    lead_id: Annotated[str, Field(min_length=1, max_length=64)]
    enterprise: Text
    received_at: Optional[AwareDatetime] = Field(
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

    held_at: AwareDatetime
    chair: Text
    attendees: Annotated[list[Text], Field(min_length=1, max_length=100)]
    minutes: Annotated[str, Field(min_length=1, max_length=20000)]


class RouteIn(Strict):
    department: Department


class RequestFilter(PageQuery):
    status: Optional[Literal[REQUEST_STATUSES]] = None  # type: ignore[valid-type]
    department: Optional[Annotated[str, Field(max_length=100)]] = None
    sla_state: Optional[Literal[SLA_STATES]] = None  # type: ignore[valid-type]
    lead_id: Optional[Annotated[str, Field(max_length=64)]] = None
