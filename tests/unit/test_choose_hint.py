"""Which index a list names (shared/storage.choose_hint): none where SecantusDB's planner finds
one itself, else the one MongoDB would use."""
from pymongo import ASCENDING, DESCENDING, IndexModel

from shared.storage import choose_hint, plain_indexes

TEAM = [("team_id", 1), ("stage", 1), ("major", -1), ("created_at", -1), ("_id", 1)]
GREEN = [("major", -1), ("created_at", -1), ("_id", 1)]
PATTERNS = plain_indexes([
    IndexModel([("company.credit_code", ASCENDING), ("title", ASCENDING)], unique=True,
               partialFilterExpression={"company.credit_code": {"$type": "string"}}),
    IndexModel(TEAM), IndexModel([("lead_id", ASCENDING)]), IndexModel(GREEN),
    IndexModel([("received_at", DESCENDING)]),
])
ORDER = [("major", -1), ("created_at", -1), ("_id", 1)]


def test_a_filter_an_index_holds_needs_no_hint():
    assert choose_hint(PATTERNS, {}, ORDER) is None
    assert choose_hint(PATTERNS, {"team_id": "t"}, ORDER) is None
    assert choose_hint(PATTERNS, {"team_id": "t", "stage": "signed"}, ORDER) is None


def test_a_field_beside_the_index_names_the_index_of_the_longest_equality_prefix():
    assert choose_hint(PATTERNS, {"team_id": "t", "owner": "u"}, ORDER) == TEAM
    assert choose_hint(PATTERNS, {"team_id": "t", "stage": "s", "status": "x"}, ORDER) == TEAM
    # `_id` beside another predicate: SecantusDB would scan; the `_id` index is named
    assert choose_hint(PATTERNS, {"_id": "a", "lead_id": "l"}, ORDER) == [("_id", 1)]


def test_no_equality_on_an_index_falls_back_to_the_index_of_the_order():
    assert choose_hint(PATTERNS, {"owner": "u"}, ORDER) == GREEN
    assert choose_hint(PATTERNS, {"status": "s"}, [("received_at", -1)]) == [("received_at", -1)]
    assert choose_hint(PATTERNS, {"status": "s"}, [("title", 1)]) is None  # a scan, seen as one


def test_a_partial_index_is_never_named():
    assert all(p[0][0] != "company.credit_code" for p in PATTERNS)
