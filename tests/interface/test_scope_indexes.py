"""The queries that scope adds walk an index, on the server the tests run against (the
filters and hints are the repositories' own: shared/scope.py's filters, sla's list_hint)."""
from datetime import datetime, timezone

from pymongo import ASCENDING

from services.policy.repository import PolicyRepository
from services.sla.repository import SlaRepository, list_hint
from services.supervision.repository import SupervisionRepository
from shared import scope

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def walks_an_index(explained: dict) -> bool:
    plan = str(explained["queryPlanner"]["winningPlan"])
    return "IXSCAN" in plan and "COLLSCAN" not in plan


def test_scoped_lists_and_reassignment_updates_walk_an_index(mongo, db_prefix):
    policy = PolicyRepository(mongo, mongo[f"{db_prefix}policy"])
    sla = SlaRepository(mongo, mongo[f"{db_prefix}sla"])
    supervision = SupervisionRepository(mongo, mongo[f"{db_prefix}supervision"])
    for repository in (policy, sla, supervision):
        repository.ensure_indexes()
    for n in range(30):
        department = "县水务局" if n % 2 else "县供电公司"
        policy.db.policy_requests.insert_one({
            "_id": f"r{n}", "lead_id": f"l{n % 5}", "team_id": "new-energy", "status": "open",
            "received_at": NOW, "items": [{"n": 1, "department": department, "status": "open"}]})
        supervision.db.problems.insert_one({
            "_id": f"p{n}", "lead_id": f"l{n % 5}", "owner_department": department,
            "status": "raised", "team_id": "new-energy"})
        sla.db.clocks.insert_one({
            "_id": f"c{n}", "kind": "policy_reply", "subject_id": f"r{n}", "started_at": NOW,
            "due_at": NOW, "context": {"lead_id": f"l{n % 5}", "team_id": "new-energy",
                                       "departments": [department]}})

    water = {"username": "w", "role": "department", "department": "县水务局"}
    member = {"username": "m", "role": "team_member", "team_id": "new-energy"}
    by_department = [("items.department", ASCENDING), ("status", ASCENDING)]
    assert walks_an_index(policy.db.policy_requests.find(
        {"items.department": "县水务局", "status": "open"}).hint(by_department).explain())
    for principal in (water, member):
        query = {"state": "on_track", **scope.clock_filter(principal),
                 "started_at": {"$exists": True}}
        assert walks_an_index(sla.db.clocks.find(query).hint(list_hint(query))
                              .sort("due_at", ASCENDING).explain()), principal
    assert walks_an_index(supervision.db.problems.find(
        {"owner_department": "县水务局", "status": {"$ne": "resolved"}}).hint(
        [("owner_department", ASCENDING), ("status", ASCENDING)]).explain())
    assert policy.open_requests_of("县水务局") and supervision.open_problem_leads("县水务局")
    # Following a reassignment: one find by lead id per collection, on its index, no hint.
    assert walks_an_index(sla.db.clocks.find({"context.lead_id": "l1"}).explain())
    assert walks_an_index(policy.db.policy_requests.find({"lead_id": "l1"}).explain())
    assert walks_an_index(supervision.db.problems.find({"lead_id": "l1"}).explain())
    assert sla.record_team("l1", "food-liquor", NOW) == 6
