from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from services.supervision.domain import PROBLEM_STATUSES
from shared.schemas import PageQuery


class ProblemFilter(PageQuery):
    status: Optional[Literal[PROBLEM_STATUSES]] = None  # type: ignore[valid-type]
    owner_department: Optional[Annotated[str, Field(max_length=100)]] = None
    lead_id: Optional[Annotated[str, Field(max_length=64)]] = None
