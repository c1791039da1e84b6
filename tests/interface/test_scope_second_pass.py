"""Who may see and do what, second pass: each hole the attack on every role found, through HTTP
as the role that found it (issue 11, items 2-9 and 11-15, and the account and header findings)."""
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.notifier.service import NotifierService
from services.policy.service import PolicyService
from services.sla.service import SlaService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from tests.interface.helpers import eventually, login, user

WATER, LAND = "县水务局", "县自然资源和规划局"
CODE = "91350100M000100Y43"
SOLAR = {"title": "高效太阳能电池片项目", "industry": "太阳能电池", "investment_cny": 13_000_000_000,
         "company": {"name": "捷泰新能源科技有限公司", "credit_code": CODE},
         "contact": {"name": "张经理", "phone": "13900001111"}}
LIQUOR = {"title": "酱香白酒扩产项目", "industry": "白酒", "investment_cny": 800_000_000,
          "company": {"name": "今世缘酒业股份有限公司"}}
PASSWORD = "password-12345"


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config, "SLA_SCAN_SECONDS": 0.2,
                             "SUPERVISION_REPORT_SECONDS": 300, "TRUSTED_PROXIES": "127.0.0.1",
                             "LOGIN_FIRST_DELAY_SECONDS": 60},
                            GatewayService, LeadsService, TeamsService, PolicyService, SlaService,
                            SupervisionService, NotifierService)
    runner.start()
    return runner


@pytest.fixture
def admin(gateway, web_session):
    return login(web_session, "admin", "admin-password-for-tests")


@pytest.fixture
def people(web_session, admin):
    people = {"admin": admin}
    for username, role, scope in (
            ("ne.member", "team_member", {"team_id": "new-energy"}),
            ("fl.member", "team_member", {"team_id": "food-liquor"}),
            ("ne.leader", "leader", {"team_id": "new-energy"}),
            ("fl.leader", "leader", {"team_id": "food-liquor"}),
            ("water", "department", {"department": WATER}),
            ("land", "department", {"department": LAND}),
            ("sh.branch", "branch_member", {"branch_id": "shanghai"}),
            ("zj.branch", "branch_member", {"branch_id": "zhejiang"})):
        people[username] = user(web_session, admin, username, role, **scope)
    return people


def assigned_lead(web_session, admin, body, team):
    lead = web_session.post("/api/v1/leads", json=body, headers=admin)
    assert lead.status_code == 201, lead.text
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead.json()['id']}",
                                       headers=admin).json()["team_id"] == team)
    return lead.json()


@pytest.fixture
def solar(web_session, admin):
    return assigned_lead(web_session, admin, SOLAR, "new-energy")


def policy_request(web_session, headers, lead, department, **extra):
    return web_session.post("/api/v1/policy-requests", headers=headers, json={
        "lead_id": lead["id"], "enterprise": lead["company"]["name"], **extra,
        "items": [{"topic": "用水指标", "category": "water", "text": "日供水两万吨",
                   "department": department}]})


def problem(web_session, headers, lead, department, **extra):
    return web_session.post("/api/v1/problems", headers=headers, json={
        "lead_id": lead["id"], "title": "供水管网未通", "description": "园区供水管网尚未接入",
        "owner_department": department, "complexity": "general", **extra})


# --- 2. a department reads a lead only while it owes work on it, and a reduced view ------------

