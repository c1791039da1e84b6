"""GET /search?q=: leads by title, company, credit code and contact; problems by their title;
policy requests by enterprise and topic; visits by company; only what the caller may see."""
import pytest

from services.branches.service import BranchesService
from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.policy.service import PolicyService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from tests.interface.helpers import eventually, login, user

JIETAI = {"title": "捷泰新能源高效电池片项目",
          "company": {"name": "捷泰新能源科技有限公司", "credit_code": "91320826MA1JT0013A"},
          "industry": "光伏电池", "investment_cny": 13_000_000_000,
          "contact": {"name": "王建国", "phone": "13800001111"}}
JINSHIYUAN = {"title": "今世缘酒业技改项目",
              "company": {"name": "江苏今世缘酒业股份有限公司",
                          "credit_code": "91320800140100081T"},
              "industry": "白酒", "investment_cny": 2_000_000_000}
TRIP = {"destination": "杭州", "start_date": "2026-11-02", "end_date": "2026-11-04"}


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, LeadsService, TeamsService,
                            SupervisionService, PolicyService, BranchesService)
    runner.start()
    return runner


@pytest.fixture
def world(gateway, web_session):
    admin = login(web_session, "admin", "admin-password-for-tests")
    leads = {}
    for body in (JIETAI, JINSHIYUAN):
        created = web_session.post("/api/v1/leads", json=body, headers=admin)
        assert created.status_code == 201, created.text
        leads[body["title"]] = created.json()["id"]
    for lead_id in leads.values():  # the teams service assigns them a moment later
        eventually(lambda: web_session.get(f"/api/v1/leads/{lead_id}",
                                           headers=admin).json()["team_id"])
    jietai = leads[JIETAI["title"]]
    problem = web_session.post("/api/v1/problems", headers=admin, json={
        "lead_id": jietai, "title": "双回路供电接入滞后", "description": "变电站间隔未落实",
        "owner_department": "县发展和改革委员会", "complexity": "一般"})
    assert problem.status_code == 201, problem.text
    request = web_session.post("/api/v1/policy-requests", headers=admin, json={
        "lead_id": jietai, "enterprise": "捷泰新能源科技有限公司",
        "items": [{"topic": "879亩用地指标", "category": "土地", "text": "请协调用地指标"}]})
    assert request.status_code == 201, request.text
    zhejiang = user(web_session, admin, "zj.yang", "branch_member", branch_id="zhejiang")
    trip = web_session.post("/api/v1/branches/zhejiang/trips", json=TRIP, headers=zhejiang)
    visit = web_session.post(f"/api/v1/trips/{trip.json()['id']}/visits", headers=zhejiang,
                             json={"company": "杭州某智能装备有限公司",
                                   "visited_at": "2026-11-02T10:00:00+08:00"})
    assert visit.status_code == 201, visit.text
    return {"admin": admin, "zhejiang": zhejiang, "leads": leads,
            "problem": problem.json()["id"], "request": request.json()["id"],
            "visit": visit.json()["id"],
            "new_energy": user(web_session, admin, "xny.zhao", "team_member",
                               team_id="new-energy"),
            "food": user(web_session, admin, "spj.zhou", "team_member", team_id="food-liquor"),
            "shanghai": user(web_session, admin, "sh.liu", "branch_member", branch_id="shanghai")}


