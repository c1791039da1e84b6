"""The outbox relay sends what was left unsent in batches, one claim transaction for many
entries, each entry once even with two relays at it; an import's held events wait until their
writer releases them, and are still sent by the relay should it never do so."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import eventlet
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from pymongo import MongoClient, monitoring

from shared.clock import utcnow
from shared.events import LeadCreated, make_event
from shared.storage import (
    CLAIM_FOR, EPOCH, STRAGGLER_BATCH, MongoRepository, OutboxRelay, database_name,
    outbox_document,
)

SOURCE = "leads"


class Commits(monitoring.CommandListener):
    """Counts the transactions a client commits."""

    def __init__(self):
        self.count = 0

    def started(self, event):
        self.count += event.command_name == "commitTransaction"

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def envelope(n: int):
    return make_event(SOURCE, LeadCreated(
        lead_id=f"lead-{n:04d}", title=f"项目{n}", company_name="某公司", credit_code=None,
        industry="光伏", investment_cny=1, land_mu=None, source_branch_id=None, major=False),
        utcnow())


def stragglers(db, count: int, age: timedelta = timedelta(minutes=1), **fields) -> list[str]:
    """`count` unsent entries written `age` ago (a crash left them behind)."""
    entries = [{**outbox_document(envelope(n)), "created_at": utcnow() - age, **fields}
               for n in range(count)]
    db.outbox.insert_many(entries)
    return [e["_id"] for e in entries]


def probe(config):
    """A queue that sees every `lead_created` the relay publishes; returns a drain function."""
    connection = Connection(config["AMQP_URI"])
    channel = connection.channel()
    name = f"probe-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, exchange=get_event_exchange(SOURCE, config), routing_key="lead_created",
                  durable=False, auto_delete=True)
    queue.maybe_bind(channel)
    queue.declare()

    def drain() -> list[str]:
        seen = []
        while (message := channel.basic_get(name, no_ack=True)) is not None:
            seen.append(json.loads(message.body)["event_id"])
        return seen
    return drain


def relay_on(config, mongo_uri) -> tuple[OutboxRelay, Commits]:
    commits = Commits()
    client = MongoClient(mongo_uri, tz_aware=True, event_listeners=[commits])
    db = client[database_name(config, "relay")]
    MongoRepository(client, db).ensure_indexes()
    return OutboxRelay(db, config), commits


def test_stragglers_go_out_a_batch_per_claim_and_each_once(config, mongo_uri):
    relay, commits = relay_on(config, mongo_uri)
    drain = probe(config)
    left = stragglers(relay.db, 2 * STRAGGLER_BATCH + 50)
    fresh = stragglers(relay.db, 3, age=timedelta(0))  # its worker is still publishing it

    assert relay.publish_pending() == len(left)

    assert commits.count == 3  # 250 entries, three claims: one transaction per 100
    assert sorted(drain()) == sorted(left)
    assert relay.db.outbox.count_documents({"_id": {"$in": left}, "sent_at": None}) == 0
    assert relay.db.outbox.count_documents({"_id": {"$in": fresh}, "sent_at": None}) == 3
    assert relay.publish_pending() == 0 and drain() == []  # sent is sent


def test_an_entry_another_relay_claimed_is_left_to_it(config, mongo_uri):
    relay, _ = relay_on(config, mongo_uri)
    drain = probe(config)
    theirs = stragglers(relay.db, 5, claimed_until=utcnow() + CLAIM_FOR)
    mine = stragglers(relay.db, 5)
    # A claim that ran out (its relay died before sending): sent again, consumers ignore a repeat.
    lapsed = stragglers(relay.db, 2, claimed_until=utcnow() - timedelta(seconds=1))

    assert relay.publish_pending() == 7
    assert sorted(drain()) == sorted(mine + lapsed)
    assert relay.db.outbox.count_documents({"_id": {"$in": theirs}, "sent_at": None}) == 5


def test_two_relays_at_the_same_backlog_send_each_entry_once(config, mongo_uri):
    first, _ = relay_on(config, mongo_uri)
    second, _ = relay_on(config, mongo_uri)
    drain = probe(config)
    left = stragglers(first.db, 3 * STRAGGLER_BATCH)

    passes = [eventlet.spawn(relay.publish_pending) for relay in (first, second, first, second)]
    sent = sum(p.wait() for p in passes)

    seen = drain()
    assert sent == len(seen) == len(left) and sorted(seen) == sorted(left)


def test_held_events_wait_for_their_writer_and_are_sent_by_the_relay_if_it_never_comes(
        config, mongo_uri):
    relay, _ = relay_on(config, mongo_uri)
    drain = probe(config)
    repository = MongoRepository(relay.db.client, relay.db, relay)
    held = [envelope(n) for n in range(150)]
    repository.commit_held(lambda session: None, held[:100], timedelta(minutes=5))
    repository.commit_held(lambda session: None, held[100:], timedelta(minutes=5))
    relay.db.outbox.update_many({}, {"$set": {"created_at": utcnow() - timedelta(minutes=1)}})

    assert relay.publish_pending() == 0 and drain() == []  # held: the loop leaves them
    ids = [str(e.event_id) for e in held]
    # The writer releases them: the relay's next pass sends them, a batch per claim.
    assert repository.release_held(ids[:120]) == 120
    assert relay.publish_pending() == 120
    assert sorted(drain()) == sorted(ids[:120])
    assert relay.publish_pending() == 0  # sent is sent

    # The writer broke off before publishing the rest: once the hold runs out, the relay does.
    relay.db.outbox.update_many({"_id": {"$in": ids[120:]}}, {"$set": {"claimed_until": EPOCH}})
    assert relay.publish_pending() == 30 and sorted(drain()) == sorted(ids[120:])


def test_a_batch_the_broker_refused_is_free_again_for_the_next_pass(config, mongo_uri):
    unreachable = {**config, "AMQP_URI": "amqp://guest:guest@127.0.0.1:9/"}  # nothing listens
    relay, _ = relay_on(unreachable, mongo_uri)
    left = stragglers(relay.db, 5)

    assert relay.publish_pending() == 0  # never raises: the loop tries again

    entries = list(relay.db.outbox.find({"_id": {"$in": left}}))
    assert [e["sent_at"] for e in entries] == [None] * 5
    assert all(e["claimed_until"] == EPOCH for e in entries)  # not held for CLAIM_FOR
