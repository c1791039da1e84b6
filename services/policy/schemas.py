from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from services.policy.domain import REQUEST_STATUSES
from shared.schemas import PageQuery


class RequestFilter(PageQuery):
    status: Optional[Literal[REQUEST_STATUSES]] = None  # type: ignore[valid-type]
    department: Optional[Annotated[str, Field(max_length=100)]] = None
