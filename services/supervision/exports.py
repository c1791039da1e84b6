"""Reports as Excel workbooks (.xlsx) with Chinese headers: one sheet per list of the JSON.

Each sheet holds exactly the rows of one list of the report's JSON, in the same order, one
column per field named below, under a title row and the period (shared/xlsx.py writes them:
text stays text, never a formula). Money is shown in the unit its header names (亿元), true/false
read 是/否 (a county office reads the workbook, not a program).
"""
from __future__ import annotations

from services.supervision.periods import BIMONTHLY, MONTHLY, QUARTERLY, REPORT_LABELS_ZH, WEEKLY
from shared import xlsx
from shared.xlsx import Column as C

MEDIA_TYPE = xlsx.MEDIA_TYPE

# report -> [(sheet title, key of the list in the report JSON, [columns])]
SHEETS = {
    WEEKLY: [("项目进度督查", "rows", [
        C("title", "项目名称"), C("team_name", "专业招商协作组"), C("major", "重大项目", "bool"),
        C("milestones_total", "计划节点数", "int"), C("milestones_reached", "已完成节点", "int"),
        C("milestones_late", "滞后节点", "int"), C("max_days_late", "最长滞后天数", "int"),
        C("late_detail", "滞后情况"), C("next_milestone", "下一节点"),
        C("next_planned_date", "计划完成日期", "date"), C("open_problems", "未解决问题", "int"),
        C("overdue_problems", "超期问题", "int"), C("breached_replies", "超时未答复诉求", "int"),
        C("lead_id", "项目编号"),
    ])],
    MONTHLY: [
        ("黄牌单位", "cards", [
            C("unit_name", "单位"), C("unit_kind", "单位类别"), C("score", "扣分", "number"),
            C("reasons_text", "扣分原因"), C("card_id", "黄牌编号"),
        ]),
        ("单位扣分", "scores", [
            C("unit_name", "单位"), C("unit_kind", "单位类别"), C("score", "扣分", "number"),
            C("reasons", "扣分事项数", "int"), C("yellow_card", "黄牌", "bool"),
        ]),
        ("扣分明细", "reasons", [
            C("unit_name", "单位"), C("unit_kind", "单位类别"), C("label_zh", "扣分事项"),
            C("points", "分值", "number"), C("title", "事项"), C("detail", "说明"),
            C("rule", "规则"), C("subject_id", "事项编号"),
        ]),
    ],
    QUARTERLY: [("项目攻坚清单", "rows", [
        C("title", "项目名称"), C("team_name", "专业招商协作组"),
        C("investment_cny", "总投资（亿元）", "yi"),
        C("milestones_due", "本季度攻坚节点"), C("carried_over", "结转滞后节点"),
        C("milestones_reached", "已完成节点", "int"), C("milestones_total", "计划节点数", "int"),
        C("progress_pct", "进度（%）", "pct"), C("latest_reached", "最近完成节点"),
        C("next_milestone", "下一节点"), C("next_planned_date", "计划完成日期", "date"),
        C("lead_id", "项目编号"),
    ])],
    BIMONTHLY: [("双月晒实绩", "rows", [
        C("rank", "排名", "int"), C("unit_name", "单位"), C("unit_kind", "单位类别"),
        C("projects", "服务项目数", "int"), C("investment_cny", "项目总投资（亿元）", "yi"),
        C("replies", "诉求答复数", "int"), C("replies_on_time", "按时答复数", "int"),
        C("replies_on_time_pct", "按时答复率（%）", "pct"),
        C("breached_replies", "超时诉求", "int"),
        C("problems_solved", "解决问题数", "int"),
        C("problems_solved_on_time", "按期解决数", "int"),
        C("problems_overdue", "超期问题", "int"), C("score", "得分", "number"),
    ])],
}
UNIT_KINDS_ZH = {"department": "部门", "town": "镇街", "team": "专业招商协作组"}


