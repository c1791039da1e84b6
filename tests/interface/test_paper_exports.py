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

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.notifier.service import NotifierService
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
