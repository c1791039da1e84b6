"""A county's project ledger (项目台账) as .xlsx, read into leads: pure, no I/O.

The columns are named by their Chinese headers (the template's, with a few spellings people
use: half-width brackets, money in 万元 or 元 instead of 亿元). A file with a header no one
knows, or without a required column, is refused as a whole; a row with a bad value is refused
with its reason, naming its row number in the sheet and the column, and the others are kept.

Formulas are never evaluated, as in the policy batch sheet: a formula cell gives the result the
spreadsheet saved with it, and one without a saved result is refused for its row and column.

Each row gets a key from its title and company (credit code, else the folded name): the lead
imported from it has that key as its id, so importing the same file again, or retrying a
commit that broke off, creates nothing twice.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from services.leads.pipeline import STAGE_LABELS_ZH, STAGES
from services.teams.domain import pick_team  # the teams' own rule: an industry no team takes
from shared import xlsx
from shared.xlsx import canonical_header
from shared.company import company_name_key, credit_code_problem, normalise_credit_code
from shared.text import fold_text

COUNTY_TIME = ZoneInfo("Asia/Shanghai")
MAX_ROWS = 20_000
YUAN_PER = {"亿元": 100_000_000, "万元": 10_000, "元": 1}


@dataclass(frozen=True)
class LedgerColumn:
    header: str
    key: str
    required: bool = False
    kind: str = "text"  # text, money, number, date
    aliases: tuple[str, ...] = ()
    example: object = None


COLUMNS = (
    LedgerColumn("项目名称", "title", True, example="捷泰新能源高效电池片项目"),
    LedgerColumn("企业名称", "company_name", True, example="捷泰新能源科技有限公司"),
    LedgerColumn("统一社会信用代码", "credit_code", aliases=("信用代码", "社会信用代码"),
                 example="91320826MA1JT0013A"),
    LedgerColumn("行业", "industry", True, aliases=("所属行业", "产业"), example="光伏电池"),
    LedgerColumn("总投资（亿元）", "investment", True, "money",
                 aliases=("总投资（万元）", "总投资（元）"), example=130),
    LedgerColumn("用地（亩）", "land_mu", kind="number", aliases=("用地面积（亩）",), example=879),
    LedgerColumn("地区", "region", aliases=("来源地", "客商所在地"), example="上海"),
    LedgerColumn("来源", "source", aliases=("项目来源", "信息来源"), example="上海区域招商局行动党支部"),
    LedgerColumn("首次接触日期", "first_contact", kind="date", aliases=("首次接触时间",),
                 example=date(2026, 1, 5)),
    LedgerColumn("阶段", "stage", aliases=("项目阶段", "进展阶段"), example="签约"),
    LedgerColumn("专业招商协作组", "team", aliases=("协作组", "责任协作组"),
                 example="新能源产业专业招商协作组"),
    LedgerColumn("项目长", "project_lead", aliases=("县级项目长",), example="陈国华"),
    LedgerColumn("联系人", "contact_name", example="李经理"),
    LedgerColumn("联系电话", "contact_phone", example="13800000000"),
    LedgerColumn("备注", "notes", example="首次接触21天签约"),
)
REQUIRED = [c.header for c in COLUMNS if c.required]
STAGE_BY_LABEL = {**{label: stage for stage, label in STAGE_LABELS_ZH.items()},
                  **{stage: stage for stage in STAGES}}


class LedgerRefused(ValueError):
    """The file as a whole cannot be read as a ledger; the message says why, in Chinese."""


@dataclass
class LedgerRow:
    row: int  # the row number in the sheet, as the spreadsheet shows it
    values: dict
    errors: list[dict] = field(default_factory=list)
    lead: dict | None = None  # the LeadCreate body, when the row is valid
    stage: str | None = None
    team_id: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Known:
    """What rows are checked against: the routing table (industry keyword -> team id), the
    teams (id -> Chinese name) and the branches (id -> Chinese name)."""
    routing: dict[str, str]
    teams: dict[str, str]
    branches: dict[str, str]


HEADER_OF = {canonical_header(alias): column for column in COLUMNS
             for alias in (column.header, *column.aliases)}


def header_row(rows: list[tuple]) -> int:
    """The index of the header row: the first of the first ten holding 项目名称."""
    for index, row in enumerate(rows[:10]):
        if any(canonical_header(v) == "项目名称" for v in row):
            return index
    raise LedgerRefused("找不到表头：前10行中没有“项目名称”列（请使用导入模板）")


def read(content: bytes) -> tuple[list[LedgerColumn | None], list[tuple[int, tuple, set]],
                                  dict]:
    """The columns of the header row and the data rows: (sheet row number, values, indexes of
    the row's formula cells); refuses an unknown header, a missing required column or a sheet
    without data rows."""
    sheet_rows = xlsx.read_rows(content)
    at = header_row(sheet_rows)
    headers = sheet_rows[at]
    columns, unknown, units = [], [], {}
    for value in headers:
        name = canonical_header(value)
        if not name:
            columns.append(None)
            continue
        column = HEADER_OF.get(name)
        if column is None:
            unknown.append(str(value))
        elif column in columns:
            raise LedgerRefused(f"列“{value}”重复")
        columns.append(column)
        if column is not None and column.kind == "money":
            units[column.key] = YUAN_PER[re.search(r"（(亿元|万元|元)）", name).group(1)]
    if unknown:
        raise LedgerRefused(f"未知的列：{'、'.join('“' + u + '”' for u in unknown)}"
                            f"（可用的列：{'、'.join(c.header for c in COLUMNS)}）")
    missing = [c.header for c in COLUMNS if c.required and c not in columns]
    if missing:
        raise LedgerRefused(f"缺少必填列：{'、'.join('“' + m + '”' for m in missing)}")
    data = [(index, row) for index, row in enumerate(sheet_rows)
            if index > at and any(v not in (None, "") and str(v).strip() for v in row)]
    if not data:
        raise LedgerRefused("没有数据行：表头下面是空的")
    if len(data) > MAX_ROWS:
        raise LedgerRefused(f"一次最多导入 {MAX_ROWS} 行，本文件有 {len(data)} 行")
    formulas: dict[int, set[int]] = {}
    for r, c in xlsx.formula_cells(content):
        formulas.setdefault(r, set()).add(c)
    return columns, [(index + 1, row, formulas.get(index, set())) for index, row in data], units


def as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def as_number(value) -> float | None:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        return float(value)
    text = as_text(value)
    if text is None:
        return None
    return float(text.replace(",", "").replace("，", ""))


DATE_FORMS = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
              re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
              re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
              re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"))


def as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = as_text(value)
    if text is None:
        return None
    for form in DATE_FORMS:
        match = form.match(text)
        if match:
            return date(*(int(g) for g in match.groups()))
    raise ValueError


def row_key(title: str, company_name: str, credit_code: str | None) -> str:
    """The id of the lead a row becomes: the same row of the same ledger, the same id."""
    who = credit_code or company_name_key(company_name)
    return hashlib.sha256(f"ledger|{fold_text(title)}|{who}".encode()).hexdigest()[:32]


def check_row(row_number: int, columns, raw: tuple, units: dict, known: Known,
              today: date, formulas: set[int] = frozenset()) -> LedgerRow:
    """One data row checked; `formulas`: the indexes of its formula cells (a formula without
    the result saved with the file is refused for its column, and checked no further)."""
    values = {c.key: raw[i] if i < len(raw) else None for i, c in enumerate(columns) if c}
    row = LedgerRow(row_number, values)
    unresolved = {columns[i].key for i in xlsx.unresolved_formulas(raw, formulas)
                  if i < len(columns) and columns[i]}

    def say(key: str, message: str):
        header = next(c.header for c in COLUMNS if c.key == key)
        row.errors.append({"row": row_number, "column": header,
                           "msg": f"第{row_number}行“{header}”：{message}"})

    def error(key: str, message: str):
        if key not in unresolved:  # its formula is the error
            say(key, message)

    for column in COLUMNS:
        if column.key in unresolved:
            say(column.key, xlsx.FORMULA_WITHOUT_RESULT)

    text = {k: as_text(values.get(k)) for k in ("title", "company_name", "credit_code",
                                                  "industry", "region", "source", "stage",
                                                  "team", "project_lead", "contact_name",
                                                  "contact_phone", "notes")}
    for column in COLUMNS:
        if column.required and column.kind == "text" and not text.get(column.key):
            error(column.key, "必填，不能为空")
    for key, limit in (("title", 200), ("company_name", 200), ("industry", 50), ("region", 100),
                       ("notes", 4000), ("contact_phone", 40), ("contact_name", 200)):
        if text.get(key) and len(text[key]) > limit:
            error(key, f"不能超过 {limit} 个字")
    code = None
    if text["credit_code"]:
        code = normalise_credit_code(text["credit_code"])
        problem = credit_code_problem(code)
        if problem:
            if len(code) != 18:
                error("credit_code", f"应为18位，实为{len(code)}位")
            elif problem.startswith("校验码"):  # shared/company.py: "校验码为 X，应为 Y"
                error("credit_code", f"校验码不符（末位应为 {problem.rsplit(' ', 1)[-1]}）")
            else:
                error("credit_code", "含有不允许的字符")
    investment = None
    try:
        amount = as_number(values.get("investment"))
        if amount is None:
            error("investment", "必填，不能为空")
        elif amount < 0 or amount * units["investment"] > 10**13:
            error("investment", "应为 0 至 10 万亿元之间的数")
        else:
            investment = round(amount * units["investment"])
    except ValueError:
        error("investment", f"不是数字：{values.get('investment')}")
    land = None
    try:
        land = as_number(values.get("land_mu"))
        if land is not None and not 0 <= land <= 10**6:
            error("land_mu", "应为 0 至 100 万亩之间的数")
    except ValueError:
        error("land_mu", f"不是数字：{values.get('land_mu')}")
    first = None
    try:
        first = as_date(values.get("first_contact"))
        if first is not None and first > today:
            error("first_contact", f"日期 {first.isoformat()} 在今天之后")
    except ValueError:
        error("first_contact", f"不是日期：{values.get('first_contact')}（例：2026-01-05）")
    if text["stage"]:
        row.stage = STAGE_BY_LABEL.get(text["stage"])
        if row.stage is None:
            labels = "、".join(STAGE_LABELS_ZH.values())
            error("stage", f"未知阶段“{text['stage']}”（可填：{labels}）")
    industry_team = None
    if text["industry"]:
        route = pick_team(text["industry"], known.routing)
        if route is None:
            error("industry", f"未知行业“{text['industry']}”：不属于任何专业招商协作组")
        else:
            industry_team = route.team_id
    if text["team"]:
        by_name = {name: team_id for team_id, name in known.teams.items()}
        row.team_id = text["team"] if text["team"] in known.teams else by_name.get(text["team"])
        if row.team_id is None:
            error("team", f"未知协作组“{text['team']}”")
        elif industry_team and row.team_id != industry_team:
            error("team", f"行业“{text['industry']}”归“{known.teams[industry_team]}”，与所填不符")
    branch_id = None
    notes = [text["notes"]] if text["notes"] else []
    if text["source"]:
        by_name = {name: branch_id for branch_id, name in known.branches.items()}
        branch_id = (text["source"] if text["source"] in known.branches
                     else by_name.get(text["source"]))
        if branch_id is None:
            notes.append(f"来源：{text['source']}")
    if text["project_lead"]:
        notes.append(f"项目长：{text['project_lead']}")
    if row.errors:
        return row
    lead = {"title": text["title"], "company": {"name": text["company_name"]},
            "industry": text["industry"], "investment_cny": investment}
    if code:
        lead["company"]["credit_code"] = code
    if land is not None:
        lead["land_mu"] = land
    if text["region"]:
        lead["region"] = text["region"]
    if branch_id:
        lead["source_branch_id"] = branch_id
    if first:
        lead["first_contact_at"] = datetime.combine(first, time(9), COUNTY_TIME).isoformat()
    if text["contact_name"]:
        lead["contact"] = {"name": text["contact_name"], "phone": text["contact_phone"]}
    if notes:
        lead["notes"] = "；".join(notes)[:5000]
    row.lead = lead
    row.key = row_key(text["title"], text["company_name"], code)
    return row


def template() -> bytes:
    """The import template: the columns (required ones marked *) and one example row."""
    columns = [xlsx.Column(c.key, c.header + ("*" if c.required else ""),
                           {"money": "number", "number": "number", "date": "date"}.get(c.kind,
                                                                                      "text"))
               for c in COLUMNS]
    example = {c.key: c.example for c in COLUMNS}
    return xlsx.one_sheet(
        "项目台账", "招商项目台账导入模板",
        "带*的列必填；总投资以亿元计（表头写“总投资（万元）”则以万元计）；日期如 2026-01-05；"
        "阶段填 线索/在谈/签约/供地/开工/投产；导入前请删除本示例行", columns, [example])
