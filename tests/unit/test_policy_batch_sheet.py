"""An enterprise's batch of policy requests as a spreadsheet: pure reading, no I/O."""
import io

import openpyxl
import pytest

from services.policy import batch_sheet
from shared import xlsx


def workbook(rows, headers=("序号", "诉求事项", "类别", "诉求内容", "责任部门")) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["某某新能源科技有限公司诉求清单"])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def checked(content: bytes):
    columns, data = batch_sheet.read(content)
    return [batch_sheet.check_row(n, columns, raw, formulas) for n, raw, formulas in data]


def test_rows_become_items_and_bad_ones_say_why_in_chinese():
    rows = checked(workbook([
        (1, "电力增容", "用电", "新增110千伏专线", None),
        (2, "用地指标", "土地", "新增工业用地120亩", "县自然资源和规划局"),
        (3, "坏：类别", "占卜", "内容", None),
        (4, "坏：部门", "policy", "内容", "县占卜局"),
        (5, None, "用水", "内容", None),
        (6, "超长", "其他", "字" * 5001, None),
    ]))
    assert [r.row for r in rows] == [3, 4, 5, 6, 7, 8]
    assert rows[0].item == {"topic": "电力增容", "category": "power", "text": "新增110千伏专线"}
    assert rows[1].item["category"] == "land" and rows[1].item["department"] == "县自然资源和规划局"
    assert rows[2].errors[0]["column"] == "类别"
    assert rows[2].errors[0]["msg"].startswith("第5行“类别”：未知类别“占卜”（可填：投资政策")
    assert "不在全县单位名录中" in rows[3].errors[0]["msg"]
    assert rows[4].errors == [{"row": 7, "column": "诉求事项", "msg": "第7行“诉求事项”：必填，不能为空"}]
    assert "不能超过 5000 个字" in rows[5].errors[0]["msg"]


def test_a_formula_is_never_evaluated_and_text_that_looks_like_one_stays_text():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["诉求事项", "类别", "诉求内容"])
    sheet.append(["=1+1", "用电", "正文"])  # openpyxl stores it as a formula, with no result
    sheet.append(["主题", "用电", '=HYPERLINK("http://example.com","点击")'])
    sheet.append(["主题二", "用电", "正文"])
    typed = sheet.cell(row=4, column=3)
    typed.value, typed.data_type = "=不是公式，是字", "s"  # text typed with a leading "="
    out = io.BytesIO()
    book.save(out)
    rows = checked(out.getvalue())
    assert rows[0].errors[0]["column"] == "诉求事项" and "是公式" in rows[0].errors[0]["msg"]
    assert rows[1].errors[0]["column"] == "诉求内容" and "是公式" in rows[1].errors[0]["msg"]
    assert rows[2].item["text"] == "=不是公式，是字"


@pytest.mark.parametrize("content, expected", [
    (workbook([(1, "x", "用电", "y")], ("序号", "诉求事项", "类别")), "缺少必填列：“诉求内容”"),
    (workbook([(1, "x", "用电", "y", "z")], ("序号", "诉求事项", "类别", "诉求内容", "打分")),
     "未知的列：“打分”"),
    (workbook([(1, "x", "用电", "y")], ("序号", "名称", "类别", "诉求内容")), "找不到表头"),
    (workbook([]), "没有诉求"),
    (workbook([(n,) for n in range(1, 17)]), "没有诉求"),  # a numbered form left empty
    (workbook([(n, f"事项{n}", "用电", "内容") for n in range(51)]), "一批诉求最多 50 项"),
])
def test_a_file_that_is_no_batch_is_refused_whole(content, expected):
    with pytest.raises(batch_sheet.SheetRefused) as refused:
        batch_sheet.read(content)
    assert expected in str(refused.value)


def test_the_key_is_the_batch_and_not_the_moment():
    items = [{"topic": "电力增容", "category": "power", "text": "新增专线"}]
    key = batch_sheet.batch_key("lead-1", "某公司", items)
    assert key == batch_sheet.batch_key("lead-1", "某公司 ", [dict(items[0])])
    assert key != batch_sheet.batch_key("lead-2", "某公司", items)
    assert key != batch_sheet.batch_key("lead-1", "某公司", [{**items[0], "text": "另一项"}])


def test_the_template_reads_back_as_a_batch():
    rows = checked(batch_sheet.template())
    assert [r.item["category"] for r in rows] == ["power", "land"]
    header, _ = xlsx.table(batch_sheet.template(), "诉求清单")
    assert header[:4] == ("序号", "诉求事项*", "类别*", "诉求内容*")
