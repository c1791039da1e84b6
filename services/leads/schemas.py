"""The leads service's boundary models (RPC arguments and results)."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import AwareDatetime, Field, field_validator

from services.leads.domain import STAGES, STATUSES, credit_code_problem, normalise_credit_code
from shared.schemas import PageQuery, Strict

Text = Annotated[str, Field(min_length=1, max_length=200)]


class Company(Strict):
    name: Text
    credit_code: Optional[str] = Field(
        default=None, description="统一社会信用代码: 18 characters with a GB 32100-2015 check digit"
    )

    @field_validator("credit_code")
    @classmethod
    def valid_credit_code(cls, value):
        if value is None:
            return None
        value = normalise_credit_code(value)
        problem = credit_code_problem(value)
        if problem:
            raise ValueError(f"invalid unified social credit code: {problem}")
        return value


class Contact(Strict):
    name: Text
    phone: Optional[Annotated[str, Field(max_length=40)]] = None
    title: Optional[Annotated[str, Field(max_length=100)]] = None
    email: Optional[Annotated[str, Field(max_length=200)]] = None


class LeadCreate(Strict):
    title: Text
    company: Company
    industry: Annotated[str, Field(min_length=1, max_length=50)]
    investment_cny: Annotated[int, Field(ge=0, le=10**13, description="planned investment, yuan")]
    land_mu: Optional[Annotated[float, Field(ge=0, le=10**6)]] = None
    region: Optional[Annotated[str, Field(max_length=100)]] = None
    source_branch_id: Optional[Annotated[str, Field(max_length=50)]] = None
    contact: Optional[Contact] = None
    first_contact_at: Optional[AwareDatetime] = None
    notes: Optional[Annotated[str, Field(max_length=5000)]] = None
    major: Optional[bool] = Field(default=None, description="flag a major project below the threshold")


class LeadFilter(PageQuery):
    team_id: Optional[Annotated[str, Field(max_length=50)]] = None
    stage: Optional[Literal[STAGES]] = None  # type: ignore[valid-type]
    status: Optional[Literal[STATUSES]] = None  # type: ignore[valid-type]
    branch_id: Optional[Annotated[str, Field(max_length=50)]] = None
    major: Optional[bool] = None
