"""Policy requests over HTTP through the gateway, with leads, teams, policy and sla running."""
import io
from datetime import datetime, timedelta, timezone

import pypdf
import pytest

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.policy.service import PolicyService
from services.sla.service import SlaService
from services.teams.service import TeamsService
from tests.interface.helpers import login
from tests.waiting import wait_until

LAND, POWER = "县自然资源和规划局", "县供电公司"
SOLAR = {"title": "高效太阳能电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 13_000_000_000}


def items(count):
    categories = ["land", "power", "policy", "permit"]
    return [{"topic": f"第{n}项诉求", "category": categories[(n - 1) % 4],
             "text": f"关于879亩用地和双回路供电的第{n}项诉求"} for n in range(1, count + 1)]


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config, "SLA_SCAN_SECONDS": 0.2}, GatewayService,
                            LeadsService, TeamsService, PolicyService, SlaService)
    runner.start()
    return runner


@pytest.fixture
def admin(gateway, web_session):
    return login(web_session, "admin", "admin-password-for-tests")


def department_user(web_session, admin, username, department):
    created = web_session.post("/api/v1/users", headers=admin, json={
        "username": username, "password": "department-password", "display_name": department,
        "role": "department", "department": department})
    assert created.status_code == 201, created.text
    return login(web_session, username, "department-password")


@pytest.fixture
def lead(web_session, admin):
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=admin).json()
    wait_until(lambda: web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin).json()["team_id"],
               reason="the lead's team")
    return lead


def submit(web_session, admin, lead, count=4, **extra):
    return web_session.post("/api/v1/policy-requests", headers=admin, json={
        "lead_id": lead["id"], "enterprise": "捷泰新能源科技有限公司", "items": items(count),
        **extra})


def reply_body(n, department, prefix="涟"):
    return {"text": f"第{n}项已研究同意，按规定办理。", "department": department, "signer": "王局长",
            "reference_no": f"{prefix}函〔2026〕{n}号"}


BAD_BATCHES = [  # (items, extra fields, the field the 422 names)
    (0, {}, ["body", "items"]),
    (51, {}, ["body", "items"]),
    (2, {"received_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()},
     ["body", "received_at"]),
    (2, {"lead_id": "no-such-lead"}, ["body", "lead_id"]),
]


def test_bad_batches_are_422_naming_the_field_and_nothing_is_stored(
        web_session, admin, lead, mongo, db_prefix):
    for count, extra, field in BAD_BATCHES:
        response = submit(web_session, admin, lead, count, **extra)
        assert response.status_code == 422, response.text
        assert field in [e["loc"] for e in response.json()["errors"]], (field, response.json())
    assert mongo[f"{db_prefix}policy"].policy_requests.count_documents({}) == 0
    assert mongo[f"{db_prefix}policy"].outbox.count_documents({}) == 0


def test_items_are_routed_replied_by_their_departments_and_the_request_closes_as_met(
        web_session, admin, lead, mongo, db_prefix):
    created = submit(web_session, admin, lead)
    assert created.status_code == 201, created.text
    request = created.json()
    assert [i["department"] for i in request["items"]] == [LAND, POWER, "县商务局", "县行政审批局"]
    assert request["team_id"] == "new-energy"
    rid = request["id"]
    land = department_user(web_session, admin, "zrj", LAND)
    power = department_user(web_session, admin, "gdgs", POWER)

    # A department sees its own items only, and another department's item is 404.
    mine = web_session.get(f"/api/v1/policy-requests/{rid}", headers=land).json()
    assert [i["n"] for i in mine["items"]] == [1]
    assert mine["sla"]["due_at"] and mine["sla"]["state"] == "on_track"
    url = f"/api/v1/policy-requests/{rid}/items"
    assert web_session.post(f"{url}/2/reply", headers=land,
                            json=reply_body(2, LAND)).status_code == 404
    assert web_session.post(f"{url}/1/reply", headers=land,
                            json=reply_body(1, POWER)).status_code == 404

    # Paused while the enterprise supplies documents, then resumed.
    assert web_session.post(f"{url}/2/pause", headers=power,
                            json={"note": "等待企业补充用电负荷材料"}).json()["items"][1]["status"] == "paused"
    assert web_session.post(f"{url}/2/pause", headers=power).status_code == 409
    assert web_session.post(f"{url}/2/resume", headers=power).status_code == 200

    replied = web_session.post(f"{url}/1/reply", headers=land, json=reply_body(1, LAND))
    assert replied.status_code == 200, replied.text
    again = web_session.post(f"{url}/1/reply", headers=land, json=reply_body(1, LAND, "再"))
    assert again.status_code == 409
    # The same reference number twice in a year from one department: 409, nothing written.
    reused = web_session.post(f"{url}/2/reply", headers=power, json=reply_body(2, POWER))
    assert reused.status_code == 200
    outbox_before = mongo[f"{db_prefix}policy"].outbox.count_documents({})
    duplicate = web_session.post(f"{url}/3/reply", headers=admin, json=reply_body(2, "县商务局")
                                 | {"reference_no": reply_body(2, POWER)["reference_no"]})
    assert duplicate.status_code == 200  # another department may use the same number
    dup_power = web_session.post("/api/v1/policy-requests/" + submit(
        web_session, admin, lead, 2).json()["id"] + "/items/2/reply", headers=power,
        json=reply_body(2, POWER))
    assert dup_power.status_code == 409
    assert mongo[f"{db_prefix}policy"].outbox.count_documents({}) == outbox_before + 2

    closed = web_session.post(f"{url}/4/reply", headers=admin, json=reply_body(4, "县行政审批局"))
    assert closed.json()["status"] == "closed"
    wait_until(lambda: web_session.get(f"/api/v1/policy-requests/{rid}", headers=admin).json()
               ["sla"]["state"] == "met", reason="the request's clock to be met")
    # The list's sla_state follows the sla service's events: it settles a moment later.
    listed = wait_until(
        lambda: (page := web_session.get("/api/v1/policy-requests?sla_state=met",
                                         headers=admin).json())["items"] and page,
        reason="the request in the list of met ones")
    assert [r["id"] for r in listed["items"]] == [rid]

    letter = web_session.get(f"/api/v1/policy-requests/{rid}/letter.pdf", headers=admin)
    assert letter.headers["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(letter.content)).pages)
    assert "关于捷泰新能源科技有限公司政策和要素保障诉求的答复函" in text
    assert "关于879亩用地和双回路供电的第1项诉求" in text and "第4项已研究同意" in text
    assert "涟函〔2026〕1号" in text and LAND in text and "（盖章）" in text

    report = web_session.get("/api/v1/sla/report", headers=admin).json()
    assert report["overall"]["met"] == 1
    assert {d["department"] for d in report["departments"]} >= {LAND, POWER}


def test_a_team_member_of_another_team_and_a_branch_member_see_nothing(
        web_session, admin, lead):
    rid = submit(web_session, admin, lead).json()["id"]
    web_session.post("/api/v1/users", headers=admin, json={
        "username": "liquor1", "password": "liquor-password", "display_name": "食品酒类组",
        "role": "team_member", "team_id": "food-liquor"})
    other = login(web_session, "liquor1", "liquor-password")
    assert web_session.get(f"/api/v1/policy-requests/{rid}", headers=other).status_code == 404
    assert web_session.get("/api/v1/policy-requests", headers=other).json()["total"] == 0
    assert web_session.get(f"/api/v1/policy-requests/{rid}/letter.pdf",
                           headers=other).status_code == 404
