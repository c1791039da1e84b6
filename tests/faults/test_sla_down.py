"""The `sla` service down across a deadline: exactly one alert after it returns.

Jietai's policy requests: the first was received 40 hours ago, so its 48-hour clock has passed
75% and warned once. Then the sla service is killed (SIGKILL) and the clock of every service
moves on ten hours: the first request's deadline passes while nobody watches it, and a second
request, received 49 hours before the new now, comes in while sla is down (its event waits in
sla's queue). Nothing may fire while sla is down; restarted, it must catch up with exactly one
breach per request (not the 90% warnings it slept through) and the notifier must raise exactly
one breach alert each, however many scans follow.
"""
from __future__ import annotations

import signal
import time
from datetime import timedelta

from tests.faults.load import lead_body
from tests.waiting import wait_until

SCAN_SECONDS = 1.0  # KUAIBAN_SLA_SCAN_SECONDS in tests/faults/conftest.py
MOVED = timedelta(hours=10)


def alerts(mongo, kind: str, request_id: str) -> int:
    return mongo.kuaiban_notifier.notifications.count_documents(
        {"kind": kind, "data.subject_id": request_id})


def breach_events(mongo, request_id: str) -> int:
    return mongo.kuaiban_sla.outbox.count_documents(
        {"type": "sla_breached", "payload.data.subject_id": request_id})


def submit(platform, lead_id: str, hours_ago: float) -> str:
    received_at = platform.clock.now() - timedelta(hours=hours_ago)
    answer = platform.api.request("POST", "/api/v1/policy-requests", {
        "lead_id": lead_id, "enterprise": "捷泰新能源科技有限公司",
        "received_at": received_at.isoformat(),
        "items": [{"topic": "用地指标", "category": "land", "text": "879亩用地指标"},
                  {"topic": "双回路供电", "category": "power", "text": "双回路供电接入"}]})
    assert answer.status == 201, answer
    return answer.body["id"]


def test_the_sla_service_down_across_a_deadline_alerts_exactly_once(whole, mongo, report):
    platform, api = whole, whole.api
    answer = api.request("POST", "/api/v1/leads", lead_body("捷泰新能源-要素保障"))
    assert answer.status == 201, answer
    lead_id = answer.body["id"]
    wait_until(lambda: api.request("GET", f"/api/v1/leads/{lead_id}").body.get("team_id"),
               reason="the lead assigned to a team")
    watched = submit(platform, lead_id, hours_ago=40)
    wait_until(lambda: alerts(mongo, "sla_warning", watched) == 1, reason="the 75% warning")

    try:
        exit_code = platform.kill("sla", signal.SIGKILL)
        platform.clock.move_to(platform.clock.now() + MOVED)  # 50 h: past the deadline
        api.login()  # ten hours on, the first token has expired
        unwatched = submit(platform, lead_id, hours_ago=49)  # its event waits for sla
        time.sleep(5 * SCAN_SECONDS)  # the outage: five scans' time with nobody to scan
        while_down = alerts(mongo, "sla_breached", watched) + alerts(
            mongo, "sla_breached", unwatched)
        restart_s = platform.restart("sla")
        for request_id in (watched, unwatched):
            wait_until(lambda: alerts(mongo, "sla_breached", request_id) >= 1,
                       reason="a breach alert after sla's return")
        # A wrong second firing would come from the scans after the return; a batch received
        # now, breached on receipt, is breached by a later scan: once its alert is there, so
        # would that second firing be.
        later = submit(platform, lead_id, hours_ago=49)
        wait_until(lambda: alerts(mongo, "sla_breached", later) >= 1,
                   reason="a later batch's breach alert")
        found = {rid: {"breach_alerts": alerts(mongo, "sla_breached", rid),
                       "breach_events": breach_events(mongo, rid),
                       "warning_alerts": alerts(mongo, "sla_warning", rid),
                       "state": api.request("GET", f"/api/v1/policy-requests/{rid}"
                                            ).body["sla"]["state"]}
                 for rid in (watched, unwatched)}
    finally:
        platform.clock.move_to(platform.clock.now() - MOVED)

    breaches = [f["breach_alerts"] for f in found.values()]
    report(sent=2, exit_code=exit_code, restart_s=round(restart_s, 1),
           breach_alerts_while_down=while_down, breach_alerts=sum(breaches),
           breach_events=sum(f["breach_events"] for f in found.values()),
           warning_alerts=sum(f["warning_alerts"] for f in found.values()),
           duplicates=sum(max(0, n - 1) for n in breaches),
           lost=sum(1 for n in breaches if n == 0))

    assert exit_code == -signal.SIGKILL
    assert while_down == 0
    for f in found.values():
        assert f["breach_alerts"] == 1 and f["breach_events"] == 1 and f["state"] == "breached"
    assert found[watched]["warning_alerts"] == 1  # the 75% one, sent before the outage
    assert found[unwatched]["warning_alerts"] == 0  # 90% slept through is not sent late
