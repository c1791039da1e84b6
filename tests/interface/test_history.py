"""History that only serves de-duplication goes after its window, by a range on an index."""
from __future__ import annotations

from datetime import timedelta

from pymongo import MongoClient

from shared.clock import utcnow
from shared.storage import (
    APPLIED_EVENTS_KEEP, FORGET_BATCH, OUTBOX_KEEP_SENT, MongoRepository, OutboxRelay,
    database_name,
)


def relay_on(config, client: MongoClient) -> OutboxRelay:
    db = client[database_name(config, "history")]
    MongoRepository(client, db).ensure_indexes()
    return OutboxRelay(db, config)


def test_sent_entries_and_applied_ids_past_their_window_are_forgotten(config, mongo):
    relay = relay_on(config, mongo)
    db, now = relay.db, utcnow()
    outbox = [
        {"_id": "sent-long-ago", "sent_at": now - OUTBOX_KEEP_SENT - timedelta(minutes=1),
         "created_at": now - timedelta(days=3)},
        {"_id": "sent-recently", "sent_at": now - OUTBOX_KEEP_SENT + timedelta(minutes=1),
         "created_at": now - timedelta(days=3)},
        # Never sent (the broker was away for days): it stays until the relay sends it.
        {"_id": "unsent-old", "sent_at": None, "created_at": now - timedelta(days=3)},
    ]
    db.outbox.insert_many(outbox)
    db.applied_events.insert_many([
        {"_id": "applied-long-ago", "applied_at": now - APPLIED_EVENTS_KEEP - timedelta(minutes=1)},
        {"_id": "applied-recently", "applied_at": now - APPLIED_EVENTS_KEEP + timedelta(minutes=1)},
    ])

    assert relay.forget_history(now) == {"outbox": 1, "applied_events": 1}

    assert sorted(d["_id"] for d in db.outbox.find()) == ["sent-recently", "unsent-old"]
    assert [d["_id"] for d in db.applied_events.find()] == ["applied-recently"]
    assert relay.forget_history(now) == {"outbox": 0, "applied_events": 0}


def test_a_pass_forgets_at_most_one_batch(config, mongo):
    relay = relay_on(config, mongo)
    old = utcnow() - OUTBOX_KEEP_SENT - timedelta(hours=1)
    relay.db.outbox.insert_many([{"_id": f"e{i}", "sent_at": old, "created_at": old}
                                 for i in range(FORGET_BATCH + 5)])
    assert relay.forget_history()["outbox"] == FORGET_BATCH
    assert relay.forget_history()["outbox"] == 5
    assert relay.db.outbox.count_documents({}) == 0


def test_the_forgetting_and_the_straggler_query_read_an_index(config, mongo):
    relay = relay_on(config, mongo)
    now = utcnow()
    for query in ({"sent_at": {"$lt": now}}, {"applied_at": {"$lt": now}},
                  {"sent_at": None, "created_at": {"$lt": now}}):
        collection = "applied_events" if "applied_at" in query else "outbox"
        plan = str(relay.db[collection].find(query).explain()["queryPlanner"]["winningPlan"])
        assert "IXSCAN" in plan and "COLLSCAN" not in plan, (query, plan)
