"""The teams service's boundary models (RPC arguments)."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from shared.schemas import Strict


class Reassignment(Strict):
    """Move a lead to another team (or out of triage), optionally naming the member who follows it."""

    team_id: Annotated[str, Field(min_length=1, max_length=50)]
    owner: Optional[Annotated[str, Field(min_length=1, max_length=64)]] = None
    reason: Optional[Annotated[str, Field(max_length=1000)]] = None


class RoutingRule(Strict):
    """Route leads whose industry is (or contains) `keyword` to `team_id`."""

    keyword: Annotated[str, Field(min_length=1, max_length=50)]
    team_id: Annotated[str, Field(min_length=1, max_length=50)]
