"""Routing a lead to one of the six teams by its industry: pure rules, no I/O."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.change import Change
from shared.errors import Conflict, KuaibanError, Refusal, field_error
from shared.events import LeadAssigned, LeadUnrouted, RoutingRuleChanged
from shared.text import fold_text

# Where a lead whose industry no rule covers waits for an admin.
TRIAGE = "triage"

# Full-width to half-width, case and spacing folded, so 'Solar　PV' matches 'solar pv'.
normalise_industry = fold_text


@dataclass(frozen=True)
class Route:
    team_id: str
    keyword: str


class TeamsRefusal(Refusal):
    """A rule of the teams refused a request; `loc` names the field of a 422, else a 409
    whose extra is `answer`."""

    def __init__(self, message: str, loc: list[str] | None = None, answer: dict | None = None):
        super().__init__(message)
        self.loc = loc
        self.answer = answer or {}

    def rpc_error(self) -> KuaibanError:
        if self.loc:
            return field_error(self.loc, str(self))
        return Conflict(str(self), self.answer)


class DuplicateKeyword(TeamsRefusal, ValueError):
    """The teams file names one industry keyword for two teams."""


def routing_table(teams: list[dict]) -> dict[str, str]:
    """keyword -> team id, from each team's `industries`; a keyword claimed twice is an error."""
    table: dict[str, str] = {}
    for team in teams:
        for keyword in team.get("industries", []):
            key = normalise_industry(keyword)
            if key in table and table[key] != team["_id"]:
                raise DuplicateKeyword(
                    f"industry keyword '{keyword}' belongs to both {table[key]} and {team['_id']}"
                )
            table[key] = team["_id"]
    return table


def pick_team(industry: str, table: dict[str, str]) -> Route | None:
    """The team whose keyword equals the industry, else the longest keyword inside it.

    None when no keyword applies: such a lead goes to triage, never to a team at random.
    """
    wanted = normalise_industry(industry)
    if wanted in table:
        return Route(table[wanted], wanted)
    inside = [k for k in table if k in wanted]
    if not inside:
        return None
    # Longest keyword wins ("太阳能电池" over "电池"); ties broken alphabetically to stay stable.
    best = min(inside, key=lambda k: (-len(k), k))
    return Route(table[best], best)


OPEN_STATUSES = ("active", "stalled")


def is_open(lead: dict) -> bool:
    """A lead a member still works on: not lost, not yet in production."""
    return lead.get("status", "active") in OPEN_STATUSES and lead.get("stage") != "production"


def pipeline(team_leads: list[dict], stages: tuple[str, ...]) -> list[dict]:
    """Count and investment per stage, every stage listed even when empty; lost leads left out."""
    by_stage: dict[str, dict] = {
        s: {"stage": s, "count": 0, "investment_cny": 0, "major": 0} for s in stages}
    for lead in team_leads:
        if lead.get("status") == "lost" or not lead.get("stage"):
            continue
        row = by_stage.setdefault(
            lead["stage"], {"stage": lead["stage"], "count": 0, "investment_cny": 0, "major": 0}
        )
        row["count"] += 1
        row["investment_cny"] += lead.get("investment_cny", 0)
        row["major"] += bool(lead.get("major"))
    return list(by_stage.values())


def workload(members: list[dict], team_leads: list[dict]) -> list[dict]:
    """Each member's open leads (count, major ones, investment, by stage), and the unowned."""
    rows = {m["username"]: {"username": m["username"], "name": m.get("name"), "open_leads": 0,
                            "major_leads": 0, "investment_cny": 0, "by_stage": {}}
            for m in members}
    for lead in team_leads:
        if not is_open(lead):
            continue
        owner = lead.get("owner") or ""
        row = rows.setdefault(owner, {"username": owner or None, "name": None, "open_leads": 0,
                                      "major_leads": 0, "investment_cny": 0, "by_stage": {}})
        row["open_leads"] += 1
        row["major_leads"] += bool(lead.get("major"))
        row["investment_cny"] += lead.get("investment_cny", 0)
        row["by_stage"][lead["stage"]] = row["by_stage"].get(lead["stage"], 0) + 1
    return list(rows.values())


def pick_owner(members: list[dict], open_counts: dict[str, int]) -> str | None:
    """The member with the fewest open leads follows the new one (ties: the first listed)."""
    if not members:
        return None
    return min(members, key=lambda m: open_counts.get(m["username"], 0))["username"]


def rule_rows(teams: list[dict]) -> list[dict]:
    """The routing table as rows {keyword, team_id, team_name_zh}, sorted by keyword."""
    rows = [{"keyword": normalise_industry(k), "team_id": t["_id"], "team_name_zh": t.get("name_zh")}
            for t in teams for k in t.get("industries", [])]
    return sorted(rows, key=lambda r: r["keyword"])


