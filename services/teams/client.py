"""The teams service's typed RPC client: `teams = TeamsClient()` in a service, with
`timeout=GATEWAY_RPC_TIMEOUT_SECONDS` in the gateway. Results are TypedDicts of what the
service sends (the models of schemas.py, unvalidated on the way in)."""
from __future__ import annotations

from typing import Any, Optional, TypedDict

from shared.client import Calls, ServiceClient, sent
from shared.scope import Principal


class TeamRecord(TypedDict, total=False):
    """A team as TeamView shows it (get_team adds pipeline, workload and totals: TeamDetail)."""

    id: str
    name: str
    name_zh: str
    leader: dict[str, Any]
    lead_department: str
    cooperating: list[str]
    industries: list[str]
    members: list[dict[str, Any]]
    pipeline: list[dict[str, Any]]
    workload: list[dict[str, Any]]
    totals: dict[str, int]


class ReassignmentDone(TypedDict):
    lead_id: str
    team_id: str
    team_name: str
    owner: Optional[str]
    previous_team_id: Optional[str]


class RuleRow(TypedDict):
    keyword: str
    team_id: str
    team_name_zh: Optional[str]


class RuleChange(TypedDict):
    keyword: str
    team_id: Optional[str]  # None: the keyword was removed
    previous_team_id: Optional[str]


class TeamsCalls(Calls):
    def list_teams(self) -> list[TeamRecord]:
        return self._call("list_teams")

    def get_team(self, team_id: str) -> TeamRecord:
        return self._call("get_team", team_id)

    def reassign(self, lead_id: str, body: dict, principal: Principal) -> ReassignmentDone:
        return self._call("reassign", lead_id, body, sent(principal))

    def routing_rules(self) -> list[RuleRow]:
        return self._call("routing_rules")

    def set_routing_rule(self, body: dict, principal: Principal) -> RuleChange:
        return self._call("set_routing_rule", body, sent(principal))

    def delete_routing_rule(self, keyword: str, principal: Principal) -> RuleChange:
        return self._call("delete_routing_rule", keyword, sent(principal))


class TeamsClient(ServiceClient):
    service_name = "teams"
    calls = TeamsCalls
