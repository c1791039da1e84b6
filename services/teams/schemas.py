"""The teams service's boundary models (RPC arguments and results)."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field, RootModel

from shared.schemas import Strict, View


class Reassignment(Strict):
    """Move a lead to another team (or out of triage), optionally naming the member who follows it."""

    team_id: Annotated[str, Field(min_length=1, max_length=50)]
    owner: Optional[Annotated[str, Field(min_length=1, max_length=64)]] = None
    reason: Optional[Annotated[str, Field(max_length=1000)]] = None


class RoutingRule(Strict):
    """Route leads whose industry is (or contains) `keyword` to `team_id`."""

    keyword: Annotated[str, Field(min_length=1, max_length=50)]
    team_id: Annotated[str, Field(min_length=1, max_length=50)]


# -- results ----------------------------------------------------------------------------------
class CountyLeader(View):
    name: str
    title: Optional[str] = None


class TeamMember(View):
    username: str
    name: Optional[str] = None


class TeamView(View):
    """One of the six specialist teams: who heads and leads it, and the industries it covers."""

    id: str
    name: str
    name_zh: str
    leader: CountyLeader
    lead_department: str
    cooperating: list[str] = []
    industries: list[str] = []
    members: list[TeamMember] = []


class TeamList(RootModel[list[TeamView]]):
    pass


class StageFigures(View):
    stage: str
    count: int
    investment_cny: int
    major: int


class MemberWorkload(View):
    username: Optional[str]  # None: the team's leads nobody follows yet
    name: Optional[str]
    open_leads: int
    major_leads: int
    investment_cny: int
    by_stage: dict[str, int]


class TeamTotals(View):
    open_leads: int
    investment_cny: int
    lost: int


class TeamDetail(TeamView):
    pipeline: list[StageFigures]
    workload: list[MemberWorkload]
    totals: TeamTotals


class ReassignmentDone(View):
    lead_id: str
    team_id: str
    team_name: str
    owner: Optional[str]
    previous_team_id: Optional[str]


class RuleRow(View):
    keyword: str
    team_id: str
    team_name_zh: Optional[str]


class RuleTable(RootModel[list[RuleRow]]):
    pass


class RuleChange(View):
    keyword: str
    team_id: Optional[str]  # None: the keyword was removed
    previous_team_id: Optional[str]
