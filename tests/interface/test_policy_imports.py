"""Excel in for policy requests: an enterprise's batch (the demo's 16 items, one a row) imported
over HTTP as one request with a dry run and a commit, the same file again creating nothing;
a file with a bad row refused whole in Chinese with each row named, nothing stored, no event."""
import io
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.policy.domain import CATEGORY_LABELS_ZH, DEFAULT_ROUTES
from services.policy.service import PolicyService
from services.teams.service import TeamsService
from shared import xlsx
from tests.interface.helpers import eventually, login, user

XLSX = xlsx.MEDIA_TYPE
# The demo's 16 requests (tests/interface/test_paper_letters.py), as an enterprise lists them.
CATEGORIES = ["land", "power", "water", "gas", "environment", "permit", "finance", "talent",
              "policy", "other", "land", "power", "permit", "environment", "finance", "policy"]
SOLAR = {"title": "捷泰新能源高效电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 13_000_000_000}
HEADERS = ["序号", "诉求事项", "类别", "诉求内容", "责任部门"]


@pytest.fixture
def platform(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, LeadsService,
                            TeamsService, PolicyService)
    runner.start()
    return runner


@pytest.fixture
def admin(platform, web_session):
    return login(web_session, "admin", "admin-password-for-tests")


@pytest.fixture
def lead(web_session, admin):
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=admin).json()
    eventually(lambda: web_session.get(f"/api/v1/leads/{lead['id']}",
                                       headers=admin).json()["team_id"])
    return web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin).json()


def sixteen() -> list[list]:
    return [[n, f"第{n}项：{CATEGORY_LABELS_ZH[c]}诉求", CATEGORY_LABELS_ZH[c],
             f"关于879亩用地和双回路供电的第{n}项诉求", None]
            for n, c in enumerate(CATEGORIES, start=1)]


