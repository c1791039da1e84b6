"""Routing a lead to one of the six teams by its industry: pure rules, no I/O."""
from __future__ import annotations

from dataclasses import dataclass

from shared.text import fold_text

# Full-width to half-width, case and spacing folded, so 'Solar　PV' matches 'solar pv'.
normalise_industry = fold_text


@dataclass(frozen=True)
class Route:
    team_id: str
    keyword: str


class DuplicateKeyword(ValueError):
    pass


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
