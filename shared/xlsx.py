"""Every workbook the platform writes or reads (.xlsx), through one set of rules.

A cell is a number only when the column says number and the value is one; a date only when the
column says date and the value is one; everything else is text, written with the string type
set explicitly. So a title such as `=HYPERLINK("http://…","…")` stays the characters it is and
never becomes a formula in a leader's spreadsheet (openpyxl would otherwise store any string
that starts with "=" as a formula). Text that a spreadsheet would take for a formula when the
cell is edited (`= + - @`, tab, CR) is also marked quote-prefixed.

Each sheet: a title row, a row with the period (or what the list holds), the header row
(frozen, repeated on every printed page), then the rows; landscape, fit to one page wide.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNTY_TIME = ZoneInfo("Asia/Shanghai")
TITLE_ROW, PERIOD_ROW, HEADER_ROW = 1, 2, 3
FIRST_DATA_ROW = HEADER_ROW + 1
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# yuan -> the unit the header names
MONEY_UNITS = {"wan": 10_000, "yi": 100_000_000}
MAX_WIDTH, MIN_WIDTH = 60, 6
FORBIDDEN_IN_SHEET_NAMES = set('[]:*?/\\')

KINDS = ("text", "int", "number", "pct", "date", "datetime", "bool", "wan", "yi")
NUMBER_FORMATS = {"int": "0", "number": "0.##", "pct": "0.0", "date": "yyyy-mm-dd",
                  "datetime": "yyyy-mm-dd hh:mm", "wan": "#,##0.00", "yi": "#,##0.00"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: unknown kind {self.kind}")

    def __iter__(self):  # `for key, header in columns`
        return iter((self.key, self.header))


@dataclass
class Sheet:
    name: str
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[dict]


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_datetime(value) -> datetime | None:
    """A datetime or an ISO 8601 string as a county-time wall clock (Excel has no offsets)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(COUNTY_TIME).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def as_date(value) -> date | None:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    moment = as_datetime(value)
    return moment.date() if moment else None


def typed_value(column: Column, value) -> Any:
    """The value the cell holds: a number, a date or text (None stays empty)."""
    if value is None:
        return None
    kind = column.kind
    if kind == "bool" or isinstance(value, bool):
        if isinstance(value, bool):
            return "是" if value else "否"
        return text(value)
    if kind in ("int", "number", "pct") and is_number(value):
        return value
    if kind in MONEY_UNITS and is_number(value):
        return round(value / MONEY_UNITS[kind], 4)
    if kind == "date":  # a date-only cell reads back as midnight: that is what it holds
        day = as_date(value)
        return datetime(day.year, day.month, day.day) if day else text(value)
    if kind == "datetime":
        return as_datetime(value) or text(value)
    return text(value)


def text(value) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(text(v) for v in value)
    return str(value)


def canonical_header(text) -> str:
    """A header cell as the importers compare it: spaces and a required-mark (*) dropped,
    half-width brackets folded to full-width, so "总投资(亿元)*" reads as "总投资（亿元）"."""
    folded = re.sub(r"\s+", "", str(text or "")).replace("(", "（").replace(")", "）")
    return folded.rstrip("*＊")


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_STARTS)


def put(sheet, row: int, col: int, value) -> None:
    """Write one cell; strings always with the string type, never a formula."""
    cell = sheet.cell(row=row, column=col)
    if isinstance(value, str):
        # Control characters cannot stand in the workbook's XML: each is shown as U+FFFD.
        cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell.data_type = "s"  # set after the value: openpyxl guessed "f" for a leading "="
        if looks_like_formula(value):
            cell.quotePrefix = True
    else:
        cell.value = value