def keyword_spellings(teams: list[dict], keyword: str) -> dict[str, list[str]]:
    """team id -> the stored spellings of `keyword` (e.g. "Solar" for "solar") in that team."""
    wanted = normalise_industry(keyword)
    found: dict[str, list[str]] = {}
    for team in teams:
        same = [k for k in team.get("industries", []) if normalise_industry(k) == wanted]
        if same:
            found[team["_id"]] = same
    return found


# -- the team's figures, kept as counters ---------------------------------------------------
# A team's pipeline, workload and totals are sums over its leads. Rather than reading every
# lead of the team on each look (or each assignment), each change of a lead adds its
# difference to counter documents in the same transaction: `figure_increments(after)` minus
# `figure_increments(before)`.

# Each counter is kept in this many documents, summed when read: the assignments of one team
# that run at once each add to one of them, rather than all conflicting on one document (a
# write conflict costs the transaction a retry; at ten workers most of them did).
FIGURE_SHARDS = 8


def figure_id(team_id: str, kind: str, key: str, shard: int = 0) -> str:
    return f"{team_id}\x1f{kind}\x1f{key}" + (f"\x1f{shard}" if shard else "")


def merged_shards(figures: list[dict]) -> list[dict]:
    """One row per counter, its shards' documents added up (a shard alone may be below zero:
    a lead is counted in one shard and may leave from another)."""
    merged: dict[tuple, dict] = {}
    for row in figures:
        target = merged.setdefault((row.get("team_id"), row["kind"], row["key"]),
                                   {"team_id": row.get("team_id"), "kind": row["kind"],
                                    "key": row["key"]})
        for field, value in row.items():
            if field == "by_stage":
                stages = target.setdefault("by_stage", {})
                for stage, n in (value or {}).items():
                    stages[stage] = stages.get(stage, 0) + n
            elif isinstance(value, int) and not isinstance(value, bool):
                target[field] = target.get(field, 0) + value
    return list(merged.values())


def figure_increments(lead: dict | None) -> dict[tuple[str, str, str], dict[str, int]]:
    """(team, kind, key) -> the amounts this lead adds: to its stage's pipeline row (unless
    lost), to the lost count, and, while open, to its owner's workload."""
    if not lead or not lead.get("team_id"):
        return {}
    team = lead["team_id"]
    investment = int(lead.get("investment_cny") or 0)
    major = int(bool(lead.get("major")))
    out: dict[tuple[str, str, str], dict[str, int]] = {}
    if lead.get("status") == "lost":
        out[(team, "lost", "")] = {"count": 1}
    elif lead.get("stage"):
        out[(team, "stage", lead["stage"])] = {"count": 1, "investment_cny": investment,
                                               "major": major}
    if is_open(lead) and lead.get("stage"):
        out[(team, "owner", lead.get("owner") or "")] = {
            "open_leads": 1, "major_leads": major, "investment_cny": investment,
            f"by_stage.{lead['stage']}": 1}
    return out


def figure_changes(before: dict | None, after: dict | None) -> dict[tuple, dict[str, int]]:
    """What to add to each counter when a lead goes from `before` to `after` (zeros left out)."""
    changes: dict[tuple, dict[str, int]] = {}
    for sign, lead in ((-1, before), (1, after)):
        for key, amounts in figure_increments(lead).items():
            row = changes.setdefault(key, {})
            for field, amount in amounts.items():
                row[field] = row.get(field, 0) + sign * amount
    return {key: {f: n for f, n in row.items() if n} for key, row in changes.items()
            if any(row.values())}


def pipeline_of_figures(figures: list[dict], stages: tuple[str, ...]) -> list[dict]:
    """As `pipeline`, from the counters."""
    by_stage = {s: {"stage": s, "count": 0, "investment_cny": 0, "major": 0} for s in stages}
    for row in sorted((f for f in merged_shards(figures) if f["kind"] == "stage"),
                      key=lambda f: f["key"]):
        if row["key"] not in by_stage and not row.get("count"):
            continue
        target = by_stage.setdefault(row["key"], {"stage": row["key"], "count": 0,
                                                  "investment_cny": 0, "major": 0})
        for field in ("count", "investment_cny", "major"):
            target[field] += row.get(field, 0)
    return list(by_stage.values())


