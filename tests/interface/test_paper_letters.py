"""The county's paper over HTTP: the demo's 16-item batch answered by nine departments (one of
them answering two items under one 文号), seals uploaded for two, the joint reply letter read
back (every font embedded, 落款 and date, seals over their names, "（印章未上传）" for the rest)
and rendered page by page with pdftoppm, also where fontconfig knows no font at all; a scanned
stamped letter attached to a reply as its proof and downloaded byte for byte; attachments
scoped like their owners, refused when they are not what they claim."""
import io
import os
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
from PIL import Image, ImageChops, ImageDraw

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.policy.domain import DEFAULT_ROUTES
from services.policy.service import PolicyService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from tests.interface.helpers import eventually, login, user

# The demo's 16 requests (tests/e2e/test_48_hours.py), routed by category.
CATEGORIES = ["land", "power", "water", "gas", "environment", "permit", "finance", "talent",
              "policy", "other", "land", "power", "permit", "environment", "finance", "policy"]
LAND, POWER = DEFAULT_ROUTES["land"], DEFAULT_ROUTES["power"]
SOLAR = {"title": "捷泰新能源高效电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 13_000_000_000}
CST = ZoneInfo("Asia/Shanghai")
PAGES_DIR = Path(os.environ.get("KUAIBAN_LETTER_PAGES", "/tmp/kuaiban-letter-pages"))


@pytest.fixture
def platform(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config, "ATTACHMENT_MAX_BYTES": 300_000},
                            GatewayService, LeadsService, TeamsService, PolicyService,
                            SupervisionService)
    runner.start()
    return runner


