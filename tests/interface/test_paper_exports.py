"""Workbooks as a county office opens them: text stays text (never a formula), a title row and
the period, money in the unit the header names, print setup; every list also as .xlsx with
the same filters and scope as its JSON."""
import io
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from nameko.testing.services import replace_dependencies

from services.branches.service import BranchesService
from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.notifier.service import NotifierService
from services.policy.service import PolicyService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from shared import xlsx
from shared.clock import SettableClock
from tests.interface.helpers import eventually, login, user

CST = ZoneInfo("Asia/Shanghai")
INJECTED = '=HYPERLINK("http://x","y")'
FOUR_ONES = {
    "project_lead": {"name": "陈国华", "title": "常务副县长"},
    "service_group": {"members": [{"name": "赵磊", "department": "县发展和改革委员会"}]},
    "plan": [{"milestone": "signed", "planned_date": "2026-01-31"},
             {"milestone": "trial_production", "planned_date": "2026-11-10"}],
}


@pytest.fixture
def clock():
    return SettableClock(datetime(2026, 9, 21, 10, tzinfo=CST))


@pytest.fixture
def platform(config, web_config, runner_factory, clock):
    settings = {**config, **web_config, "SUPERVISION_REPORT_SECONDS": 0.1}
    runner = runner_factory(settings, GatewayService, LeadsService, TeamsService,
                            SupervisionService, NotifierService)
    for container in runner.containers:
        if hasattr(container.service_cls, "clock"):
            replace_dependencies(container, clock=clock)
    runner.start()
    return settings


