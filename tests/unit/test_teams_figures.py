"""A team's counters, added up change by change, say what counting its leads says."""
import random

import pytest

from services.leads.domain import STAGES
from services.teams.domain import (
    FIGURE_SHARDS, figure_changes, lost_of_figures, open_counts_of_figures, pipeline, pipeline_of_figures,
    workload, workload_of_figures,
)

MEMBERS = [{"username": "xny.zhao", "name": "赵磊"}, {"username": "xny.sun", "name": "孙悦"}]


def counters_after(history: list[tuple[dict | None, dict]], shards: int = 1) -> list[dict]:
    """The counter documents after each change of `history`, as the repository keeps them:
    each change added to one of `shards` documents of each counter, chosen at random."""
    totals: dict = {}
    rng = random.Random(11)
    for before, after in history:
        shard = rng.randrange(shards)
        for (team, kind, key), amounts in figure_changes(before, after).items():
            row = totals.setdefault((team, kind, key, shard),
                                    {"team_id": team, "kind": kind, "key": key})
            for field, amount in amounts.items():
                if field.startswith("by_stage."):
                    stage = field.split(".", 1)[1]
                    row.setdefault("by_stage", {})[stage] = row.get("by_stage", {}).get(stage, 0) + amount
                else:
                    row[field] = row.get(field, 0) + amount
    return list(totals.values())


@pytest.mark.parametrize("shards", [1, FIGURE_SHARDS])
def test_counters_match_the_leads_after_random_changes(shards):
    rng = random.Random(7)
    leads: dict[str, dict] = {}
    history = []
    for step in range(400):
        lead_id = f"l{rng.randrange(40)}"
        before = leads.get(lead_id)
        after = dict(before or {"team_id": "new-energy", "stage": "lead", "status": "active",
                                "investment_cny": rng.randrange(1, 50) * 10_000_000,
                                "major": rng.random() < 0.2, "owner": "xny.zhao"})
        change = rng.choice(["stage", "status", "owner", "money"])
        if change == "stage":
            after["stage"] = rng.choice(STAGES)
        elif change == "status":
            after["status"] = rng.choice(["active", "stalled", "lost"])
        elif change == "owner":
            after["owner"] = rng.choice(["xny.zhao", "xny.sun", None, "someone.else"])
        else:
            after["investment_cny"] = rng.randrange(1, 50) * 10_000_000
        history.append((before, after))
        leads[lead_id] = after
    figures = counters_after(history, shards)
    assert pipeline_of_figures(figures, STAGES) == pipeline(list(leads.values()), STAGES)
    by_user = lambda rows: sorted(rows, key=lambda r: str(r["username"]))  # noqa: E731
    assert by_user(workload_of_figures(MEMBERS, figures)) == by_user(
        workload(MEMBERS, list(leads.values())))
    assert lost_of_figures(figures) == sum(lead["status"] == "lost" for lead in leads.values())
    open_now = {}
    for lead in leads.values():
        if lead["status"] != "lost" and lead["stage"] != "production" and lead["owner"]:
            open_now[lead["owner"]] = open_now.get(lead["owner"], 0) + 1
    assert {k: v for k, v in open_counts_of_figures(figures).items() if v} == open_now


def test_a_lead_leaving_the_team_takes_its_amounts_along():
    lead = {"team_id": "a", "stage": "lead", "status": "active", "investment_cny": 5,
            "major": True, "owner": "x"}
    moved = {**lead, "team_id": "b", "owner": "y"}
    changes = figure_changes(lead, moved)
    assert changes[("a", "stage", "lead")] == {"count": -1, "investment_cny": -5, "major": -1}
    assert changes[("b", "owner", "y")] == {"open_leads": 1, "major_leads": 1,
                                            "investment_cny": 5, "by_stage.lead": 1}
    assert figure_changes(lead, dict(lead)) == {}