def test_a_department_sees_a_lead_only_while_it_owes_an_item_and_no_phones_or_amounts(
        web_session, people, solar):
    water, url = people["water"], f"/api/v1/leads/{solar['id']}"
    assert web_session.get("/api/v1/leads", headers=water).json()["total"] == 0
    for path in (url, f"{url}/progress", f"{url}/cycle-times"):
        assert web_session.get(path, headers=water).status_code == 404, path

    request = policy_request(web_session, people["admin"], solar, WATER)
    assert request.status_code == 201, request.text
    listed = web_session.get("/api/v1/leads", headers=water).json()
    assert [lead["id"] for lead in listed["items"]] == [solar["id"]]
    detail = web_session.get(url, headers=water)
    assert detail.status_code == 200
    for view in (listed["items"][0], detail.json()):
        assert view["title"] == SOLAR["title"]
        text = json.dumps(view, ensure_ascii=False)
        assert "13900001111" not in text and "investment_cny" not in text and "contact" not in view
    assert web_session.get(f"{url}/progress", headers=water).status_code == 200
    # The land bureau owes nothing on it.
    assert web_session.get(url, headers=people["land"]).status_code == 404

    replied = web_session.post(f"/api/v1/policy-requests/{request.json()['id']}/items/1/reply",
                               headers=water, json={"text": "已落实", "department": WATER,
                                                    "signer": "王局长", "reference_no": "涟水函〔2026〕1号"})
    assert replied.status_code == 200, replied.text
    assert web_session.get(url, headers=water).status_code == 404  # nothing owed any more
    # Owning an open problem on it is the other way in.
    assert problem(web_session, people["admin"], solar, WATER).status_code == 201
    assert web_session.get(url, headers=water).status_code == 200


# --- 3. scope follows a reassignment --------------------------------------------------------

def test_after_a_reassignment_the_new_team_has_the_requests_problems_and_clocks_the_old_has_not(
        web_session, people, solar):
    old, new = people["ne.member"], people["fl.member"]
    request = policy_request(web_session, old, solar, WATER).json()
    raised = problem(web_session, old, solar, LAND).json()
    eventually(lambda: web_session.get("/api/v1/sla/clocks", headers=old).json()["total"] >= 3)

    moved = web_session.post(f"/api/v1/leads/{solar['id']}/team", headers=people["admin"],
                             json={"team_id": "food-liquor", "reason": "企业转型酒类"})
    assert moved.status_code == 200, moved.text
    request_url = f"/api/v1/policy-requests/{request['id']}"
    eventually(lambda: web_session.get(request_url, headers=new).status_code == 200)
    eventually(lambda: web_session.get(f"/api/v1/problems/{raised['id']}",
                                       headers=new).status_code == 200)
    eventually(lambda: web_session.get("/api/v1/sla/clocks", headers=new).json()["total"] >= 3)

    assert web_session.get(request_url, headers=old).status_code == 404
    assert web_session.post(f"{request_url}/items/1/pause", headers=old,
                            json={"note": "等材料"}).status_code == 404
    assert web_session.get(f"/api/v1/problems/{raised['id']}", headers=old).status_code == 404
    assert web_session.get("/api/v1/policy-requests", headers=old).json()["total"] == 0
    assert web_session.get("/api/v1/problems", headers=old).json()["total"] == 0
    assert web_session.get("/api/v1/sla/clocks", headers=old).json()["total"] == 0
    assert web_session.post(f"{request_url}/items/1/pause", headers=new,
                            json={"note": "等材料"}).status_code == 200


# --- 4. back-dating is bounded and recorded ---------------------------------------------------

def test_back_dating_beyond_seven_days_needs_an_admin_and_is_recorded(
        web_session, people, solar, mongo, db_prefix):
    member = people["ne.member"]
    now = datetime.now(timezone.utc)
    two_weeks = (now - timedelta(days=14)).isoformat()
    refused = problem(web_session, member, solar, WATER, raised_at=two_weeks)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "raised_at"]
    refused = policy_request(web_session, member, solar, WATER, received_at=two_weeks)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "received_at"]
    assert mongo[f"{db_prefix}supervision"].problems.count_documents({}) == 0
    assert mongo[f"{db_prefix}policy"].policy_requests.count_documents({}) == 0

    three_days = problem(web_session, member, solar, WATER,
                         raised_at=(now - timedelta(days=3)).isoformat())
    assert three_days.status_code == 201, three_days.text
    assert three_days.json()["backdated"]["by"] == "ne.member"
    assert 2.99 < three_days.json()["backdated"]["days"] < 3.01
    by_admin = policy_request(web_session, people["admin"], solar, WATER, received_at=two_weeks)
    assert by_admin.status_code == 201, by_admin.text
    assert by_admin.json()["backdated"]["by"] == "admin"
    assert round(by_admin.json()["backdated"]["days"]) == 14