def no_formula_anywhere(content: bytes) -> None:
    """Neither openpyxl nor the file's XML holds a single formula."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in package.read(name) and b"<f " not in package.read(name)


def assert_print_ready(content: bytes, sheet_name: str) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(content))[sheet_name]
    assert sheet.freeze_panes == f"A{xlsx.FIRST_DATA_ROW}"
    assert sheet.print_title_rows == f"${xlsx.HEADER_ROW}:${xlsx.HEADER_ROW}"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    widths = {sheet.column_dimensions[c].width for c in "ABC"}
    assert len(widths) > 1  # widths fit their columns, not one width for all


def test_a_formula_in_a_lead_title_comes_back_as_text_in_the_weekly_inspection(
        platform, web_session, clock):
    admin = login(web_session, "admin", "admin-password-for-tests")
    inspector = user(web_session, admin, "ducha", "inspector")
    lead = web_session.post("/api/v1/leads", headers=admin, json={
        "title": INJECTED, "company": {"name": "+捷泰新能源科技有限公司"},
        "industry": "太阳能电池", "investment_cny": 13_000_000_000}).json()
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}",
                                       headers=admin).json()["team_id"])
    assert web_session.put(f"/api/v1/leads/{lead['id']}/four-ones", headers=admin,
                           json=FOUR_ONES).status_code == 200
    clock.set(datetime(2026, 12, 1, 9, 0, 1, tzinfo=CST))

    weekly = web_session.get("/api/v1/inspections/weekly.xlsx?week=2026-W49", headers=inspector)
    assert weekly.status_code == 200, weekly.text
    no_formula_anywhere(weekly.content)
    header, rows = xlsx.table(weekly.content, "项目进度督查")
    [row] = rows
    assert row[header.index("项目名称")] == INJECTED
    cell = openpyxl.load_workbook(io.BytesIO(weekly.content))["项目进度督查"]["A4"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (INJECTED, "s", True)
    # Numbers as numbers, dates as dates, the title and the period above the header.
    assert row[header.index("滞后节点")] == 2
    assert isinstance(row[header.index("计划完成日期")], (datetime, type(None)))
    sheet = openpyxl.load_workbook(io.BytesIO(weekly.content))["项目进度督查"]
    assert sheet["A1"].value.startswith("项目进度周督查") and "2026" in sheet["A2"].value
    assert_print_ready(weekly.content, "项目进度督查")

    # The tackling list shows money in 亿元, as its header says.
    tackle = web_session.get("/api/v1/tackle-list.xlsx?quarter=2026Q4", headers=inspector)
    header, rows = xlsx.table(tackle.content, "项目攻坚清单")
    no_formula_anywhere(tackle.content)
    assert "总投资（亿元）" in header and rows[0][header.index("总投资（亿元）")] == 130
    assert rows[0][header.index("项目名称")] == INJECTED


@pytest.fixture
def lists_platform(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, LeadsService,
                            TeamsService, PolicyService, SupervisionService, BranchesService)
    runner.start()
    return runner


def test_every_list_downloads_as_xlsx_with_its_filters_and_scope(lists_platform, web_session):
    admin = login(web_session, "admin", "admin-password-for-tests")
    solar_member = user(web_session, admin, "xny1", "team_member", team_id="new-energy")
    land = user(web_session, admin, "zrj", "department", department="县自然资源和规划局")
    branch = user(web_session, admin, "zj.yang", "branch_member", branch_id="zhejiang")
    leads = []
    for body in ({"title": INJECTED, "company": {"name": "捷泰新能源科技有限公司"},
                  "industry": "太阳能电池", "investment_cny": 13_000_000_000, "land_mu": 879,
                  "first_contact_at": "2026-01-05T09:00:00+08:00"},
                 {"title": "今世缘南厂区技改扩能项目", "company": {"name": "江苏今世缘酒业股份有限公司"},
                  "industry": "白酒", "investment_cny": 12_000_000_000}):
        leads.append(web_session.post("/api/v1/leads", headers=admin, json=body).json())
    for lead in leads:
        eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}",
                                           headers=admin).json()["team_id"])

    # Leads: everything the JSON list gives, in the same order; a team member their team's.
    def listed(path, headers):
        return web_session.get(path, headers=headers).json()["items"]

    download = web_session.get("/api/v1/leads.xlsx", headers=admin)
    assert download.status_code == 200 and download.headers["Content-Type"] == xlsx.MEDIA_TYPE
    no_formula_anywhere(download.content)
    header, rows = xlsx.table(download.content, "项目线索")
    assert [r[header.index("项目编号")] for r in rows] == [
        lead["id"] for lead in listed("/api/v1/leads", admin)]
    solar = next(r for r in rows if r[header.index("项目编号")] == leads[0]["id"])
    assert solar[header.index("项目名称")] == INJECTED
    assert solar[header.index("总投资（亿元）")] == 130 and solar[header.index("用地（亩）")] == 879
    assert solar[header.index("首次接触日期")] == datetime(2026, 1, 5)
    assert solar[header.index("重大项目")] == "是"
    assert_print_ready(download.content, "项目线索")
    sheet = openpyxl.load_workbook(io.BytesIO(download.content))["项目线索"]
    assert sheet["A1"].value == "招商项目线索台账" and "共 2 条" in sheet["A2"].value
    mine = xlsx.table(web_session.get("/api/v1/leads.xlsx", headers=solar_member).content,
                      "项目线索")[1]
    assert [r[header.index("项目编号")] for r in mine] == [
        lead["id"] for lead in listed("/api/v1/leads", solar_member)] == [leads[0]["id"]]
    liquor = web_session.get("/api/v1/leads.xlsx?team_id=food-liquor", headers=admin)
    assert [r[header.index("项目名称")] for r in xlsx.table(liquor.content, "项目线索")[1]] == [
        "今世缘南厂区技改扩能项目"]
    assert "协作组：food-liquor" in openpyxl.load_workbook(
        io.BytesIO(liquor.content))["项目线索"]["A2"].value
    assert web_session.get("/api/v1/leads.xlsx?stage=nowhere", headers=admin).status_code == 422

    # Policy requests: a department's export holds the requests it owes an item on.
    for lead, category in ((leads[0], "land"), (leads[1], "power")):
        assert web_session.post("/api/v1/policy-requests", headers=admin, json={
            "lead_id": lead["id"], "enterprise": lead["company"]["name"],
            "items": [{"topic": "用地", "category": category, "text": "@SUM(A1:A9)"}]},
        ).status_code == 201
    header, rows = xlsx.table(web_session.get("/api/v1/policy-requests.xlsx",
                                              headers=admin).content, "政策诉求")
    assert len(rows) == 2 and {r[header.index("诉求项数")] for r in rows} == {1}
    assert isinstance(rows[0][header.index("收到时间")], datetime)
    header, rows = xlsx.table(web_session.get("/api/v1/policy-requests.xlsx",
                                              headers=land).content, "政策诉求")
    assert [r[header.index("企业名称")] for r in rows] == ["捷泰新能源科技有限公司"]

    # Problems: a formula-looking title stays text; a department sees its own.
    for department in ("县自然资源和规划局", "县供电公司"):
        assert web_session.post("/api/v1/problems", headers=admin, json={
            "lead_id": leads[0]["id"], "title": "+1 用地指标", "description": "-缺200亩",
            "owner_department": department, "complexity": "general"}).status_code == 201
    content = web_session.get("/api/v1/problems.xlsx", headers=land).content
    no_formula_anywhere(content)
    header, rows = xlsx.table(content, "项目问题")
    assert [(r[header.index("问题")], r[header.index("责任单位")]) for r in rows] == [
        ("+1 用地指标", "县自然资源和规划局")]

    # A trip's visits, for its branch; another role that reads no trips: 403.
    trip = web_session.post("/api/v1/branches/zhejiang/trips", headers=branch, json={
        "destination": "杭州", "start_date": "2026-11-02", "end_date": "2026-11-04"}).json()
    for company in ("杭州某智能装备有限公司", "=cmd|' /C calc'!A0"):
        assert web_session.post(f"/api/v1/trips/{trip['id']}/visits", headers=branch, json={
            "company": company, "interest": "high",
            "visited_at": "2026-11-03T10:00:00+08:00"}).status_code == 201
    content = web_session.get(f"/api/v1/trips/{trip['id']}/visits.xlsx", headers=branch).content
    no_formula_anywhere(content)
    header, rows = xlsx.table(content, "拜访记录")
    assert [r[header.index("企业名称")] for r in rows] == [
        v["company"] for v in listed(f"/api/v1/trips/{trip['id']}/visits", branch)]
    assert {r[header.index("投资意向")] for r in rows} == {"强"}
    assert web_session.get(f"/api/v1/trips/{trip['id']}/visits.xlsx",
                           headers=land).status_code == 403
