"""The database stopped for 10 s: fast 503s, no event for an unsaved change, recovery without a
restart.

While the SecantusDB under every service is down, clients keep taking in leads over HTTP and a
service-side caller keeps calling `leads.create` by RPC (as branches does), and `/readyz` is
asked. Every HTTP answer must be a 503 with Retry-After within 5 s, every RPC must fail within
5 s, and nothing may be stored or published for them: a probe queue bound to the leads events
sees every `lead_created`, and each must belong to a stored lead. When the database is back
on the same data, the same processes take leads in again, and what they take in reaches every
consumer once.
"""
from __future__ import annotations

import itertools
import json
import time

import eventlet
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ServiceRpcProxy

from tests.faults import ledger
from tests.waiting import wait_until
from tests.faults.load import Load, lead_body

DURING = "停库期间-"
AFTER = "恢复之后-"
OUTAGE_SECONDS = 10
PROMISED_SECONDS = 5.0
PROBE = "faults.probe.lead_created"


def probe_queue(channel) -> Queue:
    queue = Queue(PROBE, exchange=get_event_exchange("leads", {}), routing_key="lead_created",
                  durable=False, auto_delete=False)
    queue.maybe_bind(channel)
    queue.declare()
    return queue


def drain(channel) -> list[dict]:
    """Every `lead_created` the probe saw."""
    seen = []
    while (message := channel.basic_get(PROBE, no_ack=True)) is not None:
        seen.append(json.loads(message.body))
    return seen


def rpc_caller(amqp_uri: str, prefix: str, answers: list, running: list):
    """A caller inside the platform: `leads.create` by RPC, as branches and policy call it."""
    numbers = itertools.count(1)
    with ServiceRpcProxy("leads", {"AMQP_URI": amqp_uri}, timeout=PROMISED_SECONDS) as leads:
        while running:
            title = f"{prefix}rpc-{next(numbers):04d}"
            started = time.monotonic()
            try:
                leads.create(lead_body(title), {"username": "admin", "role": "admin"})
                outcome = "stored"
            except Exception as exc:  # RemoteError for the database error, or a timeout
                outcome = type(exc).__name__ + ":" + str(getattr(exc, "exc_type", ""))
            answers.append((title, outcome, time.monotonic() - started))
            time.sleep(0.2)


def test_a_database_outage_gives_fast_503s_stores_nothing_and_recovers_by_itself(
        whole, broker, database, mongo, report):
    platform = whole
    pids_before = {name: p.pid for name, p in platform.processes.items()}
    with Connection(broker.amqp_uri) as connection:
        channel = connection.channel()
        probe_queue(channel)
        drain(channel)

        database.stop()
        stopped = time.monotonic()
        rpc_answers, running = [], [True]
        caller = eventlet.spawn(rpc_caller, broker.amqp_uri, DURING, rpc_answers, running)
        readiness = []
        with Load(platform.api, DURING, clients=3, pause=0.2) as load:
            while time.monotonic() - stopped < OUTAGE_SECONDS:
                readiness.append(platform.api.request("GET", "/readyz", token=None))
                time.sleep(1)
        running.clear()
        caller.wait()
        database.start()
        back = time.monotonic()

        first = wait_until(lambda: (a := platform.api.request(
            "POST", "/api/v1/leads", lead_body(f"{AFTER}00000"))).status == 201 and a,
            30, poll=0.5, reason="a lead taken in after the database's return")
        recovered_s = time.monotonic() - back
        with Load(platform.api, AFTER, clients=2) as after:
            time.sleep(3)
        unapplied = ledger.wait_applied(mongo, AFTER, within=60)
        events = drain(channel)
        channel.queue_delete(PROBE)

    stored_during = ledger.leads_titled(mongo, DURING)
    stored_ids = {lead["_id"] for lead in ledger.leads_titled(mongo, "")}
    unsaved_events = [e for e in events if e["data"]["lead_id"] not in stored_ids]
    during_events = [e for e in events if e["data"]["title"].startswith(DURING)]
    figures = ledger.tally(mongo, AFTER, after.accepted() + [f"{AFTER}00000"])
    outage_answers = [a for _, a in load.answers]
    report(sent_http=len(outage_answers), sent_rpc=len(rpc_answers),
           answered_503=sum(a.status == 503 for a in outage_answers),
           slowest_http_s=round(max(a.seconds for a in outage_answers), 2),
           rpc_failed=sum(o != "stored" for _, o, _ in rpc_answers),
           slowest_rpc_s=round(max(s for _, _, s in rpc_answers), 2),
           readyz_503=sum(r.status == 503 for r in readiness),
           slowest_readyz_s=round(max(r.seconds for r in readiness), 2),
           stored_during=len(stored_during), events_for_unsaved=len(unsaved_events),
           events_during=len(during_events), recovered_after_s=round(recovered_s, 1),
           accepted_after=len(after.accepted()) + 1, **figures)

    assert all(a.status == 503 and a.headers.get("Retry-After") for a in outage_answers)
    assert all(a.seconds <= PROMISED_SECONDS for a in outage_answers)
    assert all(r.status == 503 and r.seconds <= PROMISED_SECONDS for r in readiness)
    assert all(r.body["checks"]["database"].startswith("unreachable") for r in readiness)
    assert rpc_answers and all(o != "stored" and s <= PROMISED_SECONDS
                               for _, o, s in rpc_answers), rpc_answers
    assert stored_during == [] and during_events == [] and unsaved_events == []
    assert first.status == 201
    assert not unapplied, unapplied
    assert figures["duplicates"] == 0 and figures["lost"] == 0
    assert {name: p.pid for name, p in platform.processes.items()} == pids_before
