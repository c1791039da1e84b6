"""The branch routes over HTTP: roles, scope (another branch's trip is 404), problem+json."""
import pytest

from services.branches.service import BranchesService
from services.gateway.service import GatewayService
from tests.interface.helpers import login

TRIP = {"destination": "杭州", "start_date": "2026-11-02", "end_date": "2026-11-04",
        "targets": [{"company": "杭州某智能装备有限公司", "questions": ["扩产计划?"]}]}


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, BranchesService)
    runner.start()
    return runner


@pytest.fixture
def users(gateway, web_session):
    admin = login(web_session, "admin", "admin-password-for-tests")
    accounts = {
        "zj.yang": {"role": "branch_member", "branch_id": "zhejiang"},
        "sh.liu": {"role": "branch_member", "branch_id": "shanghai"},
        "team1": {"role": "team_member", "team_id": "new-energy"},
        "inspector1": {"role": "inspector"},
    }
    headers = {"admin": admin}
    for username, fields in accounts.items():
        created = web_session.post("/api/v1/users", headers=admin, json={
            "username": username, "password": f"{username}-password", "display_name": username,
            **fields})
        assert created.status_code == 201, created.text
        headers[username] = login(web_session, username, f"{username}-password")
    return headers


def test_a_member_logs_a_trip_and_visit_that_another_branch_cannot_see(web_session, users, mongo,
                                                                       db_prefix):
    created = web_session.post("/api/v1/branches/zhejiang/trips", json=TRIP,
                               headers=users["zj.yang"])
    assert created.status_code == 201, created.text
    trip = created.json()
    assert trip["members"] == ["zj.yang"] and trip["status"] == "finished"

    visit = web_session.post(f"/api/v1/trips/{trip['id']}/visits", headers=users["zj.yang"],
                             json={"company": "杭州某智能装备有限公司",
                                   "visited_at": "2026-11-02T10:00:00+08:00", "interest": "high"})
    assert visit.status_code == 201, visit.text

    for path in (f"/api/v1/trips/{trip['id']}", f"/api/v1/trips/{trip['id']}/visits",
                 f"/api/v1/trips/{trip['id']}/summaries", f"/api/v1/visits/{visit.json()['id']}",
                 "/api/v1/branches/zhejiang/trips"):
        assert web_session.get(path, headers=users["sh.liu"]).status_code == 404, path
        assert web_session.get(path, headers=users["inspector1"]).status_code == 200, path
        assert web_session.get(path, headers=users["team1"]).status_code == 403, path
    assert web_session.post(f"/api/v1/trips/{trip['id']}/visits", json={"company": "x"},
                            headers=users["sh.liu"]).status_code == 404
    assert web_session.post(f"/api/v1/trips/{trip['id']}/visits", json={"company": "x"},
                            headers=users["inspector1"]).status_code == 403
    assert mongo[f"{db_prefix}branches"].visits.count_documents({}) == 1


def test_bad_trips_and_visits_are_422_problems_naming_the_field(web_session, users, mongo,
                                                                db_prefix):
    backwards = web_session.post("/api/v1/branches/zhejiang/trips", headers=users["zj.yang"],
                                 json={**TRIP, "end_date": "2026-11-01"})
    assert backwards.status_code == 422
    assert backwards.headers["Content-Type"].startswith("application/problem+json")
    assert backwards.json()["errors"][0]["loc"] == ["body", "end_date"]

    unknown = web_session.post("/api/v1/branches/tibet/trips", json=TRIP, headers=users["admin"])
    assert unknown.status_code == 404

    trip = web_session.post("/api/v1/branches/zhejiang/trips", json=TRIP,
                            headers=users["zj.yang"]).json()
    outside = web_session.post(f"/api/v1/trips/{trip['id']}/visits", headers=users["zj.yang"],
                               json={"company": "某公司", "visited_at": "2026-11-05T09:00:00+08:00"})
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["msg"] == \
        "拜访时间：拜访日期 2026-11-05 不在行程日期 2026-11-02 至 2026-11-04 之内"
    no_company = web_session.post(f"/api/v1/trips/{trip['id']}/visits", json={},
                                  headers=users["zj.yang"])
    assert {"loc": ["body", "company"], "msg": "企业：必填"} in no_company.json()["errors"]
    db = mongo[f"{db_prefix}branches"]
    assert db.trips.count_documents({}) == 1 and db.visits.count_documents({}) == 0


def test_results_ranking_and_the_admins_edit(web_session, users):
    ranking = web_session.get("/api/v1/branches/ranking?from=2026-11-01&to=2026-11-30",
                              headers=users["team1"])
    assert ranking.status_code == 200, ranking.text
    assert len(ranking.json()["items"]) == 6 and ranking.json()["from"] == "2026-11-01"
    results = web_session.get("/api/v1/branches/zhejiang/results?from=2026-11-01",
                              headers=users["sh.liu"])
    assert results.status_code == 200 and results.json()["leads_sourced"] == 0
    bad = web_session.get("/api/v1/branches/zhejiang/results?from=yesterday",
                          headers=users["admin"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "from"]

    edit = {"regions": ["杭州", "宁波", "嘉兴", "温州", "绍兴"]}
    assert web_session.patch("/api/v1/branches/zhejiang", json=edit,
                             headers=users["zj.yang"]).status_code == 403
    edited = web_session.patch("/api/v1/branches/zhejiang", json=edit, headers=users["admin"])
    assert edited.status_code == 200 and edited.json()["regions"][-1] == "绍兴"
    assert web_session.get("/api/v1/branches/zhejiang",
                           headers=users["team1"]).json()["regions"][-1] == "绍兴"
