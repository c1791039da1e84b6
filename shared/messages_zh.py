"""Messages for people, in Chinese: each field by its Chinese label, each pydantic error type
in words a county clerk reads. `shared.errors.invalid_from_pydantic` and
`shared.schemas.validated` both turn errors into text here, and nowhere else.

`loc` and the problem's `title` and `type` stay machine-readable; `msg` and `detail` are these.
"""
from __future__ import annotations

import re

# Field name -> its label. A dotted path ("contact.title") is more specific than its last
# name; the most specific entry that matches a field's location wins.
FIELD_LABELS = {
    "title": "名称", "company": "企业", "company.name": "企业名称", "name": "名称",
    "credit_code": "统一社会信用代码", "company.credit_code": "统一社会信用代码",
    "company_name": "企业名称", "industry": "产业", "investment_cny": "计划投资（元）",
    "land_mu": "用地（亩）", "region": "地区", "source_branch_id": "来源党支部",
    "branch_id": "党支部", "contact": "联系人", "contact.name": "联系人姓名",
    "contact.title": "联系人职务", "contact.phone": "联系人电话", "contact.email": "联系人邮箱",
    "phone": "电话", "email": "邮箱", "first_contact_at": "首次接触时间", "notes": "备注",
    "note": "说明", "major": "重大项目", "stage": "阶段", "at": "发生时间", "status": "状态",
    "reason": "原因", "project_lead": "县级项目长", "project_lead.name": "项目长姓名",
    "project_lead.title": "项目长职务", "service_group": "帮办服务组",
    "service_group.name": "服务组名称", "members": "成员", "service_group.members": "服务组成员",
    "department": "部门", "username": "用户名", "plan": "计划", "milestone": "节点",
    "planned_date": "计划日期", "label": "节点名称", "actual_date": "实际日期",
    "team_id": "专业招商协作组", "routing": "分派状态", "owner": "负责人", "q": "搜索词", "after": "翻页位置",
    "sort": "排序", "page": "页码", "page_size": "每页条数", "limit": "每类条数",
    # branches
    "destination": "目的地", "start_date": "开始日期", "end_date": "结束日期", "purpose": "出行目的",
    "targets": "拜访目标", "targets.company": "目标企业", "questions": "要问的问题",
    "visited_at": "拜访时间", "outcome": "拜访结果", "interest": "投资意向", "next_step": "下一步",
    "visitors": "拜访人", "next_day_plan": "次日安排", "regions": "联系地区", "name_zh": "中文名称",
    "secretary": "支部书记", "from": "开始时间", "to": "结束时间",
    # policy and factor requests
    "lead_id": "项目", "enterprise": "企业", "received_at": "收到时间", "items": "诉求事项",
    "topic": "主题", "category": "类别", "text": "内容", "signer": "签发人",
    "reference_no": "文号", "held_at": "会议时间", "chair": "主持人", "attendees": "参会人员",
    "minutes": "会议纪要", "sla_state": "时限状态", "dry_run": "试导入", "file": "文件",
    # supervision
    "description": "问题描述", "owner_department": "责任单位", "complexity": "问题类型",
    "raised_at": "提出时间", "cause": "原因分析", "approach": "解决思路", "steps": "步骤",
    "step": "步骤", "due_date": "完成期限", "steps_done": "已完成步骤", "resolution": "解决情况",
    "area": "工作领域", "leader": "责任县领导", "progress_pct": "进度（%）",
    "progress_note": "进展情况", "details": "任务内容",
    "week": "周", "month": "月份", "quarter": "季度", "period": "期间", "report": "报表",
    # sla, teams, accounts, audit
    "kind": "时限类型", "state": "状态", "holidays": "节假日", "workdays": "调休工作日",
    "keyword": "关键词", "password": "密码", "current_password": "当前密码",
    "new_password": "新密码", "display_name": "显示名", "role": "角色", "disabled": "停用",
    "actor": "操作人", "object_id": "对象编号",
}

WHOLE = {"body": "请求体", "query": "查询参数", "header": "请求头"}


def field_label(loc) -> str:
    """The Chinese label of the field at `loc` (["body", "items", 0, "category"] is
    "类别（第1项）"); a field without a label keeps its name."""
    parts = [str(p) for p in loc]
    where = parts[0] if parts and parts[0] in WHOLE else None
    names = [p for p in parts[1 if where else 0:] if not p.isdigit()]
    positions = [int(p) + 1 for p in parts if p.isdigit()]
    if not names:
        return WHOLE.get(where or "", "输入")
    label = next((FIELD_LABELS[".".join(names[i:])] for i in range(len(names))
                  if ".".join(names[i:]) in FIELD_LABELS), names[-1])
    if where == "header":
        label = names[-1]
    if positions:
        label += "（" + "、".join(f"第{n}项" for n in positions) + "）"
    return label


