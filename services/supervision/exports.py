"""Reports as Excel workbooks (.xlsx) with Chinese headers: one sheet per list of the JSON.

Each sheet holds exactly the rows of one list of the report's JSON, in the same order, one
column per field named below. Cells hold the JSON values themselves, except that true/false
read 是/否 (a county office reads the workbook, not a program).
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from services.supervision.periods import BIMONTHLY, MONTHLY, QUARTERLY, REPORT_LABELS_ZH, WEEKLY

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# report -> [(sheet title, key of the list in the report JSON, [(field, header)])]
SHEETS = {
    WEEKLY: [("项目进度督查", "rows", [
        ("title", "项目名称"), ("team_name", "专业招商协作组"), ("major", "重大项目"),
        ("milestones_total", "计划节点数"), ("milestones_reached", "已完成节点"),
        ("milestones_late", "滞后节点"), ("max_days_late", "最长滞后天数"),
        ("late_detail", "滞后情况"), ("next_milestone", "下一节点"),
        ("next_planned_date", "计划完成日期"), ("open_problems", "未解决问题"),
        ("overdue_problems", "超期问题"), ("breached_replies", "超时未答复诉求"),
        ("lead_id", "项目编号"),
    ])],
    MONTHLY: [
        ("黄牌单位", "cards", [
            ("unit_name", "单位"), ("unit_kind", "单位类别"), ("score", "扣分"),
            ("reasons_text", "扣分原因"), ("card_id", "黄牌编号"),
        ]),
        ("单位扣分", "scores", [
            ("unit_name", "单位"), ("unit_kind", "单位类别"), ("score", "扣分"),
            ("reasons", "扣分事项数"), ("yellow_card", "黄牌"),
        ]),
        ("扣分明细", "reasons", [
            ("unit_name", "单位"), ("unit_kind", "单位类别"), ("label_zh", "扣分事项"),
            ("points", "分值"), ("title", "事项"), ("detail", "说明"), ("rule", "规则"),
            ("subject_id", "事项编号"),
        ]),
    ],
    QUARTERLY: [("项目攻坚清单", "rows", [
        ("title", "项目名称"), ("team_name", "专业招商协作组"), ("investment_cny", "总投资（元）"),
        ("milestones_due", "本季度攻坚节点"), ("carried_over", "结转滞后节点"),
        ("milestones_reached", "已完成节点"), ("milestones_total", "计划节点数"),
        ("progress_pct", "进度（%）"), ("latest_reached", "最近完成节点"),
        ("next_milestone", "下一节点"), ("next_planned_date", "计划完成日期"),
        ("lead_id", "项目编号"),
    ])],
    BIMONTHLY: [("双月晒实绩", "rows", [
        ("rank", "排名"), ("unit_name", "单位"), ("unit_kind", "单位类别"),
        ("projects", "服务项目数"), ("investment_cny", "项目总投资（元）"),
        ("replies", "诉求答复数"), ("replies_on_time", "按时答复数"),
        ("replies_on_time_pct", "按时答复率（%）"), ("breached_replies", "超时诉求"),
        ("problems_solved", "解决问题数"), ("problems_solved_on_time", "按期解决数"),
        ("problems_overdue", "超期问题"), ("score", "得分"),
    ])],
}
UNIT_KINDS_ZH = {"department": "部门", "town": "镇街", "team": "专业招商协作组"}


def cell(field: str, value):
    """The cell for a JSON value: 是/否 for booleans, the unit kinds in Chinese."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if field == "unit_kind":
        return UNIT_KINDS_ZH.get(value, value)
    return value


def workbook(report: dict) -> bytes:
    """The report (as stored, in JSON form) as an .xlsx file."""
    book = Workbook()
    book.remove(book.active)
    for title, key, columns in SHEETS[report["report"]]:
        sheet = book.create_sheet(title)
        sheet.append([header for _, header in columns])
        for c in sheet[1]:
            c.font = Font(bold=True)
        for row in report[key]:
            sheet.append([cell(field, row.get(field)) for field, _ in columns])
        sheet.freeze_panes = "A2"
    book.properties.title = f"{REPORT_LABELS_ZH[report['report']]} {report['period']}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(report: dict) -> str:
    return f"{report['report']}-{report['period']}.xlsx"
