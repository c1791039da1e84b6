from __future__ import annotations

from typing import Literal, Optional

from services.sla.domain import CLOCK_KINDS, CLOCK_STATES
from shared.schemas import PageQuery


class ClockFilter(PageQuery):
    state: Optional[Literal[CLOCK_STATES]] = None  # type: ignore[valid-type]
    kind: Optional[Literal[CLOCK_KINDS]] = None  # type: ignore[valid-type]
