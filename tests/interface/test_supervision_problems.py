"""The closed problem loop over HTTP, with leads, teams, sla, supervision and the notifier on
the broker and the database; time moves with one SettableClock shared by every service.

Story: the power company gets a general problem on the Jietai project and gives no feedback for
3 working days: it is warned, then told it is overdue; it solves it on day 6, on time. The
housing bureau's complex problem is unsolved at a month: it gets a plan and a monthly clock.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import replace_dependencies

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.notifier.service import NotifierService
from services.sla.service import SlaService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from shared.clock import SettableClock
from tests.interface.helpers import login, user
from tests.waiting import wait_until

CST = ZoneInfo("Asia/Shanghai")
POWER, HOUSING, LAND = "县供电公司", "县住房和城乡建设局", "县自然资源和规划局"
# Monday 16 November 2026, 09:30 in the county: a week with no public holiday.
START = datetime(2026, 11, 16, 9, 30, tzinfo=CST)
SOLAR = {"title": "捷泰新能源高效电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 13_000_000_000}


@pytest.fixture
def clock():
    return SettableClock(START)


@pytest.fixture
def gateway(config, web_config, runner_factory, clock):
    runner = runner_factory({**config, **web_config, "SLA_SCAN_SECONDS": 0.1,
                             "SUPERVISION_REPORT_SECONDS": 30},
                            GatewayService, LeadsService, TeamsService, SlaService,
                            SupervisionService, NotifierService)
    for container in runner.containers:
        if hasattr(container.service_cls, "clock"):
            replace_dependencies(container, clock=clock)
    runner.start()
    return runner


@pytest.fixture
def admin(gateway, web_session):
    return login(web_session, "admin", "admin-password-for-tests")


@pytest.fixture
def lead(web_session, admin):
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=admin).json()
    wait_until(lambda: web_session.get(f"/api/v1/leads/{lead['id']}",
                                       headers=admin).json()["team_id"], reason="the lead's team")
    return lead


def raise_problem(web_session, headers, lead, owner, complexity, **extra):
    return web_session.post("/api/v1/problems", headers=headers, json={
        "lead_id": lead["id"], "title": extra.pop("title", "双回路供电接入"),
        "description": "项目试生产前需完成110千伏双回路供电接入", "owner_department": owner,
        "complexity": complexity, **extra})


def inbox(web_session, headers, kind, problem_id):
    page = web_session.get("/api/v1/notifications?page_size=200", headers=headers).json()
    return [n for n in page["items"] if n["kind"] == kind and (
        n["data"].get("problem", {}).get("problem_id") == problem_id
        or n["data"].get("subject_id") == problem_id)]


def deadline(web_session, headers, problem_id, slot, wanted):
    """Wait until the problem's deadline `slot` satisfies `wanted(deadline)`; return it."""
    def check():
        view = web_session.get(f"/api/v1/problems/{problem_id}", headers=headers).json()
        found = view["deadlines"].get(slot)
        return found if found and wanted(found) else None
    return wait_until(check, reason=f"the problem's {slot} deadline to change")


def test_bad_problems_are_refused_and_change_nothing(web_session, admin, lead, mongo, db_prefix,
                                                      clock):
    # Unknown project or department: 404; a bad body: 422 naming the field.
    assert raise_problem(web_session, admin, {"id": "no-such-lead"}, POWER,
                         "general").status_code == 404
    unknown = raise_problem(web_session, admin, lead, "县不存在局", "general")
    assert unknown.status_code == 404 and "县不存在局" in unknown.json()["detail"]
    for extra, field in (({"complexity": "urgent"}, ["body", "complexity"]),
                         ({"raised_at": (START + timedelta(hours=1)).isoformat()},
                          ["body", "raised_at"]),
                         ({"priority": "high"}, ["body", "priority"])):
        body = {"complexity": "general", **extra}
        response = raise_problem(web_session, admin, lead, POWER, body.pop("complexity"), **body)
        assert response.status_code == 422, response.text
        assert field in [e["loc"] for e in response.json()["errors"]]
    assert mongo[f"{db_prefix}supervision"].problems.count_documents({}) == 0
    # (the outbox holds only the reports the timer produced at start)
    assert mongo[f"{db_prefix}supervision"].outbox.count_documents(
        {"type": {"$ne": "report_published"}}) == 0

    # The supervision office reads problems but raises none (it writes reports only).
    inspector = user(web_session, admin, "ducha", "inspector")
    assert raise_problem(web_session, inspector, lead, POWER, "general").status_code == 403


