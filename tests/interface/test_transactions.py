"""`run_transaction`: an unreachable database fails a transaction in seconds (pymongo's own
`with_transaction` retries for two minutes), while write conflicts between workers are retried
until each write lands. Real SecantusDB."""
import time

import eventlet
import pytest
from pymongo.errors import ConnectionFailure

from shared.embedded_db import EmbeddedMongo
from shared.storage import TRANSACTION_TIME_LIMIT_SECONDS, mongo_client, run_transaction


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

