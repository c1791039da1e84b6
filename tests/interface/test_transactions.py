"""`run_transaction`: an unreachable database fails a transaction in seconds (pymongo's own
`with_transaction` retries for two minutes), while write conflicts between workers are retried
until each write lands. Real SecantusDB."""
import os
import time

import eventlet
import pytest
from pymongo import MongoClient
from pymongo.errors import ConnectionFailure

from shared.embedded_db import EmbeddedMongo
from shared.storage import TRANSACTION_TIME_LIMIT_SECONDS, mongo_client, run_transaction
from tests.interface.helpers import SentCommands


def test_a_database_that_stopped_fails_the_transaction_within_seconds(tmp_path):
    server = EmbeddedMongo(tmp_path / "data")
    client = mongo_client(server.start())
    leads = client.kuaiban_leads.leads
    run_transaction(client, lambda s: leads.insert_one({"_id": "jushi"}, session=s))
    server.stop()

    started = time.monotonic()
    with pytest.raises(ConnectionFailure):
        run_transaction(client, lambda s: leads.insert_one({"_id": "jietai"}, session=s))
    # One server selection (3 s) and no more retries past the limit.
    assert time.monotonic() - started < TRANSACTION_TIME_LIMIT_SECONDS + 4
    client.close()


def test_conflicting_writers_all_land(mongo, db_prefix):
    counters = mongo[f"{db_prefix}kit"].counters
    counters.insert_one({"_id": "requests", "n": 0})

    def add_one(_):
        run_transaction(mongo, lambda s: counters.update_one(
            {"_id": "requests"}, {"$inc": {"n": 1}}, session=s))

    list(eventlet.GreenPool(16).imap(add_one, range(48)))
    assert counters.find_one({"_id": "requests"})["n"] == 48


def test_writes_to_the_embedded_database_are_not_retryable_writes(mongo_uri, db_prefix):
    """A retryable write carries a txnNumber, and SecantusDB then keeps its reply and walks
    every kept reply on each later write (80% of its CPU under load): the embedded URI turns
    them off, so a write outside a transaction goes without one."""
    if os.environ.get("MONGO_URI"):
        pytest.skip("MongoDB's retryable writes cost nothing like this; MONGO_URI keeps them")
    sent = SentCommands("insert", "update")
    client = MongoClient(mongo_uri, event_listeners=[sent])
    try:
        kit = client[f"{db_prefix}kit"].marks
        kit.insert_one({"_id": "sent"})
        kit.update_one({"_id": "sent"}, {"$set": {"at": 1}})
    finally:
        client.close()
    assert sent.names == ["insert", "update"]
    assert all("txnNumber" not in command for command in sent.commands), sent.commands
