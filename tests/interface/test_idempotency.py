"""Idempotency-Key on POST: a retried request returns the first answer and creates nothing more,
also when the first answer was never recorded (503 after the service stored the change, or a
gateway that died in between), and a key reused with another body is a Chinese 422."""
from datetime import timedelta

import pytest

from services.branches.service import BranchesService
from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from shared.clock import utcnow
from tests.interface.helpers import login, user

LEAD = {"title": "幂等测试光伏组件项目", "company": {"name": "幂等测试新能源有限公司"},
        "industry": "光伏组件", "investment_cny": 300_000_000}
TRIP = {"destination": "杭州", "start_date": "2026-11-02", "end_date": "2026-11-04"}
VISIT = {"company": "杭州某智能装备有限公司", "visited_at": "2026-11-02T10:00:00+08:00"}


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, LeadsService,
                            BranchesService)
    runner.start()
    return runner


@pytest.fixture
def admin(gateway, web_session):
    return login(web_session, "admin", "admin-password-for-tests")


@pytest.fixture
def dbs(mongo, db_prefix):
    return {name: mongo[f"{db_prefix}{name}"] for name in ("gateway", "leads", "branches")}


def post(web_session, path, body, headers, key):
    return web_session.post(path, json=body, headers={**headers, "Idempotency-Key": key})


def test_the_same_key_and_body_get_the_first_answer_and_create_one_lead(web_session, admin, dbs):
    first = post(web_session, "/api/v1/leads", LEAD, admin, "lead-0001")
    again = post(web_session, "/api/v1/leads", dict(reversed(LEAD.items())), admin, "lead-0001")
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert dbs["leads"].leads.count_documents({}) == 1
    assert dbs["gateway"].audit.count_documents({"route": "/api/v1/leads"}) == 1
    # Another caller's key of the same name is another request.
    other = user(web_session, admin, "zhao", "team_member", team_id="new-energy")
    theirs = post(web_session, "/api/v1/leads", LEAD | {"title": "另一个项目"}, other, "lead-0001")
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # Kept 24 hours, by a TTL index.
    expiry = dbs["gateway"].idempotency_keys.index_information()["expiry"]
    assert expiry["expireAfterSeconds"] == 86400 and expiry["key"] == [("created_at", 1)]


def test_a_retry_whose_first_answer_was_lost_finds_the_lead_stored(web_session, admin, dbs):
    first = post(web_session, "/api/v1/leads", LEAD, admin, "lost-answer")
    assert first.status_code == 201
    # The first try stored the lead but answered 503 (the broker went away meanwhile): the
    # gateway keeps no answer and marks the key retryable.
    dbs["gateway"].idempotency_keys.update_many({}, {"$set": {"state": "retryable"},
                                                     "$unset": {"status": 1, "body": 1}})
    retried = post(web_session, "/api/v1/leads", LEAD, admin, "lost-answer")
    assert retried.status_code == 201, retried.text
    assert retried.json()["id"] == first.json()["id"]
    assert dbs["leads"].leads.count_documents({}) == 1
    assert dbs["leads"].outbox.count_documents({"type": "lead_created"}) == 1


def test_a_request_in_progress_is_409_and_a_dead_gateways_claim_is_taken_over(
        web_session, admin, dbs):
    first = post(web_session, "/api/v1/leads", LEAD, admin, "in-flight")
    keys = dbs["gateway"].idempotency_keys
    # As if another replica were still working on it:
    keys.update_one({}, {"$set": {"state": "in_progress", "claimed_at": utcnow()}})
    busy = post(web_session, "/api/v1/leads", LEAD, admin, "in-flight")
    assert busy.status_code == 409
    assert busy.json()["detail"] == "同一 Idempotency-Key 的请求仍在处理中，请稍后重试"
    # As a replica that died after the service stored the lead left it:
    keys.update_one({}, {"$set": {"claimed_at": utcnow() - timedelta(seconds=20)}})
    taken_over = post(web_session, "/api/v1/leads", LEAD, admin, "in-flight")
    assert taken_over.status_code == 201 and taken_over.json()["id"] == first.json()["id"]
    assert dbs["leads"].leads.count_documents({}) == 1
    assert keys.find_one()["state"] == "answered"


def test_the_same_key_with_another_body_or_a_long_key_is_422_and_changes_nothing(
        web_session, admin, dbs):
    assert post(web_session, "/api/v1/leads", LEAD, admin, "k-1").status_code == 201
    reused = post(web_session, "/api/v1/leads", LEAD | {"investment_cny": 1}, admin, "k-1")
    assert reused.status_code == 422
    assert reused.headers["Content-Type"].startswith("application/problem+json")
    message = "请求头 Idempotency-Key：这个键已用于另一个请求（请求体或路径不同）；新的请求请换一个键"
    assert reused.json()["detail"] == message
    assert reused.json()["errors"] == [{"loc": ["header", "Idempotency-Key"], "msg": message}]

    too_long = post(web_session, "/api/v1/leads", LEAD | {"title": "新项目"}, admin, "k" * 201)
    assert too_long.status_code == 422
    assert too_long.json()["errors"] == [{"loc": ["header", "Idempotency-Key"],
                                          "msg": "请求头 Idempotency-Key：最多 200 个字符（收到 201 个）"}]
    longest = post(web_session, "/api/v1/leads", LEAD | {"title": "新项目"}, admin, "k" * 200)
    assert longest.status_code == 201
    assert dbs["leads"].leads.count_documents({}) == 2


def test_a_key_older_than_a_day_is_a_new_request(web_session, admin, dbs):
    assert post(web_session, "/api/v1/leads", LEAD, admin, "old").status_code == 201
    dbs["gateway"].idempotency_keys.update_one(
        {}, {"$set": {"created_at": utcnow() - timedelta(hours=25)}})
    later = post(web_session, "/api/v1/leads", LEAD | {"title": "第二天的项目"}, admin, "old")
    assert later.status_code == 201 and later.json()["title"] == "第二天的项目"


def test_a_phone_that_resends_a_visit_logs_it_once(web_session, admin, dbs):
    member = user(web_session, admin, "zj.yang", "branch_member", branch_id="zhejiang")
    trip = post(web_session, "/api/v1/branches/zhejiang/trips", TRIP, member, "trip-1")
    assert post(web_session, "/api/v1/branches/zhejiang/trips", TRIP, member,
                "trip-1").json() == trip.json()
    path = f"/api/v1/trips/{trip.json()['id']}/visits"
    sent = post(web_session, path, VISIT, member, "visit-7f3a")
    assert sent.status_code == 201, sent.text
    resent = post(web_session, path, VISIT, member, "visit-7f3a")  # the answer was recorded
    dbs["gateway"].idempotency_keys.update_many(  # and when it was lost on the way (503)
        {}, {"$set": {"state": "retryable"}, "$unset": {"status": 1, "body": 1}})
    lost = post(web_session, path, VISIT, member, "visit-7f3a")
    assert resent.status_code == lost.status_code == 201
    assert resent.json()["id"] == lost.json()["id"] == sent.json()["id"]
    assert dbs["branches"].visits.count_documents({}) == 1
    assert dbs["branches"].trips.count_documents({}) == 1


def test_the_openapi_document_offers_the_key_on_every_post(web_session, gateway):
    document = web_session.get("/openapi.json").json()
    posts = {path: ops["post"] for path, ops in document["paths"].items() if "post" in ops}
    assert "/api/v1/leads" in posts and "/api/v1/trips/{trip_id}/visits" in posts
    for path, op in posts.items():
        headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        assert headers == ([] if path == "/api/v1/auth/token" else ["Idempotency-Key"]), path