def seal_png(colour=(215, 25, 35, 235), alpha=True) -> bytes:
    """A seal as a county office scans and cuts it out: red ring and star, clear around."""
    image = Image.new("RGBA" if alpha else "RGB", (480, 480), (0, 0, 0, 0) if alpha else "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, 468, 468), outline=colour, width=16)
    draw.regular_polygon((240, 230, 70), 5, fill=colour)
    draw.rectangle((120, 340, 360, 352), fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def scanned_letter() -> bytes:
    image = Image.new("RGB", (850, 1200), "white")
    ImageDraw.Draw(image).rectangle((80, 100, 770, 160), fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def fonts_of(reader: pypdf.PdfReader):
    """Every font the pages use, with its descendants (Type0 fonts carry theirs)."""
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            yield font
            for descendant in font.get("/DescendantFonts", []):
                yield descendant.get_object()


def render(pdf: Path, out_dir: Path, env=None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out_dir / "page")],
                   check=True, env=env, capture_output=True)
    return sorted(out_dir.glob("page-*.png"))


def test_the_16_item_letter_with_seals_fonts_embedded_and_rendered(
        platform, web_session, tmp_path, mongo, db_prefix):
    admin = login(web_session, "admin", "admin-password-for-tests")
    land = user(web_session, admin, "zrj", "department", department=LAND)
    lead = web_session.post("/api/v1/leads", headers=admin, json=SOLAR).json()
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}",
                                       headers=admin).json()["team_id"])

    # Seals: the admin only, a PNG that can be transparent, for a unit that exists.
    seal_url = f"/api/v1/units/{LAND}/seal"
    png = {"Content-Type": "image/png"}
    assert web_session.put(seal_url, data=seal_png(), headers={**land, **png}).status_code == 403
    for bad in (b"", b"GIF89a not a png", seal_png(alpha=False), seal_png()[:-20]):
        refused = web_session.put(seal_url, data=bad, headers={**admin, **png})
        assert refused.status_code == 422, refused.text
        assert "印章" in refused.json()["detail"]
    assert web_session.put("/api/v1/units/县不存在局/seal", data=seal_png(),
                           headers={**admin, **png}).status_code == 404
    assert mongo[f"{db_prefix}policy"].seals.count_documents({}) == 0
    first = web_session.put(seal_url, data=seal_png((180, 0, 0, 255)), headers={**admin, **png})
    assert first.status_code == 200, first.text and first.json()["replaced"] is False
    replaced = web_session.put(seal_url, data=seal_png(), headers={**admin, **png}).json()
    assert replaced["replaced"] is True and replaced["versions"] == 2
    assert web_session.put(f"/api/v1/units/{POWER}/seal", data=seal_png((200, 10, 10, 240)),
                           headers={**admin, **png}).status_code == 200
    audit = web_session.get("/api/v1/audit?page_size=200", headers=admin).json()["items"]
    assert len([a for a in audit if a["route"] == "/api/v1/units/<string:name>/seal"]) == 3

    # The batch, and each item's stamped reply; the land bureau answers items 1 and 11 under
    # one 文号 (one letter of its own), which another request may not reuse.
    created = web_session.post("/api/v1/policy-requests", headers=admin, json={
        "lead_id": lead["id"], "enterprise": "捷泰新能源科技有限公司", "items": [
            {"topic": f"第{n}项：879亩用地与双回路供电保障", "category": category,
             "text": "请求协调解决项目一期879亩建设用地报批、挂牌和供地，以及110千伏双回路供电接入，"
                     "确保明年4月试生产。"} for n, category in enumerate(CATEGORIES, start=1)]})
    assert created.status_code == 201, created.text
    request = created.json()
    rid = request["id"]
    numbers = {}
    for item in request["items"]:
        department = item["department"]
        numbers.setdefault(department, f"涟{len(numbers) + 1:02d}函〔2026〕{item['n']}号")
        body = {"text": "经研究，同意按照“要素跟着项目走”的原则优先保障，48小时内完成相关手续，"
                        "由项目帮办服务组跟进落实。", "department": department, "signer": "王建国",
                "reference_no": numbers[department]}
        replied = web_session.post(f"/api/v1/policy-requests/{rid}/items/{item['n']}/reply",
                                   headers=land if department == LAND else admin, json=body)
        assert replied.status_code == 200, (item["n"], replied.text)
    assert replied.json()["status"] == "closed"
    other = web_session.post("/api/v1/policy-requests", headers=admin, json={
        "lead_id": lead["id"], "enterprise": "捷泰新能源科技有限公司",
        "items": [{"topic": "用地", "category": "land", "text": "用地"}]}).json()
    reused = web_session.post(f"/api/v1/policy-requests/{other['id']}/items/1/reply",
                              headers=land, json={**body, "department": LAND,
                                                  "reference_no": numbers[LAND]})
    assert reused.status_code == 409

    started = time.monotonic()
    letter = web_session.get(f"/api/v1/policy-requests/{rid}/letter.pdf", headers=admin)
    print(f"\n16-item letter set in {time.monotonic() - started:.2f} s, "
          f"{len(letter.content) / 1024:.0f} KiB")
    assert letter.status_code == 200, letter.text
    reader = pypdf.PdfReader(io.BytesIO(letter.content))
    pages = [page.extract_text() for page in reader.pages]
    last_lines = [line.strip() for line in pages[-1].splitlines()]
    text = "".join(pages)

    # Every font is embedded (a TrueType subset), none is a standard or CID font left to the
    # reader.
    fonts = list(fonts_of(reader))
    assert fonts
    for font in fonts:
        if font.get("/Subtype") == "/Type0":
            continue  # its descendant carries the file
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font
        assert "+" in font["/BaseFont"]  # a subset
    # 版头, title unbroken in its words, 主送, sections, 落款 and 成文日期, page numbers.
    first_lines = [line.strip() for line in pages[0].splitlines()]
    assert LAND in first_lines[:3] and numbers[LAND] in first_lines[:4]
    assert "关于捷泰新能源科技有限公司" in first_lines and "政策和要素保障诉求的答复函" in first_lines
    assert "捷泰新能源科技有限公司：" in first_lines
    for n, word in ((1, "一"), (10, "十"), (16, "十六")):
        assert f"{word}、关于" in text, n
    for department, number in numbers.items():
        assert department in pages[-1] and number in text
    assert "特此函复。" in pages[-1]
    closed = datetime.fromisoformat(replied.json()["closed_at"]).astimezone(CST)
    assert f"{closed.year}年{closed.month}月{closed.day}日" in last_lines  # county time
    assert pages[-1].count("（印章未上传）") == len(numbers) - 2
    for n, page in enumerate(pages, start=1):
        assert f"— {n} —" in page, n
    # The two seals are images on the last page, with the 落款 they stamp: none alone.
    assert len(reader.pages[-1].images) == 2
    assert all(len(page.images) == 0 for page in reader.pages[:-1])

    # Rendered page by page (kept in KUAIBAN_LETTER_PAGES to look at), and the same pixels
    # where fontconfig has no font at all: nothing depends on the reader's fonts.
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(letter.content)
    shutil.rmtree(PAGES_DIR, ignore_errors=True)
    rendered = render(pdf, PAGES_DIR)
    assert len(rendered) == len(reader.pages) >= 2
    (tmp_path / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<cachedir>{tmp_path}/cache</cachedir></fontconfig>')
    bare = render(pdf, tmp_path / "bare", {**os.environ,
                                           "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")})
    for page, bare_page in zip(rendered, bare):
        with Image.open(page) as a, Image.open(bare_page) as b:
            assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None
            assert a.convert("L").getextrema()[0] < 100  # not a blank page
    with Image.open(rendered[-1]) as last:  # the seals' red is on the last page
        red = [p for p in last.convert("RGB").getdata() if p[0] > 150 and p[1] < 90]
        assert len(red) > 500


