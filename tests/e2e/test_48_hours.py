"""The 48-hour promise end to end: the launcher's whole platform, a real webhook receiver and a
real SMTP server on this machine, time moved through the shared clock offset file.

16 requests received 47 hours ago: the 90% warning fires once and reaches the county leader's
inbox, the webhook and the mailbox; all 16 stamped replies close the request as `met`. Another
batch received 49 hours ago is `breached` exactly once, also after the clock moves on.
"""
from datetime import datetime, timedelta, timezone

import pytest

from shared.embedded_db import free_port
from tests.e2e.conftest import Launched
from tests.interface.test_notifier_delivery import SmtpReceiver, WebhookReceiver
from tests.waiting import wait_until

SECRET = "e2e-webhook-secret"
CATEGORIES = ["land", "power", "water", "gas", "environment", "permit", "finance", "talent",
              "policy", "other", "land", "power", "permit", "environment", "finance", "policy"]


@pytest.fixture(scope="module")
def receivers():
    webhook, smtp = WebhookReceiver(), SmtpReceiver()
    yield webhook, smtp
    webhook.close()
    smtp.close()


@pytest.fixture(scope="module")
def platform(tmp_path_factory, e2e_vhost_uri, receivers):
    """The platform with alerts configured through the environment the launcher passes on."""
    webhook, smtp = receivers
    settings = {
        "KUAIBAN_WEBHOOK_URLS": webhook.url, "KUAIBAN_WEBHOOK_SECRET": SECRET,
        "KUAIBAN_SMTP_HOST": "127.0.0.1", "KUAIBAN_SMTP_PORT": str(smtp.port),
        "KUAIBAN_SMTP_TO": "zhaoshang@county.example",
        "KUAIBAN_SLA_SCAN_SECONDS": "0.3", "KUAIBAN_DELIVERY_SECONDS": "1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in settings.items():
            patch.setenv(key, value)
        launched = Launched(tmp_path_factory.mktemp("run48") / "data", e2e_vhost_uri,
                            free_port())
        launched.start()
    yield launched
    if launched.process.poll() is None:
        launched.interrupt()


def login(platform, username, password, role, **scope):
    status, body = platform.request("POST", "/api/v1/users", {
        "username": username, "password": password, "display_name": username, "role": role,
        **scope})
    assert status == 201, body
    status, token = platform.request("POST", "/api/v1/auth/token",
                                     {"username": username, "password": password}, token=None)
    assert status == 200, token
    return token["access_token"]


def inbox(platform, token, kind, subject_id):
    status, page = platform.request("GET", "/api/v1/notifications?page_size=200", token=token)
    assert status == 200, page
    return [n for n in page["items"]
            if n["kind"] == kind and n["data"]["subject_id"] == subject_id]


@pytest.fixture(scope="module")
def solar_lead(platform):
    status, lead = platform.request("POST", "/api/v1/leads", {
        "title": "高效太阳能电池片二期", "company": {"name": "捷泰新能源科技有限公司"},
        "industry": "太阳能电池", "investment_cny": 13_000_000_000})
    assert status == 201, lead
    wait_until(lambda: platform.request("GET", f"/api/v1/leads/{lead['id']}")[1]["team_id"],
               reason="the lead's team")
    return lead


def submit(platform, lead, hours_ago, count=16):
    received_at = platform.clock.now() - timedelta(hours=hours_ago)
    status, request = platform.request("POST", "/api/v1/policy-requests", {
        "lead_id": lead["id"], "enterprise": "捷泰新能源科技有限公司",
        "received_at": received_at.isoformat(),
        "items": [{"topic": f"第{n}项诉求", "category": CATEGORIES[n - 1],
                   "text": f"企业提出的第{n}项政策和要素保障诉求"} for n in range(1, count + 1)],
    })
    assert status == 201, request
    return request


def test_16_requests_received_47_hours_ago_warn_once_at_90_and_close_as_met(
        platform, receivers, solar_lead):
    webhook, smtp = receivers
    leader = login(platform, "newenergy-leader", "leader-password", "leader",
                   team_id="new-energy")
    request = submit(platform, solar_lead, hours_ago=47)
    assert len(request["items"]) == 16 and request["team_id"] == "new-energy"
    rid = request["id"]

    # The 90% warning reaches the county leader's inbox, the webhook and the mailbox.
    [alert] = wait_until(lambda: inbox(platform, leader, "sla_warning", rid),
                         reason="the 90% warning in the county leader's inbox")
    assert alert["data"]["threshold"] == 90 and "已用时90%" in alert["title"]
    hooked = wait_until(lambda: [p for p in webhook.payloads(SECRET)
                                 if p["data"].get("subject_id") == rid], reason="the webhook call")
    mailed = wait_until(lambda: [s for s in smtp.subjects() if alert["title"] == s],
                        reason="the e-mail")
    assert [p["data"]["threshold"] for p in hooked] == [90]
    assert len(mailed) == 1

    status, view = platform.request("GET", f"/api/v1/policy-requests/{rid}")
    assert view["sla"]["state"] == "warning" and view["sla"]["elapsed_pct"] > 97

    for item in request["items"]:
        status, after = platform.request(
            "POST", f"/api/v1/policy-requests/{rid}/items/{item['n']}/reply", {
                "text": f"经专题研究会商，第{item['n']}项诉求予以支持。",
                "department": item["department"], "signer": "县政府办公室",
                "reference_no": f"涟政函〔2026〕{item['n']}号"})
        assert status == 200, after
    assert after["status"] == "closed"
    view = wait_until(lambda: (v := platform.request("GET", f"/api/v1/policy-requests/{rid}")[1])
                      ["sla"]["state"] == "met" and v, reason="the request's clock to be met")
    assert view["sla"]["elapsed_pct"] < 100
    # Still exactly one warning of any kind for this request, in every channel.
    assert len(inbox(platform, leader, "sla_warning", rid)) == 1
    assert len([p for p in webhook.payloads(SECRET) if p["data"].get("subject_id") == rid]) == 1


def test_a_batch_received_49_hours_ago_is_breached_exactly_once(platform, receivers, solar_lead):
    webhook, _ = receivers
    inspector = login(platform, "ducha", "inspector-password", "inspector")
    rid = submit(platform, solar_lead, hours_ago=49, count=2)["id"]

    wait_until(lambda: inbox(platform, inspector, "sla_breached", rid),
               reason="the breach in the inspector's inbox")
    status, view = platform.request("GET", f"/api/v1/policy-requests/{rid}")
    assert view["sla"]["state"] == "breached"

    # Two more days pass on every service's clock: nothing fires a second time.
    platform.clock.move_to(datetime.now(timezone.utc) + timedelta(days=2))
    status, clocks = platform.request("GET", "/api/v1/sla/clocks?state=breached")
    assert rid in [c["subject_id"] for c in clocks["items"]]
    # A wrong second firing would come from the first scans after the move. Two later batches,
    # each breached on receipt, are breached by scans after those: once both are in the inbox,
    # that second firing would have been too.
    for _ in range(2):
        later = submit(platform, solar_lead, hours_ago=49, count=1)["id"]
        wait_until(lambda: inbox(platform, inspector, "sla_breached", later),
                   reason="a later batch's breach in the inspector's inbox")
    assert len(inbox(platform, inspector, "sla_breached", rid)) == 1
    assert len([p for p in webhook.payloads(SECRET) if p["data"].get("subject_id") == rid
                and p["kind"] == "sla_breached"]) == 1
    assert inbox(platform, inspector, "sla_warning", rid) == []  # 90% was passed, not fired
