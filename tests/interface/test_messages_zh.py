"""Over HTTP, messages for people are Chinese: `detail` and each field's `msg` (naming the field
by its label), while `title`, `type` and `loc` stay machine-readable."""
import pytest

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.sla.service import SlaService
from tests.interface.helpers import login

LEAD = {"title": "捷泰新能源高效电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
        "industry": "光伏电池", "investment_cny": 13_000_000_000}


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, LeadsService, SlaService)
    runner.start()
    return runner


@pytest.fixture
def admin(gateway, web_session):
    return login(web_session, "admin", "admin-password-for-tests")


def test_130_yi_is_a_chinese_422_naming_the_investment(web_session, admin, mongo, db_prefix):
    answer = web_session.post("/api/v1/leads", json={**LEAD, "investment_cny": "130亿"},
                              headers=admin)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["title"] == "Unprocessable content" and problem["type"] == "about:blank"
    assert problem["errors"] == [{"loc": ["body", "investment_cny"],
                                  "msg": "计划投资（元）：应为整数（如 13000000000，不带单位）"}]
    assert problem["detail"] == "输入有误：计划投资（元）：应为整数（如 13000000000，不带单位）"
    assert mongo[f"{db_prefix}leads"].leads.count_documents({}) == 0


def test_stages_are_taken_by_their_chinese_labels(web_session, admin):
    lead = web_session.post("/api/v1/leads", json=LEAD, headers=admin).json()
    moved = web_session.post(f"/api/v1/leads/{lead['id']}/stage", headers=admin,
                             json={"stage": "在谈"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "negotiating"
    listed = web_session.get("/api/v1/leads", params={"stage": "在谈"}, headers=admin).json()
    assert [x["id"] for x in listed["items"]] == [lead["id"]]
    refused = web_session.post(f"/api/v1/leads/{lead['id']}/stage", headers=admin,
                               json={"stage": "在谈"})
    future = web_session.post(f"/api/v1/leads/{lead['id']}/stage", headers=admin,
                              json={"stage": "签约", "at": "2100-01-01T09:00:00"})
    assert future.status_code == 422
    assert future.json()["errors"] == [{"loc": ["body", "at"], "msg": "发生时间：不能晚于现在"}]
    assert refused.status_code == 409
    assert refused.json()["detail"] == "线索已处于在谈阶段"
    unknown = web_session.get("/api/v1/leads/nope", headers=admin)
    assert unknown.status_code == 404 and unknown.json()["detail"] == "没有线索 nope"


def test_a_day_without_an_offset_is_the_countys(web_session, admin):
    report = web_session.get("/api/v1/sla/report", params={"from": "2026-12-01",
                                                            "to": "2026-12-08"}, headers=admin)
    assert report.status_code == 200, report.text
    backwards = web_session.get("/api/v1/sla/report", params={"from": "2026-12-08",
                                                               "to": "2026-12-01"}, headers=admin)
    assert backwards.status_code == 422
    assert backwards.json()["errors"] == [{"loc": ["query"], "msg": (
        "查询参数：结束时间（to）应晚于开始时间（from）")}]


def test_the_gateways_own_answers_are_chinese(web_session, admin):
    assert web_session.get("/api/v1/leads").json()["detail"] == \
        "需要 Bearer 令牌（Authorization: Bearer <token>）"
    nowhere = web_session.get("/api/v1/nowhere", headers=admin)
    assert nowhere.status_code == 404 and nowhere.json()["detail"] == "没有这个地址"
    not_json = web_session.post("/api/v1/leads", data=b"{", headers={
        **admin, "Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["detail"].startswith(
        "请求体不是 UTF-8 编码的 JSON")