def test_a_scanned_letter_is_a_replys_proof_and_downloads_byte_for_byte(
        platform, web_session, mongo, db_prefix):
    admin = login(web_session, "admin", "admin-password-for-tests")
    land = user(web_session, admin, "zrj", "department", department=LAND)
    power = user(web_session, admin, "gdgs", "department", department=POWER)
    inspector = user(web_session, admin, "ducha", "inspector")
    other_team = user(web_session, admin, "liquor1", "team_member", team_id="food-liquor")
    lead = web_session.post("/api/v1/leads", headers=admin, json=SOLAR).json()
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}",
                                       headers=admin).json()["team_id"])
    rid = web_session.post("/api/v1/policy-requests", headers=admin, json={
        "lead_id": lead["id"], "enterprise": "捷泰新能源科技有限公司", "items": [
            {"topic": "用地", "category": "land", "text": "879亩用地"},
            {"topic": "用电", "category": "power", "text": "双回路供电"}]}).json()["id"]
    scan = scanned_letter()
    item_url = f"/api/v1/policy-requests/{rid}/items/1/attachments"
    files = {"file": ("盖章答复函扫描件.jpg", scan, "application/pdf")}  # the claim is ignored

    # Scoped like the item: another department and another team's member get 404, the
    # inspector reads but uploads nothing.
    assert web_session.post(item_url, headers=power, files=files).status_code == 404
    assert web_session.post(item_url, headers=other_team, files=files).status_code == 404
    assert web_session.post(item_url, headers=inspector, files=files).status_code == 403  # role
    uploaded = web_session.post(item_url, headers=land, files=files)
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert (attachment["kind"], attachment["media_type"], attachment["bytes"]) == (
        "jpeg", "image/jpeg", len(scan))

    # Bad files: 422 in Chinese, nothing stored.
    stored = mongo[f"{db_prefix}gateway"]["attachments.files"]
    before = stored.count_documents({})
    for name, content in (("a.pdf", b"MZ\x90\x00 an executable"), ("empty.pdf", b""),
                          ("big.pdf", b"%PDF-1.7\n" + b"0" * 400_000),
                          ("fake.docx", b"PK\x03\x04 not a zip at all")):
        refused = web_session.post(item_url, headers=land, files={"file": (name, content)})
        assert refused.status_code == 422, (name, refused.text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.json()["detail"])
    no_file = web_session.post(item_url, headers=land, data={"other": "x"})
    assert no_file.status_code == 422
    assert stored.count_documents({}) == before

    # The reply carries the scan as its proof; a file of another item cannot be one.
    reply = {"text": "同意供地。", "department": LAND, "signer": "王建国",
             "reference_no": "涟自然资函〔2026〕7号"}
    power_file = web_session.post(f"/api/v1/policy-requests/{rid}/items/2/attachments",
                                  headers=power, files=files).json()
    wrong = web_session.post(f"/api/v1/policy-requests/{rid}/items/1/reply", headers=land,
                             json={**reply, "proof_attachment_id": power_file["id"]})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == [
        "body", "proof_attachment_id"]
    replied = web_session.post(f"/api/v1/policy-requests/{rid}/items/1/reply", headers=land,
                               json={**reply, "proof_attachment_id": attachment["id"]})
    assert replied.status_code == 200, replied.text
    assert replied.json()["items"][0]["reply"]["proof_attachment_id"] == attachment["id"]

    download = web_session.get(f"/api/v1/attachments/{attachment['id']}", headers=inspector)
    assert download.status_code == 200 and download.content == scan
    assert download.headers["Content-Type"] == "image/jpeg"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert web_session.get(f"/api/v1/attachments/{attachment['id']}",
                           headers=power).status_code == 404
    listed = web_session.get(item_url, headers=admin).json()
    assert [a["id"] for a in listed["items"]] == [attachment["id"]]

    # Deleted by its uploader or an admin only.
    assert web_session.delete(f"/api/v1/attachments/{power_file['id']}",
                              headers=land).status_code == 404  # not even visible to land
    assert web_session.delete(f"/api/v1/attachments/{attachment['id']}",
                              headers=inspector).status_code == 403
    assert web_session.delete(f"/api/v1/attachments/{power_file['id']}",
                              headers=admin).status_code == 200
    assert web_session.get(f"/api/v1/attachments/{power_file['id']}",
                           headers=admin).status_code == 404
    audit = web_session.get("/api/v1/audit?page_size=200", headers=admin).json()["items"]
    assert {a["route"] for a in audit} >= {
        "/api/v1/policy-requests/<string:request_id>/items/<int:n>/attachments",
        "/api/v1/attachments/<string:attachment_id>"}


