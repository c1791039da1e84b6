"""Routing a lead's industry to one of the six teams."""
import pytest

from services.leads.domain import STAGES
from services.teams.domain import DuplicateKeyword, pick_team, pipeline, routing_table
from services.teams.service import load_teams_file


@pytest.fixture(scope="module")
def table():
    return routing_table(load_teams_file())


@pytest.mark.parametrize("industry,team", [
    ("玻璃纤维", "new-materials"),
    ("光伏电池", "new-energy"),           # contains 光伏
    ("高效太阳能电池", "new-energy"),
    ("白酒", "food-liquor"),
    ("Glass Fibre", "new-materials"),   # case folded
    ("ｓｏｌａｒ", "new-energy"),          # full-width folded
    ("电子元器件", "electronic-info"),
    ("物流", "modern-services"),
    ("汽车零部件", "equipment"),
])
def test_industries_reach_their_team(table, industry, team):
    assert pick_team(industry, table).team_id == team


def test_an_uncovered_industry_goes_nowhere(table):
    assert pick_team("宠物殡葬", table) is None


def test_the_longest_keyword_wins():
    table = routing_table([
        {"_id": "a", "industries": ["电池"]},
        {"_id": "b", "industries": ["太阳能电池"]},
    ])
    assert pick_team("高效太阳能电池片", table).team_id == "b"


def test_a_keyword_claimed_by_two_teams_is_refused():
    with pytest.raises(DuplicateKeyword):
        routing_table([{"_id": "a", "industries": ["光伏"]}, {"_id": "b", "industries": ["光伏"]}])


def test_the_file_holds_six_teams_with_leader_department_and_industries():
    teams = load_teams_file()
    assert len(teams) == 6
    for team in teams:
        assert team["leader"]["name"] and team["lead_department"] and team["industries"]


def test_pipeline_counts_and_sums_every_stage_leaving_out_lost_leads():
    rows = pipeline([
        {"stage": "lead", "investment_cny": 5}, {"stage": "lead", "investment_cny": 7},
        {"stage": "signed", "investment_cny": 13, "major": True},
        {"stage": "signed", "investment_cny": 100, "status": "lost"},
    ], STAGES)
    assert rows[0] == {"stage": "lead", "count": 2, "investment_cny": 12, "major": 0}
    assert rows[2] == {"stage": "signed", "count": 1, "investment_cny": 13, "major": 1}
    assert [r["stage"] for r in rows] == list(STAGES)