def display_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if is_number(value):
        return len(f"{value:,.2f}") if isinstance(value, float) else len(str(value))
    longest = max(str(value).split("\n"), key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def sheet_name(name: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in FORBIDDEN_IN_SHEET_NAMES else ch for ch in name).strip("'")
    return (cleaned or "Sheet")[:31]


def add_sheet(book: Workbook, spec: Sheet) -> None:
    sheet = book.create_sheet(sheet_name(spec.name))
    width = max(len(spec.columns), 1)
    put(sheet, TITLE_ROW, 1, spec.title)
    sheet.cell(TITLE_ROW, 1).font = Font(bold=True, size=16)
    put(sheet, PERIOD_ROW, 1, spec.subtitle)
    if width > 1:
        sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
        sheet.merge_cells(start_row=PERIOD_ROW, start_column=1, end_row=PERIOD_ROW,
                          end_column=width)
    sheet.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center")
    widths = [display_width(c.header) for c in spec.columns]
    for i, column in enumerate(spec.columns, start=1):
        put(sheet, HEADER_ROW, i, column.header)
        header = sheet.cell(HEADER_ROW, i)
        header.font = Font(bold=True)
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(spec.rows, start=FIRST_DATA_ROW):
        for i, column in enumerate(spec.columns, start=1):
            value = typed_value(column, row.get(column.key))
            put(sheet, r, i, value)
            if column.kind in NUMBER_FORMATS and not isinstance(value, str) and value is not None:
                sheet.cell(r, i).number_format = NUMBER_FORMATS[column.kind]
            widths[i - 1] = max(widths[i - 1], display_width(value))
    for i, w in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(w + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 1).coordinate
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True


def workbook(sheets: Iterable[Sheet], title: str) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        add_sheet(book, spec)
    book.properties.title = title
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def one_sheet(name: str, title: str, subtitle: str, columns: list[Column],
              rows: list[dict]) -> bytes:
    return workbook([Sheet(name, title, subtitle, columns, rows)], title)


def table(content: bytes, sheet: str) -> tuple[tuple, list[tuple]]:
    """The header and the data rows of a sheet this module wrote (for readers and tests)."""
    book = load_workbook(io.BytesIO(content))
    rows = list(book[sheet].iter_rows(min_row=HEADER_ROW, values_only=True))
    return rows[0], rows[1:]


class NotAWorkbook(ValueError):
    """The bytes are no .xlsx workbook that can be read."""


def read_rows(content: bytes, max_columns: int = 60) -> list[tuple]:
    """The first sheet's rows as values. Formulas are never evaluated: read with data_only, a
    formula cell gives the result the spreadsheet cached when it was saved, else None (a file
    written by a program often has no cached results; `formula_cells` tells which those are).
    Text that starts with "=" is text, as it was typed."""
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken package
        raise NotAWorkbook(str(exc)) from None
    try:
        sheet = book.worksheets[0]
        return [tuple(row[:max_columns]) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


# A formula cell of a worksheet part: `<f>` or `<f t="shared" .../>`, with or without a prefix.
FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
FORMULA_WITHOUT_RESULT = "是公式，且文件里没有它的计算结果：请复制后“选择性粘贴—数值”再导入"


def has_formulas(content: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula: a look at the sheets' XML, far
    quicker than reading the cells a second time (a ledger of 5,000 rows has none, mostly)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            return any(FORMULA_ELEMENT.search(package.read(name))
                       for name in package.namelist()
                       if name.startswith("xl/worksheets/") and name.endswith(".xml"))
    except (zipfile.BadZipFile, KeyError, OSError):
        return True  # let the reading below decide


def formula_cells(content: bytes, max_columns: int = 60, max_rows: int | None = None
                  ) -> set[tuple[int, int]]:
    """(row index, column index) of the first sheet's formula cells, both from 0 as in
    `read_rows`: a second reading, for imports that must tell a formula from a typed value."""
    if not has_formulas(content):
        return set()
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:
        raise NotAWorkbook(str(exc)) from None
    try:
        found = set()
        for r, row in enumerate(book.worksheets[0].iter_rows(max_row=max_rows)):
            for c, cell in enumerate(row[:max_columns]):
                if getattr(cell, "data_type", None) == "f":
                    found.add((r, c))
        return found
    finally:
        book.close()


def unresolved_formulas(raw: tuple, formulas: set[int]) -> set[int]:
    """The column indexes of a row's formula cells that have no result saved with the file:
    what an import refuses for the row (`FORMULA_WITHOUT_RESULT`), since it never evaluates a
    formula. A formula with a saved result gives that result, as the spreadsheet showed it."""
    return {c for c in formulas if (raw[c] if c < len(raw) else None) is None}