def workload_of_figures(members: list[dict], figures: list[dict]) -> list[dict]:
    """As `workload`, from the counters: every member, then any other owner with open leads."""
    rows = {m["username"]: {"username": m["username"], "name": m.get("name"), "open_leads": 0,
                            "major_leads": 0, "investment_cny": 0, "by_stage": {}}
            for m in members}
    for row in sorted((f for f in merged_shards(figures) if f["kind"] == "owner"),
                      key=lambda f: f["key"]):
        owner = row["key"]
        if owner not in rows and not row.get("open_leads"):
            continue
        target = rows.setdefault(owner, {"username": owner or None, "name": None, "open_leads": 0,
                                         "major_leads": 0, "investment_cny": 0, "by_stage": {}})
        for field in ("open_leads", "major_leads", "investment_cny"):
            target[field] += row.get(field, 0)
        for stage, n in (row.get("by_stage") or {}).items():
            if n:
                target["by_stage"][stage] = target["by_stage"].get(stage, 0) + n
    return list(rows.values())


def open_counts_of_figures(figures: list[dict]) -> dict[str, int]:
    return {f["key"]: f.get("open_leads", 0) for f in merged_shards(figures)
            if f["kind"] == "owner" and f["key"]}


def lost_of_figures(figures: list[dict]) -> int:
    return sum(f.get("count", 0) for f in figures if f["kind"] == "lost")  # shards add up too


def county_leader(team: dict) -> str:
    leader = team["leader"]
    return f"{leader['name']}（{leader['title']}）"


def assignment(lead, team: dict | None, route: Route | None, open_counts: dict[str, int],
               now: datetime) -> Change:
    """A new lead (`lead_created`) under the team its industry routes to, with the member who
    has the fewest open leads (`lead_assigned`); in triage (`lead_unrouted`) when no rule
    covers the industry."""
    fields = {"title": lead.title, "investment_cny": lead.investment_cny, "major": lead.major,
              "assigned_at": now}
    if team is None or route is None:
        return Change(set={**fields, "team_id": TRIAGE, "owner": None},
                      events=(LeadUnrouted(lead_id=lead.lead_id, title=lead.title,
                                           industry=lead.industry),))
    owner = pick_owner(team.get("members", []), open_counts)
    return Change(
        set={**fields, "team_id": team["_id"], "owner": owner},
        events=(LeadAssigned(
            lead_id=lead.lead_id, title=lead.title, team_id=team["_id"],
            team_name=team["name_zh"], county_leader=county_leader(team),
            matched_keyword=route.keyword, major=lead.major, owner=owner),))


def reassignment(lead: dict, team: dict, owner: str | None, reason: str | None,
                 open_counts: dict[str, int], by: str, now: datetime) -> Change:
    """The lead moved to `team` (and `owner`, else the member with the fewest open leads):
    `lead_assigned` again, with the previous team, who and why. 422 for an owner who is not
    a member, 409 when the lead is there already."""
    members = [m["username"] for m in team.get("members", [])]
    if owner is not None and owner not in members:
        raise TeamsRefusal(f"{owner} 不是 {team['_id']} 的成员；成员：{'、'.join(members)}",
                           loc=["body", "owner"])
    if team["_id"] == lead["team_id"] and (owner is None or owner == lead.get("owner")):
        raise TeamsRefusal(f"线索已在 {team['_id']}",
                           answer={"team_id": lead["team_id"], "owner": lead.get("owner")})
    owner = owner or pick_owner(team.get("members", []), open_counts)
    return Change(
        set={"team_id": team["_id"], "owner": owner, "assigned_at": now, "assigned_by": by},
        events=(LeadAssigned(
            lead_id=lead["_id"], title=lead.get("title") or "", team_id=team["_id"],
            team_name=team["name_zh"], county_leader=county_leader(team),
            matched_keyword="", major=bool(lead.get("major")), owner=owner,
            previous_team_id=lead["team_id"], assigned_by=by, reason=reason),))


def rerouting(updated, team: dict, route: Route, previous_team_id: str | None,
              open_counts: dict[str, int], now: datetime) -> Change:
    """A lead whose industry changed (`lead_updated`) to another team's chain: it moves there,
    with the reason its history keeps."""
    owner = pick_owner(team.get("members", []), open_counts)
    return Change(
        set={"team_id": team["_id"], "owner": owner, "assigned_at": now},
        events=(LeadAssigned(
            lead_id=updated.lead_id, title=updated.title, team_id=team["_id"],
            team_name=team["name_zh"], county_leader=county_leader(team),
            matched_keyword=route.keyword, major=updated.major, owner=owner,
            previous_team_id=previous_team_id, assigned_by=updated.by,
            reason=f"行业变更为「{updated.industry}」，按产业链改由{team['name_zh']}承接"),))


def rule_moved(keyword: str, team_id: str | None, previous_team_id: str | None,
               by: str) -> RoutingRuleChanged:
    """`routing_rule_changed`: the keyword now routes to `team_id` (None: to triage)."""
    return RoutingRuleChanged(keyword=keyword, team_id=team_id,
                              previous_team_id=previous_team_id, by=by)