# --- 5. sla clocks are scoped like what they measure --------------------------------------------

def test_clocks_are_scoped_like_the_objects_they_measure(web_session, people, solar):
    assert policy_request(web_session, people["admin"], solar, WATER).status_code == 201
    assert problem(web_session, people["admin"], solar, LAND).status_code == 201
    everyone = eventually(lambda: (page := web_session.get(
        "/api/v1/sla/clocks", headers=people["admin"]).json())["total"] >= 3 and page)
    assert web_session.get("/api/v1/sla/clocks", headers=people["sh.branch"]).json()["total"] == 0
    assert web_session.get("/api/v1/sla/clocks", headers=people["fl.member"]).json()["total"] == 0
    assert web_session.get("/api/v1/sla/clocks",
                           headers=people["ne.member"]).json()["total"] == everyone["total"]
    water = web_session.get("/api/v1/sla/clocks", headers=people["water"]).json()
    assert water["total"] == 1 and water["items"][0]["kind"] == "policy_reply"
    land = web_session.get("/api/v1/sla/clocks", headers=people["land"]).json()
    assert {c["kind"] for c in land["items"]} == {"problem_feedback", "problem_general"}


# --- 6. a lead of another team is no company look-up ---------------------------------------

def test_a_duplicate_in_another_team_says_so_without_its_id_or_title(web_session, people, solar):
    other = people["fl.member"]
    created = web_session.post("/api/v1/leads", headers=other, json={
        **LIQUOR, "company": {"name": "捷泰新能源科技有限公司"}})
    assert created.status_code == 201, created.text
    [reference] = created.json()["possible_duplicates"]
    assert reference["elsewhere"] is True and "id" not in reference and "title" not in reference
    assert "新能源" in reference["message"]
    again = web_session.post("/api/v1/leads", headers=other, json=SOLAR)
    assert again.status_code == 409
    text = again.text
    assert solar["id"] not in text and SOLAR["title"] not in text and "existing_id" not in text
    assert "新能源" in again.json()["detail"]
    # The own team still gets the id to open.
    own = web_session.post("/api/v1/leads", headers=people["ne.member"], json=SOLAR)
    assert own.status_code == 409 and own.json()["existing_id"] == solar["id"]


# --- 7. a leader acts on the own team's projects and those they lead; reads stay open ----------

def test_a_leader_acts_only_on_the_own_teams_projects_but_reads_all(web_session, people, solar):
    url = f"/api/v1/leads/{solar['id']}"
    request = policy_request(web_session, people["admin"], solar, WATER).json()
    stranger, own = people["fl.leader"], people["ne.leader"]
    assert web_session.get(url, headers=stranger).status_code == 200
    meeting = {"held_at": datetime.now(timezone.utc).isoformat(), "chair": "陈国华",
               "attendees": ["县水务局"], "minutes": "研究供水"}
    for method, path, body in (
            ("post", f"{url}/status", {"status": "stalled", "reason": "等待"}),
            ("patch", url, {"notes": "改一下"}),
            ("post", f"{url}/team", {"team_id": "food-liquor"}),
            ("post", f"/api/v1/policy-requests/{request['id']}/meeting", meeting)):
        refused = getattr(web_session, method)(path, headers=stranger, json=body)
        assert refused.status_code == 403, (path, refused.text)
    assert web_session.get(url, headers=people["admin"]).json()["status"] == "active"
    assert web_session.post(f"{url}/status", headers=own,
                            json={"status": "stalled", "reason": "等待"}).status_code == 200
    assert web_session.post(f"/api/v1/policy-requests/{request['id']}/meeting", headers=own,
                            json=meeting).status_code == 200


# --- 8. the source branch is the server's to set --------------------------------------------

