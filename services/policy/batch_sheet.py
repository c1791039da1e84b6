"""An enterprise's batch of policy and factor requests as .xlsx, one item a row: pure, no I/O.

The columns are named by their Chinese headers (the template's, or a spelling people use).
A file with a header no one knows, without a required column, without rows or with more items
than a batch holds is refused as a whole; a row with a bad value is refused with its row
number in the sheet, its column and the reason, in Chinese.

Formulas are never evaluated. A formula cell gives the result the spreadsheet saved with it
(what the enterprise saw); a formula without a saved result is refused for its row. Text that
starts with "=" or "+" is kept as the text it is: every workbook the platform writes marks
text as text (shared/xlsx.py), so it never becomes a formula there either.

The batch's key (`batch_key`) is made of its lead, its enterprise and its items: the request
imported from a file has it as its id, so the same file again creates nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from services.policy.domain import CATEGORIES, CATEGORY_LABELS_ZH, MAX_ITEMS
from services.policy.schemas import CATEGORY_ALIASES_ZH
from shared import xlsx
from shared.xlsx import canonical_header
from shared.text import fold_text
from shared.units import known_units


@dataclass(frozen=True)
class SheetColumn:
    header: str
    key: str
    required: bool = False
    limit: int = 0
    aliases: tuple[str, ...] = ()
    example: str = ""


COLUMNS = (
    SheetColumn("序号", "n", aliases=("编号",), example="1"),
    SheetColumn("诉求事项", "topic", True, 200, ("事项", "诉求主题", "主题", "诉求名称", "诉求标题"),
                "电力增容"),
    SheetColumn("类别", "category", True, 0, ("诉求类别", "要素类别", "类型", "诉求类型"), "用电"),
    SheetColumn("诉求内容", "text", True, 5000, ("具体诉求", "内容", "诉求描述", "具体内容"),
                "二期项目需新增 110 千伏专线，请协调县供电公司年内接入"),
    SheetColumn("责任部门", "department", False, 100, ("承办部门", "牵头部门", "办理部门"),
                "县供电公司"),
    SheetColumn("备注", "notes", False, 1000, ("说明",), ""),
)
CATEGORY_OF = {**{label: key for key, label in CATEGORY_LABELS_ZH.items()},
               **CATEGORY_ALIASES_ZH, **{key: key for key in CATEGORIES}}


class SheetRefused(ValueError):
    """The file as a whole cannot be read as a batch; the message says why, in Chinese."""


HEADER_OF = {canonical_header(name): column for column in COLUMNS
             for name in (column.header, *column.aliases)}
TOPIC_HEADERS = {canonical_header(n) for n in (COLUMNS[1].header, *COLUMNS[1].aliases)}


@dataclass
class BatchRow:
    row: int  # the row number in the sheet, as the spreadsheet shows it
    item: dict | None = None  # {topic, category, text, department?} when the row is valid
    errors: list[dict] = field(default_factory=list)


def as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def read(content: bytes) -> tuple[list[SheetColumn | None], list[tuple[int, tuple, set]]]:
    """The columns of the header row and the data rows: (sheet row number, values, indexes of
    the row's formula cells). Refuses what cannot be a batch, in Chinese."""
    sheet_rows = xlsx.read_rows(content)
    at = next((i for i, row in enumerate(sheet_rows[:10])
               if any(canonical_header(v) in TOPIC_HEADERS for v in row)), None)
    if at is None:
        raise SheetRefused("找不到表头：前10行中没有“诉求事项”列（请使用导入模板）")
    columns: list[SheetColumn | None] = []
    unknown = []
    for value in sheet_rows[at]:
        name = canonical_header(value)
        if not name:
            columns.append(None)
            continue
        column = HEADER_OF.get(name)
        if column is None:
            unknown.append(str(value))
        elif column in columns:
            raise SheetRefused(f"列“{value}”重复")
        columns.append(column)
    if unknown:
        raise SheetRefused(f"未知的列：{'、'.join('“' + u + '”' for u in unknown)}"
                           f"（可用的列：{'、'.join(c.header for c in COLUMNS)}）")
    missing = [c.header for c in COLUMNS if c.required and c not in columns]
    if missing:
        raise SheetRefused(f"缺少必填列：{'、'.join('“' + m + '”' for m in missing)}")
    data = [(index, row) for index, row in enumerate(sheet_rows) if index > at
            and any(v is not None and str(v).strip() for v in row)]
    formulas = xlsx.formula_cells(content) if data else set()
    rows = []
    for index, row in data:
        in_formulas = {c for r, c in formulas if r == index}
        if not any(v is not None and str(v).strip() for c, v in enumerate(row)
                   if c < len(columns) and columns[c] and columns[c].key != "n"):
            continue  # only a number in 序号: an unfilled line of the form
        rows.append((index + 1, row, in_formulas))
    if not rows:
        raise SheetRefused("没有诉求：表头下面是空的")
    if len(rows) > MAX_ITEMS:
        raise SheetRefused(f"一批诉求最多 {MAX_ITEMS} 项，本文件有 {len(rows)} 项（请分批导入）")
    return columns, rows


def check_row(row_number: int, columns: list[SheetColumn | None], raw: tuple,
              formulas: set) -> BatchRow:
    row = BatchRow(row_number)
    values = {}

    def error(column: SheetColumn, message: str):
        row.errors.append({"row": row_number, "column": column.header,
                           "msg": f"第{row_number}行“{column.header}”：{message}"})

    unresolved = xlsx.unresolved_formulas(raw, formulas)
    for index, column in enumerate(columns):
        if column is None:
            continue
        if index in unresolved:
            error(column, xlsx.FORMULA_WITHOUT_RESULT)
            values[column.key] = None
            continue
        values[column.key] = as_text(raw[index] if index < len(raw) else None)
    for column in COLUMNS:
        text = values.get(column.key)
        if column.required and not text and not any(e["column"] == column.header
                                                    for e in row.errors):
            error(column, "必填，不能为空")
        elif text and column.limit and len(text) > column.limit:
            error(column, f"不能超过 {column.limit} 个字（现有 {len(text)} 个）")
    category = None
    if values.get("category"):
        category = CATEGORY_OF.get(values["category"])
        if category is None:
            labels = "、".join(CATEGORY_LABELS_ZH[k] for k in CATEGORIES)
            error(COLUMNS[2], f"未知类别“{values['category']}”（可填：{labels}）")
    department = values.get("department")
    if department and department not in known_units():
        error(COLUMNS[4], f"“{department}”不在全县单位名录中：请填写名录中的单位全称，"
                          "或留空按类别分派")
    if row.errors:
        return row
    text = values["text"]
    if values.get("notes"):
        text = f"{text}\n备注：{values['notes']}"[:5000]
    row.item = {"topic": values["topic"], "category": category, "text": text}
    if department:
        row.item["department"] = department
    return row


def item_key(item: dict) -> str:
    return "|".join(fold_text(item.get(k) or "") for k in ("topic", "category", "text",
                                                           "department"))


def batch_key(lead_id: str, enterprise: str, items: list[dict]) -> str:
    """The id of the request a batch becomes: the same lead, enterprise and items, the same id
    (whatever the time it is imported at)."""
    parts = [lead_id, fold_text(enterprise), *(item_key(i) for i in items)]
    return hashlib.sha256(("batch\n" + "\n".join(parts)).encode("utf-8")).hexdigest()[:32]


def template() -> bytes:
    """The import template: the columns (required ones marked *) and two example rows."""
    columns = [xlsx.Column(c.key, c.header + ("*" if c.required else "")) for c in COLUMNS]
    examples = [{c.key: c.example for c in COLUMNS},
                {"n": "2", "topic": "用地指标", "category": "用地",
                 "text": "二期需新增工业用地 120 亩，请明确供地时间", "department": "", "notes": ""}]
    labels = "、".join(CATEGORY_LABELS_ZH[k] for k in CATEGORIES)
    return xlsx.one_sheet(
        "诉求清单", "企业政策和要素诉求导入模板",
        f"每行一项诉求，一批最多 {MAX_ITEMS} 项；带*的列必填；类别填 {labels}；"
        "责任部门可留空（按类别分派）；导入前请删除示例行", columns, examples)
