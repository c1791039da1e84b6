"""The joint reply letter (联合答复函) as PDF, in the layout of GB/T 9704-2012 where it applies.

- 版心 156 mm x 225 mm on A4 (top 37 mm, left 28 mm); body in 三号 (16 pt) serif, first lines
  indented two characters; headings of the first level (一、) in a sans bold (as 黑体).
- 版头: the mark of the lead office (主办机关: the department that answers the first item) in red,
  a red double line, its 发文字号 at the right (联合行文 uses the 主办机关's number, 7.2.4);
  the title centred, broken only between the parts of its meaning (never inside a name).
- 主送: the enterprise; then one section per item with its department's reply and 文号.
- 落款: every department that answered, in the order of their items, each with its seal over
  its name (an uploaded PNG) or "（印章未上传）"; the 成文日期 (the day the last reply came) below;
  kept on one page with the last line of text, so no seal stands alone on a page.
- Page numbers "— 1 —" at the foot, odd pages right, even pages left (7.5.1).
Fonts are subsets of Noto CJK embedded in the file (fonts.py); nothing is left to the reader.
"""
from __future__ import annotations

import io
from datetime import datetime
from functools import partial
from xml.sax.saxutils import escape

import eventlet
from eventlet import tpool
from nameko.extensions import DependencyProvider
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Paragraph, Spacer,
)

from services.policy.domain import CATEGORY_LABELS_ZH, COUNTY_TIME
from services.policy import fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
TOP, LEFT, WIDTH, HEIGHT = 37 * mm, 28 * mm, 156 * mm, 225 * mm
BODY_SIZE = 16  # 三号
TITLE_SIZE = 22  # 二号
MARK_SIZE = 30
SEAL_SIZE = 38 * mm
RED = colors.Color(0.86, 0.08, 0.12)
CHINESE_NUMBERS = "一二三四五六七八九十"
NO_SEAL = "（印章未上传）"
DRAFT = "（草稿：尚有诉求未答复）"
# The wording every letter has, converted when the service starts (fonts.warm).
FIXED_WORDING = ("关于政策和要素保障诉求的答复函贵单位就于年月日提出的项收悉经县相关部门研究现答复如下"
                 "主持召开专题研究会商参加一二三四五六七八九十、：“”（）〔〕号签发人贵单位提出答复"
                 "办理中尚未特此函复县局公司委员会中心镇街道人民政府自然资源和规划供电商务行政审批"
                 "水务住房城乡建设生态环境财政力社会保障投资促进发展改革") + NO_SEAL + DRAFT