def _expected(ctx: dict) -> str:
    return "、".join(re.findall(r"'((?:[^'\\]|\\.)*)'", str(ctx.get("expected", "")))) \
        or str(ctx.get("expected", ""))


def _n(ctx: dict, key: str):
    return ctx.get(key, "")


# pydantic error type -> the reason in Chinese (ctx holds the limits).
REASONS = {
    "missing": lambda c: "必填",
    "extra_forbidden": lambda c: "不允许的字段",
    "int_parsing": lambda c: "应为整数",
    "int_type": lambda c: "应为整数（如 13000000000，不带单位）",
    "int_from_float": lambda c: "应为整数，不能有小数",
    "float_parsing": lambda c: "应为数字",
    "float_type": lambda c: "应为数字",
    "bool_parsing": lambda c: "应为 true 或 false",
    "bool_type": lambda c: "应为 true 或 false",
    "string_type": lambda c: "应为文本",
    "string_too_short": lambda c: "不能为空" if _n(c, "min_length") == 1
    else f"至少 {_n(c, 'min_length')} 个字符",
    "string_too_long": lambda c: f"最多 {_n(c, 'max_length')} 个字符",
    "string_pattern_mismatch": lambda c: "格式不符",
    "too_short": lambda c: f"至少 {_n(c, 'min_length')} 项",
    "too_long": lambda c: f"最多 {_n(c, 'max_length')} 项",
    "greater_than": lambda c: f"应大于 {_n(c, 'gt')}",
    "greater_than_equal": lambda c: f"不能小于 {_n(c, 'ge')}",
    "less_than": lambda c: f"应小于 {_n(c, 'lt')}",
    "less_than_equal": lambda c: f"不能大于 {_n(c, 'le')}",
    "multiple_of": lambda c: f"应为 {_n(c, 'multiple_of')} 的整数倍",
    "literal_error": lambda c: f"应为以下之一：{_expected(c)}",
    "enum": lambda c: f"应为以下之一：{_expected(c)}",
    "date_parsing": lambda c: "应为日期，如 2026-12-01",
    "date_type": lambda c: "应为日期，如 2026-12-01",
    "date_from_datetime_parsing": lambda c: "应为日期，如 2026-12-01",
    "date_from_datetime_inexact": lambda c: "应为日期，不带时刻",
    "datetime_parsing": lambda c: "应为日期时间，如 2026-12-01T09:00:00+08:00",
    "datetime_type": lambda c: "应为日期时间，如 2026-12-01T09:00:00+08:00",
    "datetime_from_date_parsing": lambda c: "应为日期时间，如 2026-12-01T09:00:00+08:00",
    "timezone_aware": lambda c: "应带时区，如 +08:00",
    "time_parsing": lambda c: "应为时刻，如 09:00",
    "date_past": lambda c: "应为过去的日期", "date_future": lambda c: "应为将来的日期",
    "datetime_past": lambda c: "应为过去的时间", "datetime_future": lambda c: "应为将来的时间",
    "list_type": lambda c: "应为列表",
    "dict_type": lambda c: "应为对象",
    "model_type": lambda c: "应为对象",
    "model_attributes_type": lambda c: "应为对象",
    "none_required": lambda c: "应为空",
    "json_invalid": lambda c: "不是有效的 JSON",
    "json_type": lambda c: "应为 JSON 文本",
    "bytes_type": lambda c: "应为字节",
    "url_parsing": lambda c: "应为网址",
    "uuid_parsing": lambda c: "应为 UUID",
}


def reason(error: dict) -> str:
    """The reason of one pydantic error: a validator's own (Chinese) text, or the type's."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error") or error.get("msg", "")).removeprefix("Value error, ")
    if kind in REASONS:
        return REASONS[kind](ctx)
    if kind.startswith("zh_"):  # our own PydanticCustomError, already in Chinese
        return error.get("msg", "")
    return "无效的值"


def field_message(loc, text: str) -> str:
    """`text` about the field at `loc`, naming it: "计划投资（元）：应为整数"."""
    return f"{field_label(loc)}：{text}"


def detail_of(errors: list[dict]) -> str:
    """A problem's `detail` from its field errors."""
    return "输入有误：" + "；".join(e["msg"] for e in errors)