def test_the_source_branch_comes_from_the_caller_or_an_admin(web_session, people):
    branch, member = people["sh.branch"], people["ne.member"]
    credited = web_session.post("/api/v1/leads", headers=branch,
                                json={**LIQUOR, "source_branch_id": "zhejiang"})
    assert credited.status_code == 422
    assert credited.json()["errors"][0]["loc"] == ["body", "source_branch_id"]
    exposed = web_session.post("/api/v1/leads", headers=member,
                               json={**LIQUOR, "source_branch_id": "shanghai"})
    assert exposed.status_code == 422
    own = web_session.post("/api/v1/leads", headers=branch, json=LIQUOR)
    assert own.status_code == 201 and own.json()["source_branch_id"] == "shanghai"
    lead_id = own.json()["id"]
    moved = web_session.patch(f"/api/v1/leads/{lead_id}", headers=branch,
                              json={"source_branch_id": "zhejiang"})
    assert moved.status_code == 422
    assert web_session.get(f"/api/v1/leads/{lead_id}",
                           headers=people["zj.branch"]).status_code == 404
    by_admin = web_session.patch(f"/api/v1/leads/{lead_id}", headers=people["admin"],
                                 json={"source_branch_id": "zhejiang"})
    assert by_admin.status_code == 200 and by_admin.json()["source_branch_id"] == "zhejiang"


# --- 9 and 11. guesses are slowed, never a lock-out; the answer and its time say nothing -------

def attempt(web_session, username, password, address):
    return web_session.post("/api/v1/auth/token", headers={"X-Forwarded-For": address},
                            json={"username": username, "password": password})


def test_guessing_slows_the_guesser_but_never_locks_the_owner_out(
        web_session, web_config_port, admin, mongo, db_prefix):
    assert attempt(web_session, "admin", "admin-password-for-tests", "10.0.0.1").status_code == 200
    url = f"http://127.0.0.1:{web_config_port}/api/v1/auth/token"

    def guess(n):
        return requests.post(url, headers={"X-Forwarded-For": "10.6.6.6"},
                             json={"username": "admin", "password": f"guess-{n}"}).status_code

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(guess, range(30)))
    assert answers == [401] * 30
    counters = mongo[f"{db_prefix}gateway"].login_attempts
    checked = counters.find_one({"_id": "pair:admin|10.6.6.6"})["count"]
    print(f"\n30 parallel guesses, password checks: {checked}")
    assert checked == 5  # the free attempts; every other guess waits for its delay
    # The guesser is told nothing new, and the owner logs in from the usual address at once.
    throttled = attempt(web_session, "admin", "admin-password-for-tests", "10.6.6.6")
    unknown = attempt(web_session, "no-such-user", "whatever", "10.7.7.7")
    assert throttled.status_code == unknown.status_code == 401
    assert throttled.json()["detail"] == unknown.json()["detail"]
    assert attempt(web_session, "admin", "admin-password-for-tests", "10.0.0.1").status_code == 200


def test_an_unknown_username_takes_as_long_as_a_wrong_password(web_session, admin):
    def timed(username, address):
        started = time.perf_counter()
        assert attempt(web_session, username, "wrong-password", address).status_code == 401
        return time.perf_counter() - started

    wrong = statistics.median(timed("admin", f"10.1.0.{n}") for n in range(4))
    unknown = statistics.median(timed(f"nobody-{n}", f"10.2.0.{n}") for n in range(4))
    print(f"\nwrong password {wrong * 1000:.0f} ms, unknown user {unknown * 1000:.0f} ms")
    assert unknown > wrong * 0.6


# --- 12. wrong current passwords are limited --------------------------------------------------