def test_a_general_problem_is_chased_then_solved_on_day_6_on_time(web_session, admin, lead,
                                                                   clock):
    power = user(web_session, admin, "gdgs", "department", department=POWER)
    land = user(web_session, admin, "zrj", "department", department=LAND)
    created = raise_problem(web_session, admin, lead, POWER, "general")
    assert created.status_code == 201, created.text
    problem = created.json()
    pid = problem["id"]
    assert problem["status"] == "raised" and problem["allowed_steps"] == ["feedback"]
    assert problem["team_id"] == "new-energy" and problem["lead_title"] == SOLAR["title"]

    # The department hears of it; feedback is due in 3 working days: Thursday 09:30.
    assert wait_until(lambda: inbox(web_session, power, "problem_raised", pid),
                      reason="problem_raised in the power company's inbox")
    feedback = deadline(web_session, admin, pid, "feedback", lambda d: "clock" in d)
    assert datetime.fromisoformat(feedback["clock"]["due_at"]) == START + timedelta(days=3)
    solve = deadline(web_session, admin, pid, "solve", lambda d: "clock" in d)
    assert datetime.fromisoformat(solve["clock"]["due_at"]) == datetime(2026, 11, 25, 9, 30,
                                                                          tzinfo=CST)

    # Another department sees nothing of it and cannot act on it.
    assert web_session.get(f"/api/v1/problems/{pid}", headers=land).status_code == 404
    assert web_session.post(f"/api/v1/problems/{pid}/feedback", headers=land,
                            json={"text": "已收到"}).status_code == 404
    assert web_session.get("/api/v1/problems", headers=land).json()["total"] == 0
    assert web_session.get("/api/v1/problems", headers=power).json()["total"] == 1

    # Wednesday 16:00, past 75% of the 3 days: the department is warned.
    clock.set(datetime(2026, 11, 18, 16, 0, tzinfo=CST))
    [warning] = wait_until(lambda: inbox(web_session, power, "sla_warning", pid),
                           reason="an sla_warning in the power company's inbox")
    assert warning["data"]["threshold"] == 75 and warning["data"]["kind"] == "problem_feedback"

    # Thursday 09:31, no feedback after 3 days: the department is told it is overdue.
    clock.set(datetime(2026, 11, 19, 9, 31, tzinfo=CST))
    [overdue] = wait_until(lambda: inbox(web_session, power, "problem_deadline_missed", pid),
                           reason="problem_deadline_missed in the power company's inbox")
    assert overdue["data"]["deadline"] == "feedback" and "超期" in overdue["title"]
    deadline(web_session, admin, pid, "feedback", lambda d: d["state"] == "breached")

    # Resolving before the analysis is a conflict naming what is allowed.
    url = f"/api/v1/problems/{pid}"
    refused = web_session.post(f"{url}/resolve", headers=power, json={"resolution": "已接入"})
    assert refused.status_code == 409 and refused.json()["allowed"] == ["feedback"]

    # Day 6 (Sunday): feedback, analysis and the solution; 7 working days were promised.
    clock.set(START + timedelta(days=6))
    assert web_session.post(f"{url}/feedback", headers=power,
                            json={"text": "已收到，正在协调"}).status_code == 200
    refused = web_session.post(f"{url}/resolve", headers=power, json={"resolution": "已接入"})
    assert refused.status_code == 409 and refused.json()["allowed"] == ["analysis"]
    analysed = web_session.post(f"{url}/analysis", headers=power, json={
        "cause": "变电站间隔不足", "approach": "调整间隔，临时搭接"})
    assert analysed.json()["allowed_steps"] == ["plan", "resolve"]
    resolved = web_session.post(f"{url}/resolve", headers=power,
                                json={"resolution": "双回路已送电"}).json()
    assert resolved["status"] == "resolved" and resolved["resolution"]["by"] == "gdgs"
    assert [s["step"] for s in resolved["history"]] == [
        "raised", "feedback", "analysis", "resolve"]
    assert datetime.fromisoformat(resolved["history"][-1]["at"]) == START + timedelta(days=6)

    assert deadline(web_session, admin, pid, "solve", lambda d: d["state"] == "met")
    assert deadline(web_session, admin, pid, "feedback", lambda d: d["state"] == "met_late")

    # Feedback after the resolution: 409, nothing allowed any more.
    late = web_session.post(f"{url}/feedback", headers=power, json={"text": "补充反馈"})
    assert late.status_code == 409 and late.json()["allowed"] == []