def search(web_session, headers, q):
    answer = web_session.get("/api/v1/search", params={"q": q}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def ids(found, kind):
    return [hit["id"] for hit in found[kind]["items"]]


def test_a_lead_is_found_by_its_credit_code_and_contact_and_a_problem_by_a_word_of_its_title(
        web_session, world):
    jietai = world["leads"][JIETAI["title"]]
    by_code = search(web_session, world["admin"], "91320826MA1JT0013A")
    assert ids(by_code, "leads") == [jietai] and by_code["leads"]["total"] == 1
    assert by_code["leads"]["items"][0]["credit_code"] == "91320826MA1JT0013A"
    assert ids(search(web_session, world["admin"], "王建国"), "leads") == [jietai]
    assert ids(search(web_session, world["admin"], "13800001111"), "leads") == [jietai]
    # Part of the code is enough, lower case too (folded as stored).
    assert ids(search(web_session, world["admin"], "ma1jt0013"), "leads") == [jietai]

    by_word = search(web_session, world["admin"], "供电")
    assert ids(by_word, "problems") == [world["problem"]]
    assert by_word["problems"]["items"][0]["title"] == "双回路供电接入滞后"
    assert ids(by_word, "leads") == [] and ids(by_word, "policy_requests") == []

    by_topic = search(web_session, world["admin"], "用地指标")
    assert ids(by_topic, "policy_requests") == [world["request"]]
    assert by_topic["policy_requests"]["items"][0]["topics"] == ["879亩用地指标"]
    assert ids(search(web_session, world["admin"], "智能装备"), "visits") == [world["visit"]]


def test_a_team_member_finds_nothing_of_another_teams_lead(web_session, world):
    jinshiyuan, jietai = world["leads"][JINSHIYUAN["title"]], world["leads"][JIETAI["title"]]
    assert ids(search(web_session, world["food"], "91320800140100081T"), "leads") == [jinshiyuan]
    theirs = search(web_session, world["new_energy"], "91320800140100081T")
    assert theirs["leads"] == {"items": [], "total": 0}
    assert ids(search(web_session, world["new_energy"], "捷泰"), "leads") == [jietai]
    # The problem and the request on the other team's lead are not theirs either.
    food = search(web_session, world["food"], "供电")
    assert food["problems"]["total"] == 0 and food["leads"]["total"] == 0
    assert search(web_session, world["food"], "用地")["policy_requests"]["total"] == 0
    assert ids(search(web_session, world["new_energy"], "供电"), "problems") == [world["problem"]]
    # Visits: the own branch's only; a team member reads no visits at all.
    assert ids(search(web_session, world["zhejiang"], "智能装备"), "visits") == [world["visit"]]
    assert search(web_session, world["shanghai"], "智能装备")["visits"] == {"items": [],
                                                                           "total": 0}
    assert search(web_session, world["new_energy"], "智能装备")["visits"]["total"] == 0


def test_a_bad_query_is_a_chinese_422(web_session, world):
    for params, msg in (({}, "搜索词：必填"), ({"q": "捷" * 101}, "搜索词：最多 100 个字符"),
                        ({"q": "捷泰", "limit": "100"}, "每类条数：不能大于 50")):
        answer = web_session.get("/api/v1/search", params=params, headers=world["admin"])
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["msg"] == msg
        assert answer.json()["detail"] == f"输入有误：{msg}"


def test_each_kind_is_searched_on_its_index(gateway, mongo, db_prefix, world):
    plans = {
        "leads": mongo[f"{db_prefix}leads"].leads.find(
            {"search_keys": {"$all": ["13", "91"]}, "team_id": "new-energy"}).hint("search_keys"),
        "problems": mongo[f"{db_prefix}supervision"].problems.find(
            {"search_keys": {"$all": ["供电"]}, "team_id": "x"}).hint("search_keys"),
        "policy_requests": mongo[f"{db_prefix}policy"].policy_requests.find(
            {"search_keys": {"$all": ["用地"]}, "items.department": "x"}).hint("search_keys"),
        "visits": mongo[f"{db_prefix}branches"].visits.find(
            {"search_keys": {"$all": ["装备"]}, "branch_id": "x"}).hint("search_keys"),
    }
    for kind, cursor in plans.items():
        assert "IXSCAN" in str(cursor.explain()["queryPlanner"]["winningPlan"]), kind


def test_documents_stored_before_search_keys_get_them_once(mongo, db_prefix):
    from services.branches.repository import BranchesRepository
    from services.leads.domain import search_keys
    from services.leads.repository import LeadsRepository
    from services.leads.service import add_search_keys

    branches = BranchesRepository(mongo, mongo[f"{db_prefix}branches"])
    branches.ensure_indexes()
    branches.db.visits.insert_many([{"_id": "old-1", "company": "杭州某智能装备有限公司"},
                                    {"_id": "old-2", "company": "宁波某模具厂"}])
    branches.add_search_keys("visits", {"company": 1}, lambda v: search_keys(v["company"]))
    assert "装备" in branches.db.visits.find_one({"_id": "old-1"})["search_keys"]
    branches.db.visits.insert_one({"_id": "old-3", "company": "温州某阀门厂"})
    branches.add_search_keys("visits", {"company": 1}, lambda v: search_keys(v["company"]))
    assert "search_keys" not in branches.db.visits.find_one({"_id": "old-3"})  # ran once only

    leads = LeadsRepository(mongo, mongo[f"{db_prefix}leads"])
    leads.ensure_indexes()
    leads.db.leads.insert_one({"_id": "old-lead", "title": "捷泰项目", "search_keys": ["捷泰"],
                               "company": {"name": "捷泰新能源", "credit_code": "91320826MA1JT0013A"},
                               "contact": {"name": "王建国", "phone": "13800001111"}})
    add_search_keys(leads, {})
    keys = leads.db.leads.find_one({"_id": "old-lead"})["search_keys"]
    assert {"ma", "1j", "王建", "13", "能源"} <= set(keys)
