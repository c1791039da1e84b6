"""A team's members' workload, who follows a new lead, and the routing table as rows."""
from services.teams.domain import keyword_spellings, pick_owner, rule_rows, workload

MEMBERS = [{"username": "xny.zhao", "name": "赵磊"}, {"username": "xny.sun", "name": "孙悦"}]


def test_workload_counts_open_leads_per_member():
    rows = workload(MEMBERS, [
        {"owner": "xny.zhao", "stage": "signed", "investment_cny": 13, "major": True},
        {"owner": "xny.zhao", "stage": "lead", "investment_cny": 2},
        {"owner": "xny.zhao", "stage": "production", "investment_cny": 9},   # done: not open
        {"owner": "xny.sun", "stage": "lead", "investment_cny": 1, "status": "lost"},
        {"owner": None, "stage": "lead", "investment_cny": 4},
    ])
    by_user = {r["username"]: r for r in rows}
    assert by_user["xny.zhao"] == {"username": "xny.zhao", "name": "赵磊", "open_leads": 2,
                                   "major_leads": 1, "investment_cny": 15,
                                   "by_stage": {"signed": 1, "lead": 1}}
    assert by_user["xny.sun"]["open_leads"] == 0
    assert by_user[None]["open_leads"] == 1  # not yet given to anyone


def test_the_member_with_fewest_open_leads_follows_the_new_one():
    assert pick_owner(MEMBERS, {"xny.zhao": 3, "xny.sun": 1}) == "xny.sun"
    assert pick_owner(MEMBERS, {}) == "xny.zhao"  # tie: first listed
    assert pick_owner([], {}) is None


def test_rules_as_rows_and_spellings_of_a_keyword():
    teams = [{"_id": "a", "name_zh": "甲", "industries": ["Solar", "光伏"]},
             {"_id": "b", "name_zh": "乙", "industries": ["白酒"]}]
    assert rule_rows(teams) == [
        {"keyword": "solar", "team_id": "a", "team_name_zh": "甲"},
        {"keyword": "光伏", "team_id": "a", "team_name_zh": "甲"},
        {"keyword": "白酒", "team_id": "b", "team_name_zh": "乙"},
    ]
    assert keyword_spellings(teams, "ＳＯＬＡＲ") == {"a": ["Solar"]}
    assert keyword_spellings(teams, "风电") == {}
