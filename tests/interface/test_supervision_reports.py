"""The supervision rhythm on the broker and the database: two supervision instances, leads,
teams, the notifier and the gateway; the sla and policy services' events are sent as they
would send them. Time moves with one SettableClock; nothing sleeps for a period.

Story: in November 2026 the land bureau lets two requests pass 48 hours, the power company one
request and a problem's 3-day feedback, the housing bureau a complex problem's month, the water
bureau one feedback. On 1 December at 09:00 the month's yellow cards are issued once (two
instances), to exactly the land bureau, the power company and the housing bureau, with their
reasons; regenerated they are the same; every report downloads as .xlsx with the JSON's rows.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.notifier.service import NotifierService
from services.supervision import exports
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from shared import xlsx
from shared.clock import SettableClock
from shared.events import (
    ClockContext, PolicyItemReplied, PolicyItemRouted, PolicyRequestReceived, SlaBreached,
    make_event,
)
from tests.interface.helpers import login, user
from tests.waiting import wait_until

CST = ZoneInfo("Asia/Shanghai")
LAND, POWER, HOUSING, WATER = "县自然资源和规划局", "县供电公司", "县住房和城乡建设局", "县水务局"
SHIHU = "石湖镇"
NOVEMBER_16 = datetime(2026, 11, 16, 9, 30, tzinfo=CST)
DECEMBER_1 = datetime(2026, 12, 1, 9, 0, 1, tzinfo=CST)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SOLAR = {"title": "捷泰新能源高效电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 13_000_000_000}
FOUR_ONES = {
    "project_lead": {"name": "陈国华", "title": "常务副县长"},
    "service_group": {"members": [{"name": "赵磊", "department": "县发展和改革委员会"}]},
    "plan": [{"milestone": "signed", "planned_date": "2026-01-31"},
             {"milestone": "trial_production", "planned_date": "2026-11-10"}],
}


@pytest.fixture
def clock(request):
    return SettableClock(getattr(request, "param", NOVEMBER_16))


@pytest.fixture
def platform(config, web_config, runner_factory, container_factory, clock):
    settings = {**config, **web_config, "SUPERVISION_REPORT_SECONDS": 0.1}
    runner = runner_factory(settings, GatewayService, LeadsService, TeamsService,
                            SupervisionService, NotifierService)
    second = container_factory(SupervisionService, settings)  # a second supervision instance
    for container in [*runner.containers, second]:
        if hasattr(container.service_cls, "clock"):
            replace_dependencies(container, clock=clock)
    runner.start()
    second.start()
    supervisors = [c for c in runner.containers if c.service_name == "supervision"] + [second]
    return {"config": settings, "supervisors": supervisors}


def send(config, source, data, at):
    event = make_event(source, data, at)
    event_dispatcher(config)(source, event.type, event.model_dump(mode="json"))


def breached(kind, subject_id, due_at, departments, title, lead_id):
    return SlaBreached(
        clock_id=f"{kind}:{subject_id}", kind=kind, label_zh=kind, subject_id=subject_id,
        elapsed_pct=100.0, started_at=due_at - timedelta(days=2), due_at=due_at,
        notify=["supervision"], context=ClockContext(title=title, lead_id=lead_id,
                                                     departments=departments))


def received(request_id, lead_id, at, departments):
    return PolicyRequestReceived(
        request_id=request_id, lead_id=lead_id, lead_title=SOLAR["title"],
        enterprise="捷泰新能源科技有限公司", received_at=at, due_at=at + timedelta(hours=48),
        items=[PolicyItemRouted(n=n, topic=f"诉求{n}", category="land", department=d)
               for n, d in enumerate(departments, start=1)])


def outbox(mongo, db_prefix, event_type, **data):
    return [d for d in mongo[f"{db_prefix}supervision"].outbox.find({"type": event_type})
            if all(d["payload"]["data"].get(k) == v for k, v in data.items())]


def sheet_rows(content: bytes, title: str):
    """The header row and the data rows (below the title and period rows)."""
    header, rows = xlsx.table(content, title)
    return [header, *rows]


def as_cells(rows, columns):
    return [tuple(exports.cell(c, row.get(c.key)) for c in columns) for row in rows]


def test_a_month_of_faults_gives_yellow_cards_to_exactly_the_units_at_fault_once(
        platform, web_session, mongo, db_prefix, clock):
    config = platform["config"]
    admin = login(web_session, "admin", "admin-password-for-tests")
    inspector = user(web_session, admin, "ducha", "inspector")
    leader = user(web_session, admin, "chenguohua", "leader", team_id="new-energy")
    land = user(web_session, admin, "zrj", "department", department=LAND)
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=admin).json()
    lead_id = lead["id"]
    wait_until(lambda: web_session.get(f"/api/v1/leads/{lead_id}", headers=admin).json()["team_id"],
               reason="the lead's team")
    assert web_session.put(f"/api/v1/leads/{lead_id}/four-ones", headers=admin,
                           json=FOUR_ONES).status_code == 200

    def raise_problem(owner, complexity, title):
        response = web_session.post("/api/v1/problems", headers=admin, json={
            "lead_id": lead_id, "title": title, "description": title, "owner_department": owner,
            "complexity": complexity})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    p_power = raise_problem(POWER, "general", "双回路供电接入")
    p_housing = raise_problem(HOUSING, "complex", "安置房建设滞后")
    p_water = raise_problem(WATER, "general", "施工用水管网")

    # What the sla service said in November (and one breach of October's, for the town).
    def local(day, hour=9, minute=30):
        return datetime(2026, day[0], day[1], hour, minute, tzinfo=CST)
    breaches = [
        breached("policy_reply", "r1", local((11, 5), 10), [LAND, POWER], "捷泰：用地和供电", lead_id),
        breached("policy_reply", "r2", local((11, 12), 10), [LAND], "捷泰：用地指标", lead_id),
        breached("problem_feedback", p_power, local((11, 19)), [POWER], "双回路供电接入", lead_id),
        breached("problem_complex", p_housing, local((11, 28)), [HOUSING], "安置房建设滞后",
                 lead_id),
        breached("problem_feedback", p_water, local((11, 20)), [WATER], "施工用水管网", lead_id),
        breached("policy_reply", "r0", local((10, 30)), [SHIHU], "镇街诉求", lead_id),
    ]
    send(config, "policy", received("r1", lead_id, local((11, 3), 10), [LAND, POWER]),
         NOVEMBER_16)
    send(config, "policy", PolicyItemReplied(
        request_id="r1", n=1, department=LAND, reference_no="涟自然资函〔2026〕1号", signer="王局长",
        replied_at=local((11, 6))), NOVEMBER_16)
    for b in breaches:
        send(config, "sla", b, NOVEMBER_16)
    db = mongo[f"{db_prefix}supervision"]
    wait_until(lambda: db.breaches.count_documents({}) == len(breaches),
               reason=f"supervision to record {len(breaches)} breaches")
    # A problem's breach marks its deadline and tells its department (problem_deadline_missed).
    wait_until(lambda: len(outbox(mongo, db_prefix, "problem_deadline_missed")) == 3,
               reason="three problem_deadline_missed events")
    assert db.problems.find_one({"_id": p_housing})["deadlines"]["solve"]["state"] == "breached"

    # Before 1 December 09:00 November's board is provisional: computed now, nothing stored.
    early = web_session.get("/api/v1/yellow-cards?month=2026-11", headers=inspector)
    assert early.status_code == 200, early.text
    assert early.json()["final"] is False and early.json()["status_zh"] == "进行中"
    assert LAND in [c["unit_id"] for c in early.json()["cards"]]
    assert db.reports.find_one({"_id": "yellow_cards:2026-11"}) is None
    assert db.yellow_cards.count_documents({"month": "2026-11"}) == 0
    assert outbox(mongo, db_prefix, "yellow_card_issued", month="2026-11") == []

    # 1 December 09:00: both instances' timers see the month due; one report, once.
    clock.set(DECEMBER_1)
    wait_until(lambda: db.reports.find_one({"_id": "yellow_cards:2026-11"}),
               reason="the November yellow cards")
    for _ in range(3):
        for container in platform["supervisors"]:
            with entrypoint_waiter(container, "produce_due_reports", timeout=5):
                pass
    assert len(outbox(mongo, db_prefix, "report_published", report="yellow_cards",
                      period="2026-11")) == 1
    issued = outbox(mongo, db_prefix, "yellow_card_issued", month="2026-11")
    assert sorted(e["payload"]["data"]["unit_id"] for e in issued) == sorted([LAND, POWER, HOUSING])

    # Exactly the units at fault, with their reasons.
    cards = web_session.get("/api/v1/yellow-cards?month=2026-11", headers=leader).json()
    assert cards["generated_by"] == "timer" and cards["threshold"] == 3 and cards["final"]
    assert [(c["unit_id"], c["score"]) for c in cards["cards"]] == [
        (LAND, 4), (HOUSING, 3), (POWER, 3)]
    power = cards["cards"][2]
    assert [(r["rule"], r["subject_id"]) for r in power["reasons"]] == [
        ("problem_feedback_overdue", p_power), ("reply_breached", "r1")]
    scores = {s["unit_id"]: s["score"] for s in cards["scores"]}
    # Below the line, no card: one late feedback; Jietai's signing and trial production lagging.
    assert scores[WATER] == 1 and scores["new-energy"] == 2
    assert SHIHU not in scores  # October's breach is October's

    # The card reaches the unit and the leaders.
    for headers in (land, leader, inspector):
        wait_until(lambda: [n for n in web_session.get("/api/v1/notifications", headers=headers)
                            .json()["items"] if n["kind"] == "yellow_card_issued"
                            and n["data"]["unit_id"] == LAND],
                   reason="the land bureau's yellow card in the inbox")

    # Regenerated for the past month: the same cards, none issued again.
    again = web_session.post("/api/v1/reports/generate", headers=inspector,
                             json={"report": "yellow_cards", "period": "2026-11"})
    assert again.status_code == 200, again.text
    again = again.json()
    assert again["same_as_previous"] is True and again["version"] == 2
    assert again["cards"] == cards["cards"] and again["regenerated_by"] == "ducha"
    assert len(outbox(mongo, db_prefix, "yellow_card_issued", month="2026-11")) == 3

    # The workbook holds the same rows as the JSON, under Chinese headers.
    download = web_session.get("/api/v1/yellow-cards.xlsx?month=2026-11", headers=leader)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == XLSX
    assert "yellow_cards-2026-11.xlsx" in download.headers["Content-Disposition"]
    for title, key, columns in exports.SHEETS["yellow_cards"]:
        rows = sheet_rows(download.content, title)
        assert rows[0] == tuple(c.header for c in columns)
        assert rows[1:] == as_cells(again[key], columns)
    assert sheet_rows(download.content, "黄牌单位")[1][:3] == (LAND, "部门", 4)

    # A future month is 422 and stores nothing; a department reads no reports.
    future = web_session.post("/api/v1/reports/generate", headers=inspector,
                              json={"report": "yellow_cards", "period": "2026-12"})
    assert future.status_code == 422 and future.json()["errors"][0]["loc"] == ["body", "period"]
    assert db.reports.find_one({"_id": "yellow_cards:2026-12"}) is None
    assert web_session.get("/api/v1/yellow-cards?month=2026-11", headers=land).status_code == 403
    assert web_session.post("/api/v1/reports/generate", headers=leader, json={
        "report": "yellow_cards", "period": "2026-11"}).status_code == 403


# Jietai is taken in before the fourth quarter, so it is on the quarter's tackling list.
@pytest.mark.parametrize("clock", [datetime(2026, 9, 21, 10, tzinfo=CST)], indirect=True)
def test_every_report_is_due_once_regenerates_the_same_and_downloads_as_xlsx(
        platform, web_session, mongo, db_prefix, clock):
    admin = login(web_session, "admin", "admin-password-for-tests")
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=admin).json()
    wait_until(lambda: web_session.get(f"/api/v1/leads/{lead['id']}",
                                       headers=admin).json()["team_id"], reason="the lead's team")
    assert web_session.put(f"/api/v1/leads/{lead['id']}/four-ones", headers=admin,
                           json=FOUR_ONES).status_code == 200
    clock.set(DECEMBER_1)
    cases = [("/api/v1/inspections/weekly", "week", "2026-W48", "weekly_inspection"),
             ("/api/v1/tackle-list", "quarter", "2026Q3", "tackle_list"),
             ("/api/v1/showcase", "period", "2026-09", "showcase"),
             ("/api/v1/yellow-cards", "month", "2026-11", "yellow_cards")]
    for path, param, key, report in cases:
        first = web_session.get(f"{path}?{param}={key}", headers=admin)
        assert first.status_code == 200, (path, first.text)
        first = first.json()
        assert (first["report"], first["period"]) == (report, key)
        download = web_session.get(f"{path}.xlsx?{param}={key}", headers=admin)
        assert download.headers["Content-Type"] == XLSX
        for title, list_key, columns in exports.SHEETS[report]:
            assert sheet_rows(download.content, title)[1:] == as_cells(first[list_key], columns)
        again = web_session.post("/api/v1/reports/generate", headers=admin,
                                 json={"report": report, "period": key}).json()
        assert again["same_as_previous"] is True, report
        assert again["version"] == first["version"] + 1
    # Without a period: the latest final one; a bimonthly period starts in an odd month.
    assert web_session.get("/api/v1/showcase", headers=admin).json()["period"] == "2026-09"
    assert web_session.get("/api/v1/inspections/weekly",
                           headers=admin).json()["period"] == "2026-W48"
    wrong = web_session.get("/api/v1/showcase?period=2026-10", headers=admin)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["query", "period"]
    assert web_session.get("/api/v1/tackle-list?quarter=2027Q1", headers=admin).status_code == 422

    # Week 48 (23-29 November): Jietai's trial production, planned 10 November, 19 days late.
    weekly = web_session.get("/api/v1/inspections/weekly?week=2026-W48", headers=admin).json()
    assert weekly["label_zh"] == "2026年第48周（11月23日—11月29日）" and weekly["final"] is True
    [row] = weekly["rows"]
    assert (row["lead_id"], row["milestones_total"], row["milestones_late"]) == (lead["id"], 2, 2)
    assert row["max_days_late"] == 302 and "试生产（计划2026-11-10，未完成，滞后19天）" in row["late_detail"]
    # The fourth quarter's tackling list runs as the quarter does: provisional, as of now.
    tackle = web_session.get("/api/v1/tackle-list?quarter=2026Q4", headers=admin).json()
    assert tackle["final"] is False and tackle["status_zh"] == "进行中"
    assert [r["milestones_due"] for r in tackle["rows"]] == ["试生产（2026-11-10）"]
    assert mongo[f"{db_prefix}supervision"].reports.find_one({"_id": "tackle_list:2026Q4"}) is None
    running = web_session.post("/api/v1/reports/generate", headers=admin,
                               json={"report": "tackle_list", "period": "2026Q4"})
    assert running.status_code == 422 and "进行中" in running.json()["errors"][0]["msg"]

    # The OpenAPI document names the workbook's media type.
    document = web_session.get("/openapi.json").json()
    answer = document["paths"]["/api/v1/yellow-cards.xlsx"]["get"]["responses"]["200"]
    assert list(answer["content"]) == [XLSX]
    # and the 202 a report route answers while the report is produced (poll, Retry-After)
    producing = document["paths"]["/api/v1/yellow-cards.xlsx"]["get"]["responses"]["202"]
    assert producing["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReportProducing"}
