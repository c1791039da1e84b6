"""Live boards through HTTP (gateway, leads, teams, supervision): the current period's report
so far, provisional and never stored, beside the stored final record of a closed one; a period
before the county's first record is 422 and stores nothing; a closed period's report that takes
longer than a caller may wait is produced in the background (202, poll the same URL)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import replace_dependencies

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from shared.clock import SettableClock
from tests.interface.helpers import eventually, login

CST = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 12, 1, 10, 30, tzinfo=CST)  # a Tuesday of ISO week 49
SOLAR = {"title": "捷泰新能源高效电池片二期", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 13_000_000_000}


def start(config, web_config, runner_factory, clock, **settings):
    runner = runner_factory({**config, **web_config, "SUPERVISION_REPORT_SECONDS": 3600,
                             **settings}, GatewayService, LeadsService, TeamsService,
                            SupervisionService)
    for container in runner.containers:
        if hasattr(container.service_cls, "clock"):
            replace_dependencies(container, clock=clock)
    runner.start()


@pytest.fixture
def clock():
    return SettableClock(TODAY)


@pytest.fixture
def admin(config, web_config, runner_factory, clock, web_session):
    start(config, web_config, runner_factory, clock)
    return login(web_session, "admin", "admin-password-for-tests")


def reports_db(mongo, db_prefix):
    return mongo[f"{db_prefix}supervision"]


def test_this_weeks_inspection_lists_a_project_taken_in_today(
        admin, web_session, mongo, db_prefix):
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=admin).json()
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin)
               .json()["team_id"])
    board = web_session.get("/api/v1/inspections/weekly?week=2026-W49", headers=admin)
    assert board.status_code == 200, board.text
    board = board.json()
    assert board["final"] is False and board["status_zh"] == "进行中"
    assert board["label_zh"] == "2026年第49周（11月30日—12月6日）"
    assert board["title_zh"].endswith("（进行中）")
    [row] = board["rows"]
    assert row["lead_id"] == lead["id"] and row["taken_in"] is True and row["major"] is True
    # Computed on request, never stored: the week's record is made once it closes.
    assert reports_db(mongo, db_prefix).reports.find_one(
        {"_id": "weekly_inspection:2026-W49"}) is None
    download = web_session.get("/api/v1/inspections/weekly.xlsx?week=2026-W49", headers=admin)
    assert download.status_code == 200 and len(download.content) > 0
    # Week 48 closed before the county's first record (this lead): there is no report of it.
    closed = web_session.get("/api/v1/inspections/weekly?week=2026-W48", headers=admin)
    assert closed.status_code == 422


def test_a_week_before_the_countys_first_record_is_422_and_stores_nothing(
        admin, web_session, mongo, db_prefix):
    web_session.post("/api/v1/leads", json=SOLAR, headers=admin)
    for week in ("1970-W02", "2026-W40", "0001-W01"):
        answer = web_session.get(f"/api/v1/inspections/weekly?week={week}", headers=admin)
        assert answer.status_code == 422, (week, answer.text)
        assert answer.json()["errors"][0]["loc"] == ["query", "week"]
    early = web_session.get("/api/v1/inspections/weekly?week=1970-W02", headers=admin).json()
    assert "早于本县第一条记录" in early["errors"][0]["msg"]
    again = web_session.post("/api/v1/reports/generate", headers=admin,
                             json={"report": "weekly_inspection", "period": "1970-W02"})
    assert again.status_code == 422 and again.json()["errors"][0]["loc"] == ["body", "period"]
    db = reports_db(mongo, db_prefix)
    assert db.reports.count_documents({"period": {"$in": ["1970-W02", "2026-W40"]}}) == 0
    assert db.outbox.count_documents({"type": "report_published"}) == 0
    future = web_session.get("/api/v1/inspections/weekly?week=2026-W50", headers=admin)
    assert future.status_code == 422 and "未来" in future.json()["errors"][0]["msg"]


def test_a_report_longer_than_a_caller_waits_is_produced_in_the_background(
        config, web_config, runner_factory, clock, web_session, mongo, db_prefix):
    # No wait at all: every closed period not yet stored is answered 202 at first.
    start(config, web_config, runner_factory, clock, SUPERVISION_REPORT_WAIT_SECONDS=0)
    admin = login(web_session, "admin", "admin-password-for-tests")
    clock.set(datetime(2026, 11, 20, 10, tzinfo=CST))  # the county's first lead, in November
    web_session.post("/api/v1/leads", json=SOLAR, headers=admin)
    clock.set(TODAY)
    first = web_session.get("/api/v1/yellow-cards?month=2026-11", headers=admin)
    assert first.status_code == 202, first.text
    assert first.headers["Location"] == "/api/v1/yellow-cards?month=2026-11"
    assert first.headers["Retry-After"] == "1" and first.json()["status"] == "producing"
    record = eventually(lambda: (answer := web_session.get(
        first.headers["Location"], headers=admin)).status_code == 200 and answer.json())
    assert record["final"] is True and record["period"] == "2026-11"
    db = reports_db(mongo, db_prefix)
    assert db.reports.count_documents({"_id": "yellow_cards:2026-11"}) == 1
    assert db.outbox.count_documents({"type": "report_published",
                                      "payload.data.period": "2026-11"}) == 1
