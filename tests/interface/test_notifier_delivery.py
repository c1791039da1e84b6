"""The notifier on the broker: alerts reach the inbox, a real local webhook receiver and a real
local SMTP server; a failed webhook is retried with backoff. Time moves with SettableClock.

WebhookReceiver and SmtpReceiver are small real servers on 127.0.0.1 (the e2e test uses them too).
"""
import hashlib
import hmac
import json
import socket
import threading
import uuid
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import eventlet
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.notifier.service import NotifierService
from shared.clock import SettableClock
from shared.errors import NotFound
from shared.events import (
    ClockContext, LeadAssigned, LeadUnrouted, SlaBreached, SlaWarning, TripDayUnreported,
    make_event,
)

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
SECRET = "webhook-secret-for-tests"
LAND = "县自然资源和规划局"


class WebhookReceiver:
    """An HTTP server that records each POST; `fail_next` answers that many with 500 first."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(500)
                else:
                    receiver.received.append({"headers": dict(self.headers), "body": body})
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kuaiban"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def payloads(self, secret: str = SECRET) -> list[dict]:
        """The bodies whose HMAC-SHA256 signature checks out."""
        good = []
        for hit in self.received:
            expected = "sha256=" + hmac.new(secret.encode(), hit["body"], hashlib.sha256).hexdigest()
            if hmac.compare_digest(hit["headers"].get("X-Kuaiban-Signature", ""), expected):
                good.append(json.loads(hit["body"]))
        return good

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """A minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)."""

    def __init__(self):
        self.messages: list[dict] = []
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = eventlet.spawn(self.serve)

    def serve(self):
        while True:
            conn, _ = self.listener.accept()
            eventlet.spawn(self.session, conn)

    def session(self, conn: socket.socket):
        stream = conn.makefile("rwb")

        def say(line: str):
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        say("220 kuaiban-test ESMTP")
        envelope = {"from": None, "to": []}
        while (line := stream.readline()):
            verb = line.decode("utf-8", "replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                say("250-kuaiban-test")
                say("250 8BITMIME")
            elif verb in ("HELO", "NOOP"):
                say("250 OK")
            elif verb == "MAIL":
                envelope = {"from": line.decode().split(":", 1)[1].strip(), "to": []}
                say("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(line.decode().split(":", 1)[1].strip().strip("<>"))
                say("250 OK")
            elif verb == "DATA":
                say("354 end with <CRLF>.<CRLF>")
                data = []
                while (part := stream.readline()) not in (b".\r\n", b""):
                    data.append(part[1:] if part.startswith(b"..") else part)
                self.messages.append({**envelope, "message": message_from_bytes(b"".join(data))})
                say("250 queued")
            elif verb == "RSET":
                envelope = {"from": None, "to": []}
                say("250 OK")
            elif verb == "QUIT":
                say("221 bye")
                break
            else:
                say("502 not implemented")
        conn.close()

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["message"]["Subject"]))) for m in self.messages]

    def close(self):
        self.thread.kill()
        self.listener.close()


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp():
    receiver = SmtpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def clock():
    return SettableClock(NOW)


@pytest.fixture
def notifier(config, container_factory, webhook, smtp, clock):
    container = container_factory(NotifierService, {
        **config, "WEBHOOK_URLS": webhook.url, "WEBHOOK_SECRET": SECRET,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_TO": "zhaoshang@county.example",
        "EMAIL_ROUTES": "role:inspector=ducha@county.example",
        "DELIVERY_SECONDS": 3600, "DELIVERY_RETRY_BASE_SECONDS": 30,
    })
    replace_dependencies(container, clock=clock)
    container.start()
    return container


def context(**extra):
    return ClockContext(title="捷泰新能源科技有限公司：高效太阳能电池片项目（16项诉求）",
                        lead_id="lead-1", departments=[LAND], team_id="new-energy",
                        project_lead="wangxm", **extra)


def warning(threshold, notify):
    return SlaWarning(clock_id="policy_reply:r1", kind="policy_reply", label_zh="政策和要素保障诉求48小时答复",
                      subject_id="r1", threshold=threshold, elapsed_pct=97.9,
                      started_at=NOW - timedelta(hours=47), due_at=NOW + timedelta(hours=1),
                      notify=notify, context=context())


def dispatch(container, config, source, data, handler):
    event = make_event(source, data, NOW)
    with entrypoint_waiter(container, handler, timeout=10):
        event_dispatcher(config)(source, event.type, event.model_dump(mode="json"))
    return event


def inbox(config, *addresses, username="someone"):
    with ServiceRpcProxy("notifier", config) as notifier:
        return notifier.inbox({"addresses": list(addresses), "username": username})


def test_the_90_percent_warning_reaches_the_inbox_the_webhook_and_the_mailbox(
        notifier, config, webhook, smtp):
    dispatch(notifier, config, "sla", warning(90, ["team_leader", "project_lead"]), "sla_warning")

    leader = inbox(config, "user:chen", "role:leader", "team-leader:new-energy")
    assert leader["total"] == 1 and leader["unread"] == 1
    note = leader["items"][0]
    assert note["title"].startswith("【预警】政策和要素保障诉求48小时答复已用时90%")
    assert set(note["recipients"]) == {"team-leader:new-energy", "user:wangxm"}
    assert inbox(config, f"department:{LAND}")["total"] == 0  # 90% climbs past the department

    [payload] = webhook.payloads()
    assert payload["kind"] == "sla_warning" and payload["data"]["threshold"] == 90
    assert payload["title"] == note["title"]
    [mail] = smtp.messages
    assert mail["to"] == ["zhaoshang@county.example"]
    assert smtp.subjects() == [note["title"]]


def test_the_breach_goes_to_the_supervision_office_and_its_routed_mailbox(
        notifier, config, smtp):
    breach = SlaBreached(clock_id="policy_reply:r2", kind="policy_reply", label_zh="政策和要素保障诉求48小时答复",
                         subject_id="r2", elapsed_pct=102.1, started_at=NOW - timedelta(hours=49),
                         due_at=NOW - timedelta(hours=1), notify=["supervision"], context=context())
    dispatch(notifier, config, "sla", breach, "sla_breached")
    office = inbox(config, "user:ducha1", "role:inspector")
    assert office["total"] == 1 and office["items"][0]["title"].startswith("【超时】")
    assert sorted(smtp.messages[0]["to"]) == ["ducha@county.example", "zhaoshang@county.example"]


def test_a_webhook_that_fails_is_retried_with_backoff_until_it_answers(
        notifier, config, webhook, clock, mongo, db_prefix):
    webhook.fail_next = 2
    dispatch(notifier, config, "sla", warning(50, ["department"]), "sla_warning")
    deliveries = mongo[f"{db_prefix}notifier"].deliveries
    hook = deliveries.find_one({"channel": "webhook"})
    assert hook["status"] == "pending" and hook["attempts"] == 1
    assert hook["next_attempt_at"] == NOW + timedelta(seconds=30)

    clock.advance(seconds=29)  # not yet due: nothing is tried
    with entrypoint_hook(notifier, "retry_deliveries") as retry:
        assert retry() == 0
    assert deliveries.find_one({"channel": "webhook"})["attempts"] == 1

    clock.advance(seconds=1)
    with entrypoint_hook(notifier, "retry_deliveries") as retry:
        retry()
    hook = deliveries.find_one({"channel": "webhook"})
    assert hook["attempts"] == 2 and hook["next_attempt_at"] == clock.now() + timedelta(seconds=60)

    clock.advance(seconds=60)
    with entrypoint_hook(notifier, "retry_deliveries") as retry:
        assert retry() == 1
    assert deliveries.find_one({"channel": "webhook"})["status"] == "sent"
    assert len(webhook.payloads()) == 1


def test_a_redelivered_event_makes_one_notification(notifier, config, webhook, smtp):
    event = make_event("sla", warning(75, ["department"]), NOW).model_dump(mode="json")
    for _ in range(3):
        with entrypoint_waiter(notifier, "sla_warning", timeout=10):
            event_dispatcher(config)("sla", "sla_warning", event)
    assert inbox(config, f"department:{LAND}")["total"] == 1
    assert len(webhook.payloads()) == 1 and len(smtp.messages) == 1


def test_a_major_lead_a_lead_in_triage_and_a_silent_trip_day_are_announced(notifier, config):
    assigned = dict(lead_id=uuid.uuid4().hex, title="巨石集团零碳智能制造基地", team_id="new-materials",
                    team_name="新材料产业专业招商协作组", county_leader="张县长",
                    matched_keyword="玻璃纤维")
    for major in (True, False):  # only the major one rides the green channel
        dispatch(notifier, config, "teams", LeadAssigned(**assigned, major=major),
                 "major_lead_assigned")
    green = inbox(config, "team:new-materials")
    assert green["total"] == 1 and "重大项目" in green["items"][0]["title"]
    assert inbox(config, "team-leader:new-materials")["total"] == 1

    dispatch(notifier, config, "teams",
             LeadUnrouted(lead_id="l2", title="宠物用品产业园", industry="宠物用品"), "lead_in_triage")
    assert "待分派" in inbox(config, "role:admin")["items"][0]["title"]

    dispatch(notifier, config, "branches", TripDayUnreported(
        branch_id="yangtze-delta", trip_id="t1", day=date(2026, 11, 19), destination="苏州",
        secretary="liu"), "trip_day_unreported")
    assert inbox(config, "user:liu")["total"] == 1
    assert inbox(config, "branch:yangtze-delta")["items"][0]["title"].startswith("2026-11-19")


def test_marking_read_is_per_reader_and_another_users_notification_is_404(notifier, config):
    dispatch(notifier, config, "sla", warning(50, ["department"]), "sla_warning")
    me = {"addresses": [f"department:{LAND}", "user:zrj1"], "username": "zrj1"}
    note_id = inbox(config, *me["addresses"], username="zrj1")["items"][0]["id"]
    with ServiceRpcProxy("notifier", config) as notifier_rpc:
        assert notifier_rpc.mark_read(note_id, me)["read"] is True
        with pytest.raises(NotFound):
            notifier_rpc.mark_read(note_id, {"addresses": ["user:other"], "username": "other"})
    assert inbox(config, *me["addresses"], username="zrj1")["unread"] == 0
    assert inbox(config, f"department:{LAND}", username="zrj2")["unread"] == 1