def test_wrong_current_passwords_are_limited(web_session, people):
    member = people["ne.member"]
    for n in range(5):
        wrong = web_session.post("/api/v1/me/password", headers=member, json={
            "current_password": f"wrong-{n}", "new_password": "a-new-password-1"})
        assert wrong.status_code == 401
    limited = web_session.post("/api/v1/me/password", headers=member, json={
        "current_password": PASSWORD, "new_password": "a-new-password-1"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert login(web_session, "ne.member", PASSWORD)  # unchanged


# --- 13 and 14. deep JSON, and dates at the ends of the calendar ------------------------------

def test_deeply_nested_json_is_400(web_session, admin):
    response = web_session.post("/api/v1/leads", data="[" * 300 + "]" * 300,
                                headers={**admin, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", [
    "/api/v1/sla/report?from=0001-01-01T00:00:00%2B14:00",
    "/api/v1/sla/report?to=9999-12-31T23:59:59-12:00",
    "/api/v1/yellow-cards?month=0001-01",
    "/api/v1/inspections/weekly?week=0001-W01",
    "/api/v1/tackle-list?quarter=0001Q1",
])
def test_dates_at_the_ends_of_the_calendar_are_422(web_session, admin, path):
    response = web_session.get(path, headers=admin)
    assert response.status_code == 422, response.text


def test_a_problem_raised_in_year_one_is_422(web_session, people, solar):
    response = problem(web_session, people["admin"], solar, WATER,
                       raised_at="0001-01-01T00:00:00+14:00")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "raised_at"]


# --- 15. a username is data, never a path -------------------------------------------------------

def test_a_username_with_a_dot_marks_its_own_notification_read(web_session, admin, mongo,
                                                              db_prefix):
    wang = user(web_session, admin, "wang", "admin")
    wang_wei = user(web_session, admin, "wang.wei", "admin")
    assert web_session.post("/api/v1/leads", headers=admin, json={
        **LIQUOR, "industry": "宠物殡葬"}).status_code == 201  # triage: an alert to the admins
    inbox = eventually(lambda: web_session.get("/api/v1/notifications",
                                               headers=wang).json()["items"])
    notification = inbox[0]["id"]
    for headers in (wang, wang_wei):
        marked = web_session.post(f"/api/v1/notifications/{notification}/read", headers=headers)
        assert marked.status_code == 200, marked.text
        assert marked.json()["read"] is True
    assert web_session.get("/api/v1/notifications", headers=admin).json()["unread"] >= 1
    doc = mongo[f"{db_prefix}notifier"].notifications.find_one({"_id": notification})
    assert sorted(r["by"] for r in doc["reads"]) == ["wang", "wang.wei"]
    assert "read_at" not in doc


# --- also: accounts, token, headers, units ----------------------------------------------------

def test_accounts_show_no_counters_and_the_token_is_not_cached(web_session, people):
    token = web_session.post("/api/v1/auth/token",
                             json={"username": "ne.member", "password": PASSWORD})
    assert token.headers["Cache-Control"] == "no-store"
    me = web_session.get("/api/v1/me", headers=people["ne.member"]).json()
    listed = web_session.get("/api/v1/users?page_size=200", headers=people["admin"]).json()
    for view in (me, *listed["items"]):
        for hidden in ("failed_logins", "locked_until", "token_version", "password_hash"):
            assert hidden not in view
    assert me["username"] == "ne.member" and me["team_id"] == "new-energy"


def test_the_api_and_docs_carry_security_headers(web_session, admin):
    for path, headers in (("/api/v1/teams", admin), ("/api/v1/no-such-route", admin),
                          ("/docs", {}), ("/openapi.json", {})):
        response = web_session.get(path, headers=headers)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
    docs = web_session.get("/docs").headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in docs


def test_a_department_not_in_the_units_registry_is_422_naming_the_known_units(
        web_session, people, solar, mongo, db_prefix):
    admin = people["admin"]
    created = web_session.post("/api/v1/users", headers=admin, json={
        "username": "shuili", "password": PASSWORD, "display_name": "水利局",
        "role": "department", "department": "县水利局"})
    assert created.status_code == 422
    assert created.json()["errors"][0]["loc"] == ["body", "department"]
    assert WATER in created.json()["errors"][0]["msg"]
    routed = policy_request(web_session, admin, solar, "县水利局")
    assert routed.status_code == 422
    assert routed.json()["errors"][0]["loc"] == ["body", "items", "0", "department"]
    route = web_session.put("/api/v1/policy-routes/water", headers=admin,
                            json={"department": "县水利局"})
    assert route.status_code == 422
    assert mongo[f"{db_prefix}gateway"].users.count_documents({"_id": "shuili"}) == 0
    assert mongo[f"{db_prefix}policy"].policy_requests.count_documents({}) == 0