def test_lead_and_problem_attachments_follow_their_owners_scope(platform, web_session):
    admin = login(web_session, "admin", "admin-password-for-tests")
    own_team = user(web_session, admin, "xny1", "team_member", team_id="new-energy")
    other_team = user(web_session, admin, "liquor1", "team_member", team_id="food-liquor")
    land = user(web_session, admin, "zrj", "department", department=LAND)
    water = user(web_session, admin, "sw", "department", department="县水务局")
    lead = web_session.post("/api/v1/leads", headers=admin, json=SOLAR).json()
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}",
                                       headers=admin).json()["team_id"] == "new-energy")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    lead_url = f"/api/v1/leads/{lead['id']}/attachments"
    added = web_session.post(lead_url, headers=own_team, files={"file": ("意向书.pdf", pdf)})
    assert added.status_code == 201, added.text
    assert web_session.get(lead_url, headers=other_team).status_code == 404
    assert web_session.post(lead_url, headers=other_team,
                            files={"file": ("x.pdf", pdf)}).status_code == 404
    assert web_session.get(f"/api/v1/attachments/{added.json()['id']}",
                           headers=other_team).status_code == 404
    assert web_session.get(f"/api/v1/attachments/{added.json()['id']}",
                           headers=own_team).content == pdf

    problem = web_session.post("/api/v1/problems", headers=own_team, json={
        "lead_id": lead["id"], "title": "用地指标不足", "description": "一期用地缺指标200亩",
        "owner_department": LAND, "complexity": "general"})
    assert problem.status_code == 201, problem.text
    problem_url = f"/api/v1/problems/{problem.json()['id']}/attachments"
    assert web_session.post(problem_url, headers=land,
                            files={"file": ("反馈.pdf", pdf)}).status_code == 201
    assert web_session.get(problem_url, headers=water).status_code == 404
    assert web_session.get(problem_url, headers=own_team).json()["total"] == 1
    assert web_session.get("/api/v1/problems/no-such/attachments",
                           headers=admin).status_code == 404
