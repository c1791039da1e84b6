"""The paper's pure parts: file types by content, workbook cells, the letter's title and
numbering, a ledger row's checks."""
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from PIL import Image

from services.leads import ledger
from services.policy import domain as policy_domain
from services.policy.letter import chinese_number, title_lines
from shared import filetypes, xlsx
from shared.company import credit_code_check_char
from shared.errors import InvalidInput


def png(mode):
    out = io.BytesIO()
    Image.new(mode, (200, 200)).save(out, "PNG")
    return out.getvalue()


def package(part):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(part, "<x/>")
    return out.getvalue()


def test_file_types_come_from_the_bytes():
    assert filetypes.kind_of(b"%PDF-1.7\n") == "pdf"
    assert filetypes.kind_of(b"\xff\xd8\xff\xe0rest") == "jpeg"
    assert filetypes.kind_of(png("RGBA")) == "png"
    assert filetypes.kind_of(png("RGBA")[:-5]) is None  # a cut PNG is no PNG
    assert filetypes.kind_of(package("word/document.xml")) == "docx"
    assert filetypes.kind_of(package("xl/workbook.xml")) == "xlsx"
    assert filetypes.kind_of(package("OFD.xml")) == "ofd"
    assert filetypes.kind_of(package("other.txt")) is None
    assert filetypes.kind_of(b"MZ\x90") is None
    assert filetypes.png_size_and_alpha(png("RGBA"))[2] is True
    assert filetypes.png_size_and_alpha(png("RGB"))[2] is False


def test_a_seal_must_be_a_png_that_can_be_transparent():
    assert len(policy_domain.check_seal(png("RGBA"))) == 64
    for bad in (b"", png("RGB"), b"GIF89a"):
        with pytest.raises(InvalidInput):
            policy_domain.check_seal(bad)


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)",
                                  "\tx", "\rx", "=1+1"])
def test_text_that_looks_like_a_formula_stays_text(text):
    content = xlsx.one_sheet("表", "标题", "周期", [xlsx.Column("t", "文本")], [{"t": text}])
    cell = openpyxl.load_workbook(io.BytesIO(content))["表"]["A4"]
    # XML reads a CR as a line feed: still the text, never a formula
    assert (cell.value, cell.data_type) == (text.replace("\r", "\n"), "s")


def test_control_characters_in_text_still_make_a_workbook():
    # e.g. a filter value typed with a stray \x1f, which the filter row repeats
    content = xlsx.one_sheet("表", "标题", "筛选：部门=\x1f县\x12水务局", [xlsx.Column("t", "文本")],
                             [{"t": "电池\x13片"}])
    sheet = openpyxl.load_workbook(io.BytesIO(content))["表"]
    assert sheet["A4"].value == "电池\ufffd片" and "\ufffd县\ufffd水务局" in sheet["A2"].value


def test_cells_are_numbers_dates_or_text_as_their_column_says():
    columns = [xlsx.Column("n", "数", "int"), xlsx.Column("m", "总投资（亿元）", "yi"),
               xlsx.Column("w", "总投资（万元）", "wan"), xlsx.Column("d", "日期", "date"),
               xlsx.Column("t", "文本")]
    row = {"n": 3, "m": 13_000_000_000, "w": 50_000, "d": "2026-11-10T10:00:00+08:00", "t": 5}
    assert [xlsx.typed_value(c, row[c.key]) for c in columns] == [
        3, 130, 5, datetime(2026, 11, 10), "5"]
    assert xlsx.typed_value(columns[0], "three") == "three"  # never guessed into a number


def test_the_title_breaks_only_between_its_parts():
    parts = ["关于", "捷泰新能源科技有限公司", "政策和要素保障诉求的", "答复函"]
    assert title_lines(parts, 18) == ["关于捷泰新能源科技有限公司", "政策和要素保障诉求的答复函"]
    assert all("".join(title_lines(parts, n)) == "".join(parts) for n in range(4, 30))
    assert [chinese_number(n) for n in (1, 10, 11, 16, 20, 35)] == [
        "一", "十", "十一", "十六", "二十", "三十五"]


KNOWN = ledger.Known(routing={"光伏": "new-energy", "白酒": "food-liquor"},
                     teams={"new-energy": "新能源产业专业招商协作组", "food-liquor": "食品酒类组"},
                     branches={"shanghai": "上海区域招商局行动党支部"})
COLUMNS = [ledger.HEADER_OF[ledger.canonical_header(h)] for h in (
    "项目名称", "企业名称", "统一社会信用代码", "行业", "总投资（万元）", "首次接触日期", "专业招商协作组",
    "来源")]


def check(*values):
    return ledger.check_row(9, COLUMNS, values, {"investment": 10_000}, KNOWN, date(2026, 12, 1))


def test_a_ledger_row_becomes_a_lead_or_says_what_is_wrong_with_it():
    body = "91320826MA1JT0013"
    code = body + credit_code_check_char(body)
    row = check("电池片项目", "捷泰新能源", code, "光伏", 5000, "2026/1/5", "新能源产业专业招商协作组",
                "上海区域招商局行动党支部")
    assert row.errors == []
    assert row.lead["investment_cny"] == 50_000_000 and row.lead["source_branch_id"] == "shanghai"
    assert row.lead["first_contact_at"].startswith("2026-01-05T09:00:00+08:00")
    assert row.key == check("电池片项目", "捷泰新能源", code, "光伏", 1, None, None, None).key
    wrong = check("x", "y", body + "Z", "白酒", "abc", "2027-01-01", "新能源产业专业招商协作组", "网上")
    assert [e["column"] for e in wrong.errors] == [
        "统一社会信用代码", "总投资（亿元）", "首次接触日期", "专业招商协作组"]
    assert all(e["msg"].startswith("第9行“") for e in wrong.errors)


def test_a_ledger_formula_without_its_result_is_refused_with_its_row_and_column():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["涟水县招商项目台账"])
    sheet.append(["项目名称", "企业名称", "行业", "总投资（亿元）"])
    sheet.append(["电池片项目", "捷泰新能源", "光伏", "=B9*2"])  # a formula, no saved result
    sheet.append(["=CONCAT(\"电池\",\"项目\")", "捷泰新能源", "光伏", 3])
    sheet.append(["组件项目", "捷泰新能源", "光伏", 4])
    typed = sheet.cell(row=5, column=1)
    typed.value, typed.data_type = "=不是公式，是字", "s"  # text typed with a leading "="
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()
    assert xlsx.has_formulas(content)

    columns, data, units = ledger.read(content)
    rows = [ledger.check_row(n, columns, raw, units, KNOWN, date(2026, 12, 1), formulas)
            for n, raw, formulas in data]
    assert rows[0].errors == [{"row": 3, "column": "总投资（亿元）", "msg":
                               f"第3行“总投资（亿元）”：{xlsx.FORMULA_WITHOUT_RESULT}"}]
    assert [(e["row"], e["column"]) for e in rows[1].errors] == [(4, "项目名称")]
    assert rows[2].errors == [] and rows[2].lead["title"] == "=不是公式，是字"


def test_a_workbook_without_formulas_is_not_read_a_second_time():
    content = xlsx.one_sheet("台账", "台账", "", [xlsx.Column("title", "项目名称", "text")],
                             [{"title": "=SUM(1,2)"}])  # text that looks like a formula
    assert not xlsx.has_formulas(content) and xlsx.formula_cells(content) == set()
