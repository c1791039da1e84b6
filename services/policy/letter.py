"""The stamped reply letter (盖章答复函) as PDF: every item, its reply, reference number and seal.

ReportLab's built-in CJK font STSong-Light needs no font file: the PDF names the font and the
reader supplies it, so the Chinese text stays extractable.
"""
from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer
from xml.sax.saxutils import escape

from services.policy.domain import CATEGORY_LABELS_ZH, COUNTY_TIME

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1,
                       spaceAfter=6 * mm)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
ITEM = ParagraphStyle("item", parent=BODY, fontSize=12, leading=18, spaceBefore=4 * mm)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=9, leading=13, textColor=colors.grey)


class Seal(Flowable):
    """A red round seal with the department's name, drawn beside its reply."""

    def __init__(self, department: str, size: float = 30 * mm):
        super().__init__()
        self.department, self.size = department, size
        self.width = self.height = size

    def draw(self):
        c, r = self.canv, self.size / 2
        c.setStrokeColor(colors.red)
        c.setFillColor(colors.red)
        c.setLineWidth(1.5)
        c.circle(r, r, r - 1, stroke=1, fill=0)
        c.setFont(FONT, 7 if len(self.department) > 8 else 9)
        c.drawCentredString(r, r + 2, self.department)
        c.setFont(FONT, 8)
        c.drawCentredString(r, r - 10, "（盖章）")
        # the five-pointed star of a government seal, kept small
        c.drawCentredString(r, r + 11, "★")


def local(when) -> str:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    return when.astimezone(COUNTY_TIME).strftime("%Y年%m月%d日 %H:%M")


def letter_pdf(request: dict) -> bytes:
    story = [Paragraph(escape(f"关于{request['enterprise']}政策和要素保障诉求的答复函"), TITLE)]
    closed = request["status"] == "closed"
    story.append(Paragraph(escape(
        f"{request['enterprise']}：贵单位就“{request.get('lead_title') or request['lead_id']}”"
        f"于{local(request['received_at'])}提出的{len(request['items'])}项政策和要素保障诉求，"
        "经县相关部门研究，现答复如下。"), BODY))
    meeting = request.get("meeting")
    if meeting:
        story.append(Paragraph(escape(
            f"{local(meeting['held_at'])}，{meeting['chair']}主持召开专题研究会商，"
            f"{'、'.join(meeting['attendees'])}参加。{meeting['minutes']}"), BODY))
    if not closed:
        story.append(Paragraph("（草稿：尚有诉求未答复）", SMALL))
    for item in request["items"]:
        label = CATEGORY_LABELS_ZH.get(item["category"], item["category"])
        story.append(Paragraph(escape(f"{item['n']}. 【{label}】{item['topic']}"), ITEM))
        story.append(Paragraph(escape(f"诉求：{item['text']}"), BODY))
        reply = item.get("reply")
        if reply:
            story.append(Paragraph(escape(f"答复：{reply['text']}"), BODY))
            story.append(Paragraph(escape(
                f"答复单位：{reply['department']}　文号：{reply['reference_no']}　"
                f"签发人：{reply['signer']}　日期：{local(reply['replied_at'])}"), SMALL))
            story.append(Seal(reply["department"]))
        else:
            story.append(Paragraph(escape(f"办理中（{item['department']}）"), SMALL))
    story.append(Spacer(1, 8 * mm))
    if closed:
        story.append(Paragraph(escape(f"全部诉求已于{local(request['closed_at'])}答复完毕。"),
                               BODY))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=f"答复函 {request['_id']}",
                            leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=20 * mm, bottomMargin=20 * mm)
    doc.build(story)
    return buffer.getvalue()