def chinese_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十, 35 -> 三十五 (section numbers up to 99)."""
    tens, ones = divmod(n, 10)
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    return (CHINESE_NUMBERS[tens - 1] if tens > 1 else "") + "十" + \
        (CHINESE_NUMBERS[ones - 1] if ones else "")


def local(when) -> datetime:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    return when.astimezone(COUNTY_TIME)


def written_date(when) -> str:
    """成文日期 in Arabic numerals, the year in full, months and days without a leading 0."""
    day = local(when)
    return f"{day.year}年{day.month}月{day.day}日"


def title_lines(parts: list[str], per_line: int) -> list[str]:
    """The title in lines that break only between `parts` (a part longer than a line is the
    only one ever cut), packed greedily."""
    lines: list[str] = []
    for part in parts:
        while len(part) > per_line:
            lines.append(part[:per_line])
            part = part[per_line:]
        if lines and len(lines[-1]) + len(part) <= per_line:
            lines[-1] += part
        else:
            lines.append(part)
    return lines


class Masthead(Flowable):
    """The lead office's name in red over a red double line (thick above thin), its number at
    the right below the line."""

    def __init__(self, office: str, number: str, font: str, number_font: str):
        super().__init__()
        self.office, self.number, self.font, self.number_font = office, number, font, number_font
        self.width, self.height = WIDTH, 30 * mm

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        c = self.canv
        size = MARK_SIZE
        while c.stringWidth(self.office, self.font, size) > WIDTH and size > 16:
            size -= 1
        c.setFillColor(RED)
        c.setFont(self.font, size)
        c.drawCentredString(WIDTH / 2, self.height - size, self.office)
        c.setStrokeColor(RED)
        line_y = self.height - size - 6 * mm
        c.setLineWidth(2)
        c.line(0, line_y, WIDTH, line_y)
        c.setLineWidth(0.6)
        c.line(0, line_y - 1.6 * mm, WIDTH, line_y - 1.6 * mm)
        c.setFillColor(colors.black)
        c.setFont(self.number_font, BODY_SIZE)
        c.drawRightString(WIDTH, line_y - 9 * mm, self.number)


class Signatures(Flowable):
    """落款: the departments' names in rows of up to three, each seal centred over its name
    (the name a little below the seal's centre, 7.3.5.1), then the 成文日期."""

    def __init__(self, departments: list[str], seals: dict[str, bytes], date: str, font: str):
        super().__init__()
        self.departments, self.seals, self.date, self.font = departments, seals, date, font
        self.columns = min(3, max(1, len(departments)))
        self.row_height = SEAL_SIZE + 4 * mm
        rows = -(-len(departments) // self.columns)
        self.width, self.height = WIDTH, rows * self.row_height + 12 * mm

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        c = self.canv
        cell = WIDTH / self.columns
        for i, name in enumerate(self.departments):
            row, col = divmod(i, self.columns)
            # the last row is centred under the others, as names stand in a joint 落款
            in_row = min(self.columns, len(self.departments) - row * self.columns)
            offset = (self.columns - in_row) * cell / 2
            cx = offset + (col + 0.5) * cell
            top = self.height - row * self.row_height
            name_y = top - SEAL_SIZE / 2 - 4
            size = BODY_SIZE
            while c.stringWidth(name, self.font, size) > cell - 4 * mm and size > 9:
                size -= 0.5
            c.setFillColor(colors.black)
            c.setFont(self.font, size)
            c.drawCentredString(cx, name_y, name)
            seal = self.seals.get(name)
            if seal:
                c.drawImage(ImageReader(io.BytesIO(seal)), cx - SEAL_SIZE / 2, top - SEAL_SIZE,
                            SEAL_SIZE, SEAL_SIZE, mask="auto", preserveAspectRatio=True)
            else:
                c.setFillColor(colors.grey)
                c.setFont(self.font, 10)
                c.drawCentredString(cx, name_y - 14, NO_SEAL)
        c.setFillColor(colors.black)
        c.setFont(self.font, BODY_SIZE)
        # 右空四字
        c.drawRightString(WIDTH - 4 * BODY_SIZE, 2 * mm, self.date)


def page_number(font: str, canvas: Canvas, doc) -> None:
    """"— n —" 7 mm below the text block, 4号 (14 pt); odd pages right, even left, 空一字."""
    n = canvas.getPageNumber()
    text = f"— {n} —"
    canvas.saveState()
    canvas.setFont(font, 14)
    y = PAGE_HEIGHT - TOP - HEIGHT - 7 * mm - 14
    if n % 2:
        canvas.drawRightString(LEFT + WIDTH - 14, y, text)
    else:
        canvas.drawString(LEFT + 14, y, text)
    canvas.restoreState()


def departments_in_order(items: list[dict]) -> list[str]:
    seen: list[str] = []
    for item in items:
        department = (item.get("reply") or {}).get("department") or item["department"]
        if department not in seen:
            seen.append(department)
    return seen


def letter_text(request: dict) -> list[tuple[str, str]]:
    """The letter's paragraphs as (kind, text), in order; kinds choose the style."""
    subject = request.get("lead_title") or request["lead_id"]
    received = local(request["received_at"])
    out = [("salutation", f"{request['enterprise']}："),
           ("body", f"贵单位就“{subject}”于{received.year}年{received.month}月{received.day}日"
                    f"提出的{len(request['items'])}项政策和要素保障诉求收悉。经县相关部门研究，"
                    "现答复如下：")]
    meeting = request.get("meeting")
    if meeting:
        held = local(meeting["held_at"])
        out.append(("body", f"{held.month}月{held.day}日，{meeting['chair']}主持召开专题研究会商，"
                            f"{'、'.join(meeting['attendees'])}参加。{meeting['minutes']}"))
    for index, item in enumerate(request["items"], start=1):
        label = CATEGORY_LABELS_ZH.get(item["category"], item["category"])
        out.append(("heading", f"{chinese_number(index)}、关于{label}诉求：{item['topic']}"))
        out.append(("body", f"贵单位提出：{item['text']}"))
        reply = item.get("reply")
        if reply:
            out.append(("body", f"答复：{reply['text']}"))
            proof = "　盖章原件扫描件已存档" if reply.get("proof_attachment_id") else ""
            out.append(("note", f"（{reply['department']}　{reply['reference_no']}　"
                                f"签发人：{reply['signer']}{proof}）"))
        else:
            out.append(("note", f"（{item['department']}办理中，尚未答复）"))
    out.append(("body", "特此函复。"))
    return out


def letter_pdf(request: dict, seals: dict[str, bytes] | None = None) -> bytes:
    """The letter; `seals` maps a department to its seal (PNG), where one was uploaded."""
    seals = seals or {}
    replies = [i["reply"] for i in request["items"] if i.get("reply")]
    lead_office = departments_in_order(request["items"])[0]
    first = request["items"][0].get("reply")
    number = first["reference_no"] if first else "（文号待定）"
    closed = request["status"] == "closed"
    date = written_date(request["closed_at"] if closed else
                        max((r["replied_at"] for r in replies), default=request["received_at"]))
    if not closed:
        date = f"（草稿）{date}"
    title_parts = ["关于", request["enterprise"], "政策和要素保障诉求的", "答复函"]
    paragraphs = letter_text(request)
    departments = departments_in_order(request["items"])
    face = fonts.register_for({
        "title": "".join([lead_office, *title_parts]),
        "heading": "".join(t for kind, t in paragraphs if kind == "heading"),
        "body": "".join([number, date, NO_SEAL, DRAFT, *departments,
                         *(t for kind, t in paragraphs if kind != "heading")]),
    })

    body = ParagraphStyle("body", fontName=face["body"], fontSize=BODY_SIZE, leading=28.9,
                          firstLineIndent=2 * BODY_SIZE, wordWrap="CJK", alignment=4)
    styles = {
        "body": body,
        "salutation": ParagraphStyle("salutation", parent=body, firstLineIndent=0,
                                     spaceBefore=2 * mm),
        "heading": ParagraphStyle("heading", parent=body, fontName=face["heading"],
                                  spaceBefore=2 * mm),
        "note": ParagraphStyle("note", parent=body, fontSize=13, leading=22,
                               textColor=colors.Color(0.2, 0.2, 0.2)),
    }
    per_line = int(WIDTH // TITLE_SIZE) - 2
    title = ParagraphStyle("title", fontName=face["title"], fontSize=TITLE_SIZE, leading=35,
                           alignment=1, spaceBefore=4 * mm, spaceAfter=6 * mm)
    story: list[Flowable] = [Masthead(lead_office, number, face["title"], face["body"])]
    if not closed:
        story.append(Paragraph(DRAFT, styles["note"]))
    story.append(Paragraph("<br/>".join(escape(line) for line in
                                        title_lines(title_parts, per_line)), title))
    # A heading stays with the paragraph after it, a reply with its 文号 line under it.
    for index, (kind, text) in enumerate(paragraphs[:-1]):
        paragraph = Paragraph(escape(text), styles[kind])
        following = paragraphs[index + 1][0]
        paragraph.keepWithNext = kind == "heading" or following == "note"
        story.append(paragraph)
    # The last line of text stays with the 落款: no seal alone on a page.
    story.append(KeepTogether([Paragraph(escape(paragraphs[-1][1]), body), Spacer(1, 6 * mm),
                               Signatures(departments, seals, date, face["body"])]))

    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, title=f"答复函 {request['_id']}",
                          # the canvas starts in the body face: no standard (unembedded) font
                          author=lead_office, initialFontName=face["body"],
                          leftMargin=LEFT, topMargin=TOP,
                          rightMargin=PAGE_WIDTH - LEFT - WIDTH,
                          bottomMargin=PAGE_HEIGHT - TOP - HEIGHT)
    frame = Frame(LEFT, PAGE_HEIGHT - TOP - HEIGHT, WIDTH, HEIGHT, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate("letter", [frame],
                                       onPage=partial(page_number, face["body"]))])
    doc.build(story)
    return buffer.getvalue()


class LetterSetter(DependencyProvider):
    """Sets letters in an OS thread (fontTools and ReportLab are CPU work that would hold
    every other worker of the service), and reads the fonts when the service starts."""

    def start(self):
        self.warming = eventlet.spawn(tpool.execute, fonts.warm, FIXED_WORDING)

    def stop(self):
        self.warming.wait()

    def get_dependency(self, worker_ctx):
        return lambda request, seals: tpool.execute(letter_pdf, request, seals)
