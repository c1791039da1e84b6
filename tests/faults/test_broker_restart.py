"""The broker restarted under steady HTTP load: nothing accepted is lost or done twice.

Four clients keep taking in leads through the gateway while the private RabbitMQ node is stopped
and started again. Every 201 must have exactly one lead document and exactly one effect in each
consumer (teams, leads, notifier, branches); every failure must be a 503 (or a 409 while the first try of a key still runs) with Retry-After,
answered within 5 s; the platform must take leads in again within 15 s of the broker's return,
with no service restarted. The clients send each lead with an Idempotency-Key and repeat it after
a 503, as the API asks: a 503 whose lead had been stored before the answer was lost must not
become a second lead on the retry, so every title sent is stored exactly once.
"""
from __future__ import annotations

import time
from collections import Counter

from tests.faults import ledger
from tests.waiting import wait_until
from tests.faults.load import Load

PREFIX = "断网重连-"
PROMISED_SECONDS = 5.0
BACK_WITHIN_SECONDS = 15.0


def test_broker_restart_under_load_loses_nothing_and_does_nothing_twice(
        whole, broker, mongo, report):
    platform = whole
    pids_before = {name: p.pid for name, p in platform.processes.items()}
    with Load(platform.api, PREFIX, retry=True) as load:
        time.sleep(2)  # steady state first
        down_seconds = broker.stop()
        time.sleep(1)  # requests meet the broker gone, not only stopping
        up_seconds = broker.start()
        broker_back = time.monotonic()
        first = wait_until(lambda: load.first_success_sent_after(broker_back),
                           BACK_WITHIN_SECONDS + 5, reason="a 201 after the broker's return",
                           poll=0.2)
        time.sleep(2)  # and steady again
    back_seconds = first.sent_at + first.seconds - broker_back

    accepted = load.accepted()
    unapplied = ledger.wait_applied(mongo, PREFIX, within=60)
    figures = ledger.tally(mongo, PREFIX, accepted)
    statuses = Counter(a.status for _, a in load.answers)
    failures = load.failed()
    report(sent=len(load.answers), accepted=len(accepted), retried=len(load.retried()),
           failed_503=statuses.get(503, 0),
           other=sum(n for s, n in statuses.items() if s not in (201, 503)),
           slowest_failure_s=round(max((a.seconds for a in failures), default=0), 2),
           slowest_answer_s=round(max(a.seconds for _, a in load.answers), 2),
           broker_down_s=round(down_seconds + 1 + up_seconds, 1),
           back_after_s=round(back_seconds, 1), **figures)

    assert not unapplied, unapplied
    # 409: a retry that met its first try still running, told to come again (Retry-After).
    assert set(statuses) <= {201, 503, 409}, statuses
    assert failures, "the outage went unnoticed: nothing was tested"
    assert all(a.seconds <= PROMISED_SECONDS for _, a in load.answers), \
        sorted(a.seconds for _, a in load.answers)[-5:]
    assert all(a.headers.get("Retry-After") for a in failures)
    assert back_seconds <= BACK_WITHIN_SECONDS
    stored = Counter(lead["title"] for lead in ledger.leads_titled(mongo, PREFIX))
    assert all(stored[title] == 1 for title in accepted)
    # Retried with its key, every lead sent was taken in once: none lost, none twice.
    assert load.retried(), "no request was retried: the keys were not tested"
    assert set(accepted) == load.titles() and len(accepted) == len(load.titles())
    assert set(stored) == load.titles() and all(n == 1 for n in stored.values()), stored
    assert figures["duplicates"] == 0 and figures["lost"] == 0, figures
    # Recovered by itself: the same processes serve as before.
    assert {name: p.pid for name, p in platform.processes.items()} == pids_before
