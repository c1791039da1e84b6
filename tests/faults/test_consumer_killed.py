"""`kill -9` of a consuming service in the middle of a stream of 2,000 events.

2,000 `trip_day_unreported` events (a branch's trip day passed 21:00 with nothing reported) go to
the broker as the branches service sends them. The notifier turns each into an alert for the
branch secretary: a new notification document with a fresh id, so an event applied twice would
show as two alerts. When a quarter are applied the notifier is killed with SIGKILL; what it had
taken but not acknowledged goes back to its queue. Restarted, it must have applied all 2,000,
each exactly once.

The handful of events the killed process was inside a database transaction for are held back
until the database drops its abandoned transactions (10 s on the fault tests' database, 60 s on
a default mongod): the redelivered copies meet write conflicts on their own uncommitted
`applied_events` entries, are retried, and apply once that happens.
"""
from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from datetime import date

import pytest
from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange

from shared.clock import utcnow
from shared.events import TripDayUnreported, make_event
from tests.faults.database_server import TRANSACTION_LIFETIME_SECONDS
from tests.faults.harness import holds_within
from tests.waiting import wait_until

STREAM = 2000
KILL_AT = STREAM // 4
QUEUE = "evt-branches-trip_day_unreported--notifier.trip_day_unreported"


def publish_stream(amqp_uri: str, source: str, events: list[dict]) -> None:
    """Publish as a service does: persistent, to `<source>.events`, routed by type."""
    with Connection(amqp_uri) as connection:
        producer = Producer(connection.channel(), exchange=get_event_exchange(source, {}),
                            serializer="json")
        for payload in events:
            producer.publish(payload, routing_key=payload["type"], delivery_mode=2, retry=True)


def queue_depth(amqp_uri: str, queue: str) -> int:
    """Messages ready in `queue` (not those a consumer holds unacknowledged)."""
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


@pytest.mark.timeout(900)  # its waits alone allow 120 + 180 + 40 s
def test_a_consumer_killed_mid_stream_applies_every_event_once_after_restart(
        whole, broker, mongo, report):
    platform = whole
    now = utcnow()
    events = [make_event("branches", TripDayUnreported(
        branch_id="shanghai", trip_id=uuid.uuid4().hex, day=date(2026, 3, 2),
        destination="上海浦东", secretary="shanghai-secretary"), now).model_dump(mode="json")
        for _ in range(STREAM)]
    event_ids = [e["event_id"] for e in events]
    notifier = mongo.kuaiban_notifier

    def applied() -> int:
        return notifier.applied_events.count_documents({"_id": {"$in": event_ids}})

    def waiting() -> int:
        # Watched on the broker, not the database: polling must not slow the consumer down.
        return queue_depth(broker.amqp_uri, QUEUE)

    started = time.monotonic()
    publish_stream(broker.amqp_uri, "branches", events)
    wait_until(lambda: waiting() <= STREAM - KILL_AT, 120, poll=0.05,
               reason=f"{KILL_AT} events taken before the kill")
    exit_code = platform.kill("notifier", signal.SIGKILL)
    applied_at_kill = applied()
    restart_s = platform.restart("notifier")
    wait_until(lambda: waiting() == 0, 180, poll=0.5, reason="the queue drained")
    # The few events the killed worker was inside a transaction for wait until the database
    # drops its abandoned transactions, then apply.
    complete = holds_within(lambda: applied() == STREAM, within=TRANSACTION_LIFETIME_SECONDS + 30,
                            every=1)
    seconds = time.monotonic() - started

    alerts = Counter(n["event_id"] for n in notifier.notifications.find(
        {"event_id": {"$in": event_ids}}, {"event_id": 1}))
    duplicates = sum(n - 1 for n in alerts.values() if n > 1)
    lost = sum(1 for event_id in event_ids if alerts[event_id] == 0)
    report(sent=STREAM, applied_before_kill=applied_at_kill, exit_code=exit_code,
           restart_s=round(restart_s, 1), applied_notifier=len(alerts),
           alerts=sum(alerts.values()), retrying=queue_depth(broker.amqp_uri, f"retry.{QUEUE}"),
           dead_lettered=queue_depth(broker.amqp_uri, f"dlq.{QUEUE}"),
           duplicates=duplicates, lost=lost, total_s=round(seconds, 1))

    assert complete
    assert exit_code == -signal.SIGKILL
    assert KILL_AT // 2 <= applied_at_kill <= STREAM // 2, "the kill was not mid-stream"
    assert lost == 0 and len(alerts) == STREAM
    assert duplicates == 0
