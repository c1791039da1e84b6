"""The branches service's boundary models (RPC arguments; the gateway names them for OpenAPI).

Visit logging is meant for a phone in a car: only `company` is required, everything else
can be filled in that night (PATCH) or never.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

from pydantic import AfterValidator, Field, model_validator

from services.branches.domain import INTEREST_LEVELS
from services.leads.domain import credit_code_problem, normalise_credit_code
from shared.schemas import CountyDatetime, PageQuery, Strict, choice

Text = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]
Username = Annotated[str, Field(min_length=1, max_length=64)]
INTEREST_LABELS_ZH = {"high": "高", "medium": "中", "low": "低", "none": "无"}
Interest = choice(INTEREST_LEVELS, INTEREST_LABELS_ZH, {"强": "high", "一般": "medium", "弱": "low"})
TRIP_STATUS_LABELS_ZH = {"upcoming": "未开始", "ongoing": "进行中", "finished": "已结束"}


def checked_credit_code(value: str) -> str:
    value = normalise_credit_code(value)
    problem = credit_code_problem(value)
    if problem:
        raise ValueError(f"无效：{problem}")
    return value


CreditCode = Annotated[str, Field(max_length=40, description="统一社会信用代码 (18 characters)"),
                       AfterValidator(checked_credit_code)]


class Viewer(Strict):
    """Who is asking, as the gateway authenticated them; decides scope (see domain.may_read)."""

    username: Username
    role: str
    branch_id: Optional[str] = None


# --- branches ----------------------------------------------------------------------------

class Member(Strict):
    username: Username
    name: Text


class BranchUpdate(Strict):
    """An admin's edit of a branch; omitted fields stay as they are."""

    name: Optional[Text] = None
    name_zh: Optional[Text] = None
    regions: Optional[Annotated[list[Text], Field(min_length=1, max_length=50)]] = None
    members: Optional[Annotated[list[Member], Field(max_length=200)]] = None
    secretary: Optional[Member] = None

    @model_validator(mode="after")
    def not_empty(self):
        if not self.model_fields_set:
            raise ValueError("请至少提交一个要修改的字段")
        return self


# --- trips -------------------------------------------------------------------------------

class Target(Strict):
    """A company on the homework list: why it is worth a visit and what to ask."""

    company: Text
    credit_code: Optional[CreditCode] = None
    notes: Optional[LongText] = None
    questions: Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]],
                         Field(max_length=50)] = []


class TripCreate(Strict):
    destination: Text
    start_date: date
    end_date: date
    members: Annotated[list[Username], Field(max_length=50)] = []
    targets: Annotated[list[Target], Field(max_length=300)] = []
    purpose: Optional[LongText] = None


class TripUpdate(Strict):
    """Adjusting the plan on the road: new targets, another member, a day longer."""

    destination: Optional[Text] = None
    start_date: Optional[date] = None
    end_date: Optional[date] = None
    members: Optional[Annotated[list[Username], Field(max_length=50)]] = None
    targets: Optional[Annotated[list[Target], Field(max_length=300)]] = None
    purpose: Optional[LongText] = None

    @model_validator(mode="after")
    def not_empty(self):
        if not self.model_fields_set:
            raise ValueError("请至少提交一个要修改的字段")
        return self


class TripQuery(PageQuery):
    status: Optional[choice(tuple(TRIP_STATUS_LABELS_ZH), TRIP_STATUS_LABELS_ZH)] = None


# --- visits ------------------------------------------------------------------------------

class ContactIn(Strict):
    """The person met: a name is enough."""

    name: Text
    phone: Optional[Annotated[str, Field(max_length=40)]] = None
    title: Optional[Annotated[str, Field(max_length=100)]] = None
    email: Optional[Annotated[str, Field(max_length=200)]] = None


class VisitCreate(Strict):
    company: Text
    visited_at: Optional[CountyDatetime] = Field(default=None, description="defaults to now")
    visitors: Optional[Annotated[list[Username], Field(max_length=20)]] = Field(
        default=None, description="defaults to the caller")
    outcome: Optional[LongText] = None
    interest: Optional[Interest] = None
    next_step: Optional[Annotated[str, Field(max_length=1000)]] = None
    notes: Optional[LongText] = None
    credit_code: Optional[CreditCode] = None
    contact: Optional[ContactIn] = None


class VisitUpdate(Strict):
    """Filling in a visit later (the evening after): omitted fields stay as they are."""

    visitors: Optional[Annotated[list[Username], Field(max_length=20)]] = None
    outcome: Optional[LongText] = None
    interest: Optional[Interest] = None
    next_step: Optional[Annotated[str, Field(max_length=1000)]] = None
    notes: Optional[LongText] = None
    credit_code: Optional[CreditCode] = None

    @model_validator(mode="after")
    def not_empty(self):
        if not self.model_fields_set:
            raise ValueError("请至少提交一个要修改的字段")
        return self


class LeadFromVisit(Strict):
    """What a lead needs beyond the visit: the company comes from the visit unless given."""

    title: Optional[Text] = Field(default=None, description="defaults to the company name")
    industry: Annotated[str, Field(min_length=1, max_length=50)]
    investment_cny: Annotated[int, Field(ge=0, le=10**13, description="estimated, yuan")]
    company_name: Optional[Text] = None
    credit_code: Optional[CreditCode] = None
    land_mu: Optional[Annotated[float, Field(ge=0, le=10**6)]] = None
    region: Optional[Annotated[str, Field(max_length=100)]] = None
    contact: Optional[ContactIn] = None
    notes: Optional[LongText] = None


# --- summaries and results ---------------------------------------------------------------

class SummaryAmend(Strict):
    """Members' words on a day: the next day's plan and anything the figures do not say."""

    next_day_plan: Optional[LongText] = None
    notes: Optional[LongText] = None

    @model_validator(mode="after")
    def not_empty(self):
        if self.next_day_plan is None and self.notes is None:
            raise ValueError("请填写次日安排（next_day_plan）或备注（notes）")
        return self


class PeriodQuery(Strict):
    """Local days `from` to `to`, both included; either may be left open."""

    from_: Optional[date] = Field(default=None, alias="from")
    to: Optional[date] = None

    @model_validator(mode="after")
    def ordered(self):
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError(f"结束日期（to，{self.to}）早于开始日期（from，{self.from_}）")
        return self