def workbook(rows, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "诉求清单"
    sheet.append(["捷泰新能源科技有限公司政策和要素诉求清单"])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for line in sheet.iter_rows():
        for cell in line:  # text typed with a leading "=" (openpyxl would make it a formula)
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post(web_session, headers, content, lead_id, dry_run, **params):
    query = "&".join(f"{k}={v}" for k, v in {"lead_id": lead_id, "dry_run": str(dry_run).lower(),
                                             **params}.items())
    return web_session.post(f"/api/v1/policy-requests/import?{query}",
                            headers={**headers, "Content-Type": XLSX}, data=content)


def stored(mongo, db_prefix) -> tuple[int, int]:
    """(policy requests, outbox entries) in the policy service's database."""
    db = mongo[f"{db_prefix}policy"]
    return db.policy_requests.count_documents({}), db.outbox.count_documents({})


def test_a_batch_of_16_imports_with_a_dry_run_and_a_commit_and_once_only(
        platform, web_session, admin, lead, mongo, db_prefix):
    template = web_session.get("/api/v1/policy-requests/import/template.xlsx", headers=admin)
    assert template.status_code == 200 and template.headers["Content-Type"] == XLSX
    header, examples = xlsx.table(template.content, "诉求清单")
    assert header[1:4] == ("诉求事项*", "类别*", "诉求内容*") and len(examples) == 2

    rows = sixteen()
    rows[15][3] = '=HYPERLINK("http://example.com","点击")'  # typed text, kept as text
    rows[15][2] = "政策"  # a word enterprises write for 投资政策
    rows.insert(5, list(rows[2]))  # the third item listed twice
    rows[5][0] = None
    content = workbook(rows)

    dry = post(web_session, admin, content, lead["id"], True)
    assert dry.status_code == 200, dry.text
    dry = dry.json()
    assert (dry["rows"], dry["valid"], dry["would_create"], dry["created"]) == (17, 16, True, False)
    assert dry["errors"] == []
    assert dry["duplicates"] == [{"row": 8, "existing_id": None, "msg": "第8行：与第5行重复"}]
    assert [i["n"] for i in dry["items"]] == list(range(1, 17))
    assert [i["row"] for i in dry["items"]][:6] == [3, 4, 5, 6, 7, 9]
    assert dry["items"][1] == {"row": 4, "n": 2, "topic": "第2项：用电诉求", "category": "power",
                               "category_zh": "用电", "department": DEFAULT_ROUTES["power"]}
    assert stored(mongo, db_prefix) == (0, 0)  # a dry run writes nothing and sends nothing

    received = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    committed = post(web_session, admin, content, lead["id"], False,
                     received_at=received.replace("+", "%2B"))
    assert committed.status_code == 200, committed.text
    committed = committed.json()
    assert (committed["created"], committed["already_imported"]) == (True, False)
    assert committed["id"] == dry["id"]
    request = committed["request"]  # as GET /policy-requests/{id} has it (less the clocks)
    listed = web_session.get(f"/api/v1/policy-requests?lead_id={lead['id']}", headers=admin)
    assert [r["id"] for r in listed.json()["items"]] == [committed["id"]]
    assert request["enterprise"] == "捷泰新能源科技有限公司"  # the lead's company
    assert len(request["items"]) == 16 and request["lead_id"] == lead["id"]
    assert request["items"][15]["text"] == '=HYPERLINK("http://example.com","点击")'
    assert request["items"][15]["category"] == "policy"
    assert abs(datetime.fromisoformat(request["received_at"])
               - datetime.fromisoformat(received)) < timedelta(seconds=1)
    outbox = mongo[f"{db_prefix}policy"].outbox
    assert [e["type"] for e in outbox.find()] == ["policy_request_received"]
    eventually(lambda: outbox.count_documents({"sent_at": None}) == 0)  # published

    again = post(web_session, admin, content, lead["id"], False).json()
    assert (again["created"], again["already_imported"], again["id"]) == (
        False, True, committed["id"])
    assert again["request"]["id"] == committed["id"]
    assert stored(mongo, db_prefix) == (1, 1)


def test_a_bad_batch_is_422_in_chinese_naming_each_row_and_nothing_is_stored(
        platform, web_session, admin, lead, mongo, db_prefix):
    rows = sixteen()
    rows[3][2] = "占卜"
    rows[6][1] = None
    rows[9][4] = "县占卜局"
    content = workbook(rows)

    dry = post(web_session, admin, content, lead["id"], True)
    assert dry.status_code == 200, dry.text
    dry = dry.json()
    assert (dry["valid"], dry["would_create"], dry["id"]) == (13, False, None)
    assert [(e["row"], e["column"]) for e in dry["errors"]] == [
        (6, "类别"), (9, "诉求事项"), (12, "责任部门")]
    assert dry["errors"][0]["msg"].startswith("第6行“类别”：未知类别“占卜”")

    refused = post(web_session, admin, content, lead["id"], False)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["detail"].startswith("有 3 行不能导入，整批未导入：第6行“类别”")
    assert [e["loc"] for e in problem["errors"]] == [
        ["body", "file", "6", "类别"], ["body", "file", "9", "诉求事项"],
        ["body", "file", "12", "责任部门"]]

    good = workbook(sixteen())
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat().replace("+", "%2B")
    for params, field in [({"lead_id": "no-such-lead"}, "lead_id"),
                          ({"lead_id": lead["id"], "received_at": future}, "received_at"),
                          ({"lead_id": lead["id"], "dry_run": "maybe"}, "dry_run")]:
        query = "&".join(f"{k}={v}" for k, v in {"dry_run": "false", **params}.items())
        answer = web_session.post(f"/api/v1/policy-requests/import?{query}",
                                  headers={**admin, "Content-Type": XLSX}, data=good)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["errors"][0]["loc"] == ["query", field], answer.json()
    missing = web_session.post("/api/v1/policy-requests/import?dry_run=false",
                               headers={**admin, "Content-Type": XLSX}, data=good)
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == [
        "query", "lead_id"]
    for content, expected in [(b"%PDF-1.7 not a workbook", "不是 Excel"),
                              (workbook([r[:3] for r in sixteen()], HEADERS[:3]), "缺少必填列"),
                              (workbook([]), "没有诉求")]:
        answer = post(web_session, admin, content, lead["id"], False)
        assert answer.status_code == 422 and expected in answer.json()["detail"], answer.text
    # Scope: a branch member submits no requests; a team member only for the own team's lead.
    branch = user(web_session, admin, "zj.yang", "branch_member", branch_id="zhejiang")
    assert post(web_session, branch, good, lead["id"], False).status_code == 403
    other = user(web_session, admin, "liquor1", "team_member", team_id="food-liquor")
    outside = post(web_session, other, good, lead["id"], False)
    assert outside.status_code == 422 and outside.json()["errors"][0]["loc"] == [
        "query", "lead_id"]
    assert stored(mongo, db_prefix) == (0, 0)
    mine = user(web_session, admin, "solar1", "team_member", team_id=lead["team_id"])
    created = post(web_session, mine, good, lead["id"], False)
    assert created.status_code == 200 and created.json()["created"], created.text
    assert stored(mongo, db_prefix) == (1, 1)
