"""Messages for people are Chinese: each field by its label, each error type in words; the
enumerations take their Chinese labels; a time without an offset is the county's."""
from datetime import datetime, timedelta, timezone

import pytest

from services.leads.schemas import LeadCreate, LeadFilter, StageMove
from services.policy.schemas import PolicyRequestCreate
from services.sla.schemas import ReportQuery
from services.supervision.schemas import ProblemCreate
from shared.errors import InvalidInput
from shared.messages_zh import field_label
from shared.schemas import validated

CST = timezone(timedelta(hours=8))
LEAD = {"title": "捷泰项目", "company": {"name": "捷泰新能源科技有限公司"}, "industry": "光伏电池",
        "investment_cny": 13_000_000_000}


def refused(model, payload, prefix=("body",)) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validated(model, payload, prefix)
    return caught.value


def test_130_yi_for_an_investment_reads_in_chinese_naming_the_field():
    error = refused(LeadCreate, {**LEAD, "investment_cny": "130亿"})
    assert error.extra["errors"] == [{"loc": ["body", "investment_cny"],
                                      "msg": "计划投资（元）：应为整数（如 13000000000，不带单位）"}]
    assert error.detail == "输入有误：计划投资（元）：应为整数（如 13000000000，不带单位）"


def test_missing_unknown_and_too_long_fields_are_named_by_their_labels():
    body = {**LEAD, "title": "项" * 201, "company": {"nmae": "x"}, "colour": "red"}
    del body["industry"]
    msgs = {tuple(e["loc"]): e["msg"] for e in refused(LeadCreate, body).extra["errors"]}
    assert msgs == {
        ("body", "title"): "名称：最多 200 个字符",
        ("body", "company", "name"): "企业名称：必填",
        ("body", "company", "nmae"): "nmae：不允许的字段",
        ("body", "industry"): "产业：必填",
        ("body", "colour"): "colour：不允许的字段",
    }


def test_an_item_of_a_list_is_named_with_its_position():
    body = {"lead_id": "x", "enterprise": "捷泰", "items": [
        {"topic": "用地", "category": "land", "text": "879亩"},
        {"topic": "供电", "category": "electricity", "text": "双回路"}]}
    error = refused(PolicyRequestCreate, body)
    assert error.extra["errors"] == [{
        "loc": ["body", "items", "1", "category"],
        "msg": "类别（第2项）：应为以下之一：投资政策（policy）、用地（land）、用电（power）、用水（water）、"
               "用气（gas）、环保（environment）、审批许可（permit）、金融财税（finance）、人才（talent）、"
               "其他（other）"}]


@pytest.mark.parametrize("model,payload,field,key", [
    (StageMove, {"stage": "签约"}, "stage", "signed"),
    (StageMove, {"stage": "signed"}, "stage", "signed"),
    (ProblemCreate, {"lead_id": "x", "title": "t", "description": "d", "owner_department": "县供电公司",
                     "complexity": "一般"}, "complexity", "general"),
    (ProblemCreate, {"lead_id": "x", "title": "t", "description": "d", "owner_department": "县供电公司",
                     "complexity": "复杂问题"}, "complexity", "complex"),
])
def test_enumerations_take_their_chinese_labels(model, payload, field, key):
    assert getattr(validated(model, payload), field) == key


def test_a_category_takes_the_words_enterprises_write():
    body = {"lead_id": "x", "enterprise": "捷泰", "items": [
        {"topic": "供电", "category": "电力", "text": "双回路"},
        {"topic": "用地", "category": "土地", "text": "879亩"}]}
    assert [i.category for i in validated(PolicyRequestCreate, body).items] == ["power", "land"]


def test_a_query_enumeration_takes_its_label_too():
    assert validated(LeadFilter, {"stage": "投产"}, ("query",)).stage == "production"
    error = refused(LeadFilter, {"stage": "完工"}, ("query",))
    assert error.extra["errors"] == [{"loc": ["query", "stage"], "msg": (
        "阶段：应为以下之一：线索（lead）、在谈（negotiating）、签约（signed）、供地（land）、"
        "开工（construction）、投产（production）")}]


def test_a_date_without_an_offset_is_the_countys_day():
    report = validated(ReportQuery, {"from": "2026-12-01", "to": "2026-12-08T12:00"}, ("query",))
    assert report.from_ == datetime(2026, 12, 1, tzinfo=CST)
    assert report.to == datetime(2026, 12, 8, 12, tzinfo=CST)
    lead = validated(LeadCreate, {**LEAD, "first_contact_at": "2026-01-05T09:00:00"})
    assert lead.first_contact_at == datetime(2026, 1, 5, 1, tzinfo=timezone.utc)
    # An offset given is kept.
    lead = validated(LeadCreate, {**LEAD, "first_contact_at": "2026-01-05T09:00:00Z"})
    assert lead.first_contact_at == datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    error = refused(ReportQuery, {"from": "12月1日"}, ("query",))
    assert error.extra["errors"][0]["msg"] == "开始时间：应为日期时间，如 2026-12-01T09:00:00+08:00"


def test_labels_prefer_the_most_specific_path():
    assert field_label(["body", "contact", "title"]) == "联系人职务"
    assert field_label(["body", "title"]) == "名称"
    assert field_label(["body"]) == "请求体"
    assert field_label(["query", "unknown_field"]) == "unknown_field"