def test_a_complex_problem_unsolved_at_a_month_gets_a_plan_and_a_monthly_clock(
        web_session, admin, lead, clock):
    housing = user(web_session, admin, "zjj", "department", department=HOUSING)
    created = raise_problem(web_session, admin, lead, HOUSING, "complex", title="安置房建设滞后")
    pid = created.json()["id"]
    url = f"/api/v1/problems/{pid}"
    web_session.post(f"{url}/feedback", headers=housing, json={"text": "已收到"})
    web_session.post(f"{url}/analysis", headers=housing,
                     json={"cause": "拆迁户安置房源不足", "approach": "新建安置小区"})

    # A month (30 days) later it is not solved: overdue, and the department is told.
    clock.set(START + timedelta(days=30, minutes=1))
    [overdue] = wait_until(lambda: inbox(web_session, housing, "problem_deadline_missed", pid),
                           reason="problem_deadline_missed in the housing bureau's inbox")
    assert overdue["data"]["deadline"] == "solve"
    deadline(web_session, admin, pid, "solve", lambda d: d["state"] == "breached")

    # A plan with dated steps starts the monthly progress-report clock.
    planned = web_session.post(f"{url}/plan", headers=housing, json={"steps": [
        {"step": "安置小区规划审批", "due_date": "2026-12-31"},
        {"step": "安置房主体完工", "due_date": "2027-03-31"}]})
    assert planned.status_code == 200, planned.text
    assert planned.json()["allowed_steps"] == ["plan", "progress_report", "resolve"]
    first = deadline(web_session, admin, pid, "progress_report", lambda d: "clock" in d)
    assert first["clock_id"] == f"plan_progress_report:{pid}:report-1"
    assert datetime.fromisoformat(first["clock"]["due_at"]) == clock.now() + timedelta(days=30)

    # A step in the past is 422; the monthly report stops this clock and starts the next.
    bad = web_session.post(f"{url}/plan", headers=housing,
                           json={"steps": [{"step": "补办", "due_date": "2026-01-01"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == [
        "body", "steps", "0", "due_date"]
    clock.advance(days=20)
    reported = web_session.post(f"{url}/progress-report", headers=housing,
                                json={"text": "规划已获批", "steps_done": [1]}).json()
    assert reported["plan"]["steps"][0]["done_at"] and not reported["plan"]["steps"][1]["done_at"]
    assert reported["progress_reports"][0]["n"] == 1
    second = deadline(web_session, admin, pid, "progress_report", lambda d: "clock" in d)
    assert second["clock_id"] == f"plan_progress_report:{pid}:report-2"
    assert datetime.fromisoformat(second["clock"]["due_at"]) == clock.now() + timedelta(days=30)
    stopped = web_session.get("/api/v1/sla/clocks?kind=plan_progress_report",
                              headers=admin).json()["items"]
    assert {c["subject_id"]: c["state"] for c in stopped} == {
        f"{pid}:report-1": "met", f"{pid}:report-2": "on_track"}
