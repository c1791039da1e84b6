"""Leading by example through HTTP (gateway, supervision): the supervision office assigns county
leaders' tasks in five areas; each leader records the progress of the own; the weekly
arrangement (周安排) lists what is due in the week by leader and the monthly exchange (月交流)
counts done, late and carried over, each also as .xlsx. The clock is moved, never waited for."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import replace_dependencies

from services.gateway.service import GatewayService
from services.supervision.service import SupervisionService
from shared import xlsx
from shared.clock import SettableClock
from tests.interface.helpers import login, user

CST = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 12, 1, 10, 30, tzinfo=CST)  # ISO week 49: 30 November - 6 December


@pytest.fixture
def clock():
    return SettableClock(TUESDAY)


@pytest.fixture
def people(config, web_config, runner_factory, clock, web_session):
    runner = runner_factory({**config, **web_config, "SUPERVISION_REPORT_SECONDS": 3600},
                            GatewayService, SupervisionService)
    for container in runner.containers:
        if hasattr(container.service_cls, "clock"):
            replace_dependencies(container, clock=clock)
    runner.start()
    admin = login(web_session, "admin", "admin-password-for-tests")
    people = {"admin": admin, "inspector": user(web_session, admin, "ducha", "inspector"),
              "team_member": user(web_session, admin, "zhaolei", "team_member",
                                  team_id="new-energy")}
    for username, name in (("chenguohua", "陈国华"), ("liming", "李明")):
        created = web_session.post("/api/v1/users", headers=admin, json={
            "username": username, "password": "password-12345", "display_name": name,
            "role": "leader"})
        assert created.status_code == 201, created.text
        people[username] = login(web_session, username, "password-12345")
    return people


def assign(web_session, inspector, **body):
    created = web_session.post("/api/v1/tasks", headers=inspector, json=body)
    assert created.status_code == 201, created.text
    return created.json()


def test_tasks_the_weekly_arrangement_and_the_monthly_exchange(people, web_session, clock):
    office, chen, li = people["inspector"], people["chenguohua"], people["liming"]
    # The supervision office assigns: this week's groundbreaking, last week's land listing (still
    # open), and another leader's outbound trip; areas in Chinese or by key.
    ground = assign(web_session, office, title="捷泰新能源二期开工", area="项目推进",
                    leader="chenguohua", due_date="2026-12-04")
    assert ground["area"] == "projects" and ground["area_zh"] == "项目推进"
    assert ground["leader_name"] == "陈国华" and ground["status"] == "open"
    assert ground["progress_pct"] == 0 and ground["due_date"] == "2026-12-04"
    land = assign(web_session, office, title="879亩用地挂牌", area="factors",
                  leader="chenguohua", due_date="2026-11-27")
    assert land["overdue"] is True
    trip = assign(web_session, office, title="赴上海招商对接巨石集团", area="招商引资",
                  leader="liming", due_date="2026-12-06")

    # The leader records the progress of the own task.
    progress = web_session.patch(f"/api/v1/tasks/{ground['id']}", headers=chen,
                                 json={"progress_pct": 60, "progress_note": "场地平整完成"})
    assert progress.status_code == 200, progress.text
    assert progress.json()["progress_pct"] == 60 and progress.json()["version"] == 2
    assert [s["step"] for s in progress.json()["history"]] == ["assigned", "progress"]

    week = web_session.get("/api/v1/tasks/weekly", headers=li)  # this week by default
    assert week.status_code == 200, week.text
    week = week.json()
    assert week["period"] == "2026-W49" and week["final"] is False
    assert week["label_zh"] == "2026年第49周（11月30日—12月6日）"
    by = {g["leader"]: g for g in week["leaders"]}
    assert [t["id"] for t in by["chenguohua"]["tasks"]] == [land["id"], ground["id"]]
    assert by["chenguohua"]["due"] == 1 and by["chenguohua"]["carried_in"] == 1
    assert by["chenguohua"]["tasks"][0]["state_zh"] == "已逾期"
    assert [t["id"] for t in by["liming"]["tasks"]] == [trip["id"]]
    listed = web_session.get("/api/v1/tasks?leader=chenguohua", headers=office).json()
    assert [t["id"] for t in listed["items"]] == [land["id"], ground["id"]]

    # Thursday: the groundbreaking on time. Ten days on: the land listing, late.
    clock.set(datetime(2026, 12, 3, 16, tzinfo=CST))
    done = web_session.patch(f"/api/v1/tasks/{ground['id']}", headers=chen,
                             json={"progress_pct": 100})
    assert done.json()["status"] == "done" and done.json()["done_on"] == "2026-12-03"
    clock.set(datetime(2026, 12, 10, 9, tzinfo=CST))
    web_session.patch(f"/api/v1/tasks/{land['id']}", headers=chen, json={"progress_pct": 100})

    clock.set(datetime(2027, 1, 2, 9, tzinfo=CST))
    month = web_session.get("/api/v1/tasks/monthly?month=2026-12", headers=chen)
    assert month.status_code == 200, month.text
    month = month.json()
    assert month["final"] is True and month["label_zh"] == "2026年12月"
    assert {k: month["totals"][k] for k in ("tasks", "done", "late", "carried_over",
                                             "carried_in")} == {
        "tasks": 3, "done": 1, "late": 1, "carried_over": 1, "carried_in": 1}
    outcome = {r["id"]: r["outcome_zh"] for r in month["rows"]}
    assert outcome == {ground["id"]: "按期完成", land["id"]: "逾期完成", trip["id"]: "结转下月"}

    # Both as workbooks, the same rows under Chinese headers.
    weekly = web_session.get("/api/v1/tasks/weekly.xlsx?week=2026-W49", headers=office)
    assert weekly.status_code == 200 and weekly.headers["Content-Type"] == xlsx.MEDIA_TYPE
    header, rows = xlsx.table(weekly.content, "周安排")
    assert header[:3] == ("县领导", "工作领域", "任务") and len(rows) == 3
    assert {r[2] for r in rows} == {"捷泰新能源二期开工", "879亩用地挂牌", "赴上海招商对接巨石集团"}
    monthly = web_session.get("/api/v1/tasks/monthly.xlsx?month=2026-12", headers=office)
    header, rows = xlsx.table(monthly.content, "月交流")
    assert "完成情况" in header and sorted(r[header.index("完成情况")] for r in rows) == sorted(
        ["按期完成", "逾期完成", "结转下月"])


def test_bad_input_is_a_chinese_422_and_a_role_that_may_not_write_gets_403(
        people, web_session, mongo, db_prefix):
    office, chen = people["inspector"], people["chenguohua"]
    tasks = mongo[f"{db_prefix}supervision"].leader_tasks
    task = assign(web_session, office, title="今世缘技改扩能投产", area="projects",
                  leader="chenguohua", due_date="2026-12-20")

    bad = web_session.post("/api/v1/tasks", headers=office, json={
        "title": "农业园", "area": "农业", "leader": "chenguohua", "due_date": "12月20日"})
    assert bad.status_code == 422
    assert bad.headers["Content-Type"].startswith("application/problem+json")
    msgs = {tuple(e["loc"]): e["msg"] for e in bad.json()["errors"]}
    assert msgs[("body", "area")].startswith("工作领域：应为以下之一：招商引资（investment）")
    assert msgs[("body", "due_date")].startswith("完成期限：")
    not_a_leader = web_session.post("/api/v1/tasks", headers=office, json={
        "title": "农业园", "area": "projects", "leader": "zhaolei", "due_date": "2026-12-20"})
    assert not_a_leader.status_code == 422
    assert not_a_leader.json()["errors"][0]["msg"] == "责任县领导：zhaolei 不是县领导账户"
    too_much = web_session.patch(f"/api/v1/tasks/{task['id']}", headers=chen,
                                 json={"progress_pct": 150})
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["msg"] == "进度（%）：不能大于 100"
    month = web_session.get("/api/v1/tasks/monthly?month=2026-13", headers=chen)
    assert month.status_code == 422 and month.json()["errors"][0]["loc"] == ["query", "month"]
    assert tasks.count_documents({}) == 1
    assert tasks.find_one({"_id": task["id"]})["version"] == 1

    # Who may write: a team member reads nothing and assigns nothing; a leader records the
    # progress of the own tasks only; the supervision office reschedules.
    member = people["team_member"]
    assert web_session.post("/api/v1/tasks", headers=member, json={}).status_code == 403
    assert web_session.get("/api/v1/tasks", headers=member).status_code == 403
    assert web_session.post("/api/v1/tasks", headers=chen, json={
        "title": "自派任务", "area": "projects", "leader": "chenguohua",
        "due_date": "2026-12-20"}).status_code == 403
    other = web_session.patch(f"/api/v1/tasks/{task['id']}", headers=people["liming"],
                              json={"progress_pct": 10})
    assert other.status_code == 403
    moved = web_session.patch(f"/api/v1/tasks/{task['id']}", headers=chen,
                              json={"due_date": "2027-01-31"})
    assert moved.status_code == 403
    assert tasks.find_one({"_id": task["id"]})["version"] == 1
    later = web_session.patch(f"/api/v1/tasks/{task['id']}", headers=office,
                              json={"due_date": "2027-01-31"})
    assert later.status_code == 200 and later.json()["due_date"] == "2027-01-31"
    assert web_session.get("/api/v1/tasks/no-such-task", headers=chen).status_code == 404
