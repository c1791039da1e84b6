"""The `sla` service down across a deadline: exactly one alert after it returns.

Jietai's two policy requests were received 40 hours ago: the 48-hour clock has passed 75% and
warned once. Then the sla service is killed (SIGKILL) and the clock of every service moves on
ten hours: the deadline passes while nobody watches it. Nothing may fire while sla is down;
restarted, it must catch up with exactly one breach (not the 90% warning it slept through as
well) and the notifier must raise exactly one breach alert, however many scans follow.
"""
from __future__ import annotations

import signal
import time
from datetime import timedelta

from tests.faults.harness import eventually
from tests.faults.load import lead_body

SCAN_SECONDS = 1.0  # KUAIBAN_SLA_SCAN_SECONDS in tests/faults/conftest.py


def alerts(mongo, kind: str, request_id: str) -> int:
    return mongo.kuaiban_notifier.notifications.count_documents(
        {"kind": kind, "data.subject_id": request_id})


def test_the_sla_service_down_across_a_deadline_alerts_exactly_once(whole, mongo, report):
    platform, api = whole, whole.api
    answer = api.request("POST", "/api/v1/leads", lead_body("捷泰新能源-要素保障"))
    assert answer.status == 201, answer
    lead_id = answer.body["id"]
    eventually(lambda: api.request("GET", f"/api/v1/leads/{lead_id}").body.get("team_id"),
               within=30, what="the lead assigned to a team")
    received_at = platform.clock.now() - timedelta(hours=40)
    answer = api.request("POST", "/api/v1/policy-requests", {
        "lead_id": lead_id, "enterprise": "捷泰新能源科技有限公司",
        "received_at": received_at.isoformat(),
        "items": [{"topic": "用地指标", "category": "land", "text": "879亩用地指标"},
                  {"topic": "双回路供电", "category": "power", "text": "双回路供电接入"}]})
    assert answer.status == 201, answer
    request_id = answer.body["id"]
    eventually(lambda: alerts(mongo, "sla_warning", request_id) == 1, within=30,
               what="the 75% warning")

    try:
        exit_code = platform.kill("sla", signal.SIGKILL)
        platform.clock.move_to(platform.clock.now() + timedelta(hours=10))  # 50 h: breached
        time.sleep(5 * SCAN_SECONDS)  # five scans' time with nobody to scan
        breaches_while_down = alerts(mongo, "sla_breached", request_id)
        restart_s = platform.restart("sla")
        eventually(lambda: alerts(mongo, "sla_breached", request_id) >= 1, within=30,
                   what="the breach alert after sla's return")
        time.sleep(5 * SCAN_SECONDS)  # five more scans: time for a wrong second firing
        breach_alerts = alerts(mongo, "sla_breached", request_id)
        warning_alerts = alerts(mongo, "sla_warning", request_id)
        breach_events = mongo.kuaiban_sla.outbox.count_documents(
            {"type": "sla_breached", "payload.data.subject_id": request_id})
        api.login()  # ten hours on, the first token has expired
        state = api.request("GET", f"/api/v1/policy-requests/{request_id}").body["sla"]["state"]
    finally:
        platform.clock.move_to(platform.clock.now() - timedelta(hours=10))

    report(sent=1, exit_code=exit_code, restart_s=round(restart_s, 1),
           breach_alerts_while_down=breaches_while_down, breach_events=breach_events,
           breach_alerts=breach_alerts, warning_alerts=warning_alerts, request_state=state,
           duplicates=max(0, breach_alerts - 1) + max(0, breach_events - 1),
           lost=int(breach_alerts == 0))

    assert exit_code == -signal.SIGKILL
    assert breaches_while_down == 0
    assert breach_events == 1 and breach_alerts == 1
    assert warning_alerts == 1  # the 75% one; the 90% it slept through is not sent late
    assert state == "breached"