KIND_OF = {c.key: c for sheets in SHEETS.values() for _, _, columns in sheets for c in columns}


def cell(column: C | str, value):
    """The cell's value for a JSON value: the unit kinds in Chinese, the rest by column kind."""
    if isinstance(column, str):
        column = KIND_OF[column]
    if column.key == "unit_kind":
        value = UNIT_KINDS_ZH.get(value, value)
    return xlsx.typed_value(column, value)


def subtitle(report: dict) -> str:
    period = report.get("label_zh") or report["period"]
    state = "" if report.get("final", True) else "（临时，周期未结束）"
    return f"统计周期：{period}{state}"


def workbook(report: dict) -> bytes:
    """The report (as stored, in JSON form) as an .xlsx file."""
    label = REPORT_LABELS_ZH[report["report"]]
    sheets = []
    for title, key, columns in SHEETS[report["report"]]:
        rows = [{**row, "unit_kind": UNIT_KINDS_ZH.get(row.get("unit_kind"), row.get("unit_kind"))}
                for row in report[key]]
        sheets.append(xlsx.Sheet(title, f"{label}·{title}", subtitle(report), columns, rows))
    return xlsx.workbook(sheets, f"{label} {report['period']}")


def filename(report: dict) -> str:
    return f"{report['report']}-{report['period']}.xlsx"


# The leaders' tasks (tasks.py): the weekly arrangement and the monthly exchange.
TASK_SHEETS = {
    "tasks_weekly": [("周安排", "rows", [
        C("leader_name", "县领导"), C("area_zh", "工作领域"), C("title", "任务"),
        C("due_date", "完成期限", "date"), C("progress_pct", "进度（%）", "int"),
        C("state_zh", "状态"), C("carried_in", "前期结转", "bool"),
        C("progress_note", "进展情况"), C("done_on", "完成日期", "date"), C("id", "任务编号"),
    ]), ("按县领导", "leaders", [
        C("leader_name", "县领导"), C("due", "本周到期", "int"), C("done", "已完成", "int"),
        C("overdue", "已逾期", "int"), C("carried_in", "前期结转", "int"),
    ])],
    "tasks_monthly": [("月交流", "rows", [
        C("leader_name", "县领导"), C("area_zh", "工作领域"), C("title", "任务"),
        C("due_date", "完成期限", "date"), C("progress_pct", "进度（%）", "int"),
        C("outcome_zh", "完成情况"), C("carried_in", "上月结转", "bool"),
        C("done_on", "完成日期", "date"), C("progress_note", "进展情况"), C("id", "任务编号"),
    ]), ("按县领导", "leaders", [
        C("leader_name", "县领导"), C("tasks", "任务数", "int"), C("done", "按期完成", "int"),
        C("late", "逾期完成", "int"), C("carried_over", "结转下月", "int"),
        C("pending", "未到期", "int"), C("carried_in", "上月结转", "int"),
    ]), ("按领域", "areas", [
        C("area_zh", "工作领域"), C("tasks", "任务数", "int"), C("done", "按期完成", "int"),
        C("late", "逾期完成", "int"), C("carried_over", "结转下月", "int"),
        C("pending", "未到期", "int"),
    ])],
}
TASK_TITLES_ZH = {"tasks_weekly": "县领导任务周安排", "tasks_monthly": "县领导任务月交流"}


def tasks_workbook(report: dict) -> bytes:
    """The weekly arrangement or monthly exchange (its JSON) as an .xlsx file."""
    label = TASK_TITLES_ZH[report["report"]]
    state = "" if report["final"] else "（进行中）"
    sheets = [xlsx.Sheet(title, f"{label}·{title}", f"统计周期：{report['label_zh']}{state}",
                         columns, report[key])
              for title, key, columns in TASK_SHEETS[report["report"]]]
    return xlsx.workbook(sheets, f"{label} {report['period']}")
