"""`MongoRepository.follow_lead_team`: how policy requests, problems and clocks follow their
lead's team without an applied-event record. Real SecantusDB."""
from datetime import datetime, timedelta, timezone

import eventlet
from pymongo import MongoClient

from shared.storage import MongoRepository
from tests.interface.helpers import SentCommands

T1 = datetime(2026, 11, 20, 9, 0, 0, 123456, tzinfo=timezone.utc)
T2 = T1 + timedelta(minutes=5)


def repository(mongo_uri, db_prefix, listener=None):
    client = MongoClient(mongo_uri, tz_aware=True, event_listeners=[listener] if listener else [])
    repo = MongoRepository(client, client[f"{db_prefix}policy"])
    repo.db.requests.create_index("lead_id")
    repo.db.requests.insert_many([{"_id": f"r{n}", "lead_id": "l1" if n < 3 else "l2",
                                   "team_id": None} for n in range(4)])
    return repo


def teams(repo):
    return {d["_id"]: (d["team_id"], d.get("team_assigned_at")) for d in repo.db.requests.find()}


def test_the_latest_assignment_stays_whatever_order_and_repeats_come_in(mongo_uri, db_prefix):
    repo = repository(mongo_uri, db_prefix)
    assert repo.follow_lead_team("requests", "lead_id", "l1", {"team_id": "food-liquor"}, T2) == 3
    assert repo.follow_lead_team("requests", "lead_id", "l1", {"team_id": "new-energy"}, T1) == 0
    repo.follow_lead_team("requests", "lead_id", "l1", {"team_id": "food-liquor"}, T2)  # again
    at = T2.replace(microsecond=T2.microsecond // 1000 * 1000)
    assert teams(repo) == {"r0": ("food-liquor", at), "r1": ("food-liquor", at),
                           "r2": ("food-liquor", at), "r3": (None, None)}
    repo.client.close()


def test_two_assignments_racing_leave_the_later(mongo_uri, db_prefix):
    repo = repository(mongo_uri, db_prefix)
    pool = eventlet.GreenPool(8)
    for n in range(8):  # the older one started first half the time, second the other half
        first, second = ((T1, "new-energy"), (T2, "food-liquor"))[::1 if n % 2 else -1]
        for at, team in (first, second):
            pool.spawn(repo.follow_lead_team, "requests", "lead_id", "l1", {"team_id": team}, at)
    pool.waitall()
    assert {team for team, _ in list(teams(repo).values())[:3]} == {"food-liquor"}
    repo.client.close()


def test_a_lead_with_nothing_to_follow_costs_no_write(mongo_uri, db_prefix):
    writes = SentCommands("insert", "update", "delete", "findAndModify", "commitTransaction")
    repo = repository(mongo_uri, db_prefix, writes)
    writes.names.clear()
    writes.commands.clear()
    assert repo.follow_lead_team("requests", "lead_id", "l9", {"team_id": "new-energy"}, T1) == 0
    assert writes.names == []
    assert repo.follow_lead_team("requests", "lead_id", "l2", {"team_id": "new-energy"}, T1) == 1
    assert writes.names == ["update", "commitTransaction"]
    repo.client.close()
