"""A crash between the database write and the publish: the event still arrives.

The leads service is restarted with the fault-injection setting KUAIBAN_FAULT_CRASH_AFTER_COMMIT
(off by default): the worker that stores a lead with its `lead_created` event ends the process
at once, before publishing. The caller gets a 503 within 5 s (its answer never comes); the
lead is stored with its event in the outbox. Restarted normally, the leads service's relay
sends the event, and every consumer applies it once. The interrupted request, delivered to the
restarted service again, is refused rather than run a second time: one lead, not two.
"""
from __future__ import annotations

import signal

from shared.storage import CRASH_EXIT_STATUS
from tests.faults import ledger
from tests.faults.load import lead_body

PREFIX = "落库即崩-"


def test_a_crash_after_the_commit_still_delivers_the_event(whole, mongo, report):
    platform = whole
    platform.kill("leads", signal.SIGTERM)
    platform.restart("leads", KUAIBAN_FAULT_CRASH_AFTER_COMMIT="lead_created")

    title = f"{PREFIX}00001"
    answer = platform.api.request("POST", "/api/v1/leads", lead_body(title))
    exit_code = platform.processes["leads"].wait(30)
    stored_before_restart = len(ledger.leads_titled(mongo, PREFIX))
    unsent_before_restart = mongo.kuaiban_leads.outbox.count_documents(
        {"type": "lead_created", "sent_at": None, "payload.data.title": title})
    restart_s = platform.restart("leads")
    unapplied = ledger.wait_applied(mongo, PREFIX, within=30)
    figures = ledger.tally(mongo, PREFIX, [])
    report(sent=1, accepted=int(200 <= answer.status < 300), status=answer.status,
           answer_s=round(answer.seconds, 2), exit_code=exit_code,
           unsent_at_crash=unsent_before_restart, restart_s=round(restart_s, 1), **figures)

    assert answer.status == 503 and answer.seconds <= 5 and answer.headers.get("Retry-After")
    assert exit_code == CRASH_EXIT_STATUS  # it did crash, after the commit
    assert stored_before_restart == 1 and unsent_before_restart == 1
    assert not unapplied, unapplied
    assert figures["stored"] == 1 and figures["duplicates"] == 0 and figures["lost"] == 0
    assert mongo.kuaiban_leads.outbox.count_documents(
        {"type": "lead_created", "sent_at": None, "payload.data.title": title}) == 0
