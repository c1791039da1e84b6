"""Routing a lead to one of the six teams by its industry: pure rules, no I/O."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def normalise_industry(text: str) -> str:
    """Full-width to half-width, case and spacing folded, so 'Solar　PV' matches 'solar pv'."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


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


def pipeline(team_leads: list[dict], stages: tuple[str, ...]) -> list[dict]:
    """Count and investment per stage, every stage listed even when empty."""
    by_stage = {s: {"stage": s, "count": 0, "investment_cny": 0} for s in stages}
    for lead in team_leads:
        row = by_stage.setdefault(
            lead["stage"], {"stage": lead["stage"], "count": 0, "investment_cny": 0}
        )
        row["count"] += 1
        row["investment_cny"] += lead.get("investment_cny", 0)
    return list(by_stage.values())
