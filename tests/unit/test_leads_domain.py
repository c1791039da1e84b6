"""Company-name folding, search keys for Chinese, possible duplicates and field changes."""
from datetime import datetime, timezone

import pytest
from hypothesis import assume, given, strategies as st

from services.leads.domain import (
    company_name_key, field_changes, new_lead, query_keys, search_keys, similar_leads,
)

NOW = datetime(2026, 1, 5, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("a,b", [
    ("巨石集团有限公司", "巨石集团"),
    ("江苏今世缘酒业股份有限公司", "江苏今世缘酒业"),
    ("捷泰新能源科技有限责任公司", "捷泰新能源科技"),
    ("捷泰 新能源科技有限公司", "捷泰新能源科技有限公司"),
    ("ＡＢＣ新材料（上海）有限公司", "abc新材料(上海)"),   # full-width folded
    ("Jushi Group Co., Ltd.", "jushigroup"),
])
def test_names_of_the_same_company_fold_to_one_key(a, b):
    assert company_name_key(a) == company_name_key(b)


def test_different_companies_keep_different_keys():
    assert company_name_key("巨石集团有限公司") != company_name_key("巨石材料有限公司")
    assert company_name_key("有限公司") == "有限公司"  # nothing left to fold away


def test_search_keys_find_chinese_substrings():
    keys = set(search_keys("捷泰新能源高效电池片项目", "捷泰新能源科技有限公司"))
    for q in ("捷泰", "电池片", "新能源科技", "池", "高效电池"):
        assert set(query_keys(q)) <= keys, q
    assert not set(query_keys("巨石")) <= keys


def test_search_is_folded_like_the_names():
    keys = set(search_keys("Solar 电池", "ＪＴ Energy"))
    assert set(query_keys("SOLAR")) <= keys and set(query_keys("jt")) <= keys
    assert query_keys("  ") == []


@given(st.text(alphabet="捷泰新能源巨石集团电池片项目ab c", min_size=1, max_size=30), st.data())
def test_every_substring_of_a_title_is_found(title, data):
    words = title.split()
    assume(words)
    keys = set(search_keys(title, ""))
    word = data.draw(st.sampled_from(words))
    start = data.draw(st.integers(0, max(0, len(word) - 1)))
    q = word[start:start + data.draw(st.integers(1, 5))]
    if q.strip():
        assert set(query_keys(q)) <= keys


def lead(_id, name, code=None):
    return {"_id": _id, "title": f"{name}项目", "company": {"name": name, "credit_code": code}}


def test_similar_leads_flag_same_name_unless_codes_differ():
    candidates = [lead("a", "巨石集团有限公司"), lead("b", "巨石集团", "91330400MA2CJ00241"),
                  lead("c", "巨石集团", "91110000600037341L")]
    found = similar_leads(candidates, "91330400MA2CJ00241", lead_id="new")
    assert [(f["id"], f["matched_by"]) for f in found] == [("a", "company_name"), ("b", "credit_code")]
    assert [f["id"] for f in similar_leads(candidates, None)] == ["a", "b", "c"]
    assert [f["id"] for f in similar_leads(candidates, None, lead_id="a")] == ["b", "c"]


def test_a_new_lead_starts_at_first_contact_and_records_its_creator():
    doc = new_lead("id1", {"title": "t", "company": {"name": "巨石集团有限公司"}, "industry": "玻纤",
                           "investment_cny": 5, "first_contact_at": NOW, "major": True},
                   "admin", NOW.replace(day=9), 1_000_000_000)
    assert doc["major"] is True and doc["major_flag"] is True
    assert doc["stage_history"][0]["at"] == NOW
    assert doc["company"]["name_key"] == "巨石集团"
    assert doc["changes"] == [{"at": NOW.replace(day=9), "by": "admin", "action": "created"}]
    assert (doc["stage"], doc["status"], doc["routing"], doc["version"]) == ("lead", "active", "pending", 1)


def test_field_changes_name_only_what_differs():
    doc = {"title": "a", "company": {"name": "x", "name_key": "x"}, "land_mu": 10}
    assert field_changes(doc, {"title": "a", "company": {"name": "x"}, "land_mu": 879}) == {
        "land_mu": {"from": 10, "to": 879}}
