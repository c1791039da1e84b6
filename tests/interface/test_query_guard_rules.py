"""The query guard's rules on recorded commands, against the real embedded database: the guard
that `make test` runs at the end (tests/query_guard.py) must fail on what it says it fails on."""
from datetime import datetime, timezone

from bson import json_util

from shared.storage import EPOCH
from tests import query_guard

NOW = datetime(2026, 12, 3, tzinfo=timezone.utc)


def recorded(tmp_path, *filters, command="find"):
    log = tmp_path / "queries.jsonl"
    with open(log, "w", encoding="utf-8") as f:
        for n, query in enumerate(filters):
            f.write(json_util.dumps({
                "command": command, "db": "kuaiban_sla", "collection": "clocks", "pid": 1,
                "where": f"services/sla/repository.py:{n} (due_clocks)", "filter": query,
                "sort": {"next_threshold_at": 1}, "hint": None, "limit": 100}) + "\n")
    return log


def test_a_range_open_below_on_the_walked_index_fails_and_a_bounded_one_passes(
        tmp_path, mongo_uri):
    open_below = {"next_threshold_at": {"$lte": NOW}}
    bounded = {"next_threshold_at": {"$gte": EPOCH, "$lte": NOW}}
    explained, failures = query_guard.check(recorded(tmp_path, open_below, bounded), mongo_uri)
    assert explained == 2
    assert len(failures) == 1, failures
    assert "a range open below on next_threshold_at" in failures[0]
    assert "services/sla/repository.py:0 (due_clocks)" in failures[0]


def test_a_range_open_below_behind_an_equality_passes(tmp_path, mongo_uri):
    """The walk starts at the equality's first entry, not at the index's start."""
    behind = {"kind": "policy_reply", "state": "on_track", "due_at": {"$lt": NOW}}
    explained, failures = query_guard.check(recorded(tmp_path, behind), mongo_uri)
    assert (explained, failures) == (1, [])


def test_a_find_and_modify_on_a_collection_that_grows_fails_even_by_id(tmp_path, mongo_uri):
    explained, failures = query_guard.check(
        recorded(tmp_path, {"_id": "policy_reply:r1-1"}, command="findAndModify"), mongo_uri)
    assert explained == 1 and len(failures) == 1, failures
    assert failures[0].startswith("findAndModify")
