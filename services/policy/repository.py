"""The policy database (`kuaiban_policy`): requests with their items, routes, reference numbers."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from services.policy.domain import DEFAULT_ROUTES
from shared.errors import Conflict, NotFound
from shared.storage import MongoRepository


class StaleRequest(Exception):
    """The request changed between read and write: read it again and redo the change."""


def seed_routes(repository: "PolicyRepository", config: dict) -> None:
    """The first routing table; an admin's later edits are kept across restarts."""
    for category, department in DEFAULT_ROUTES.items():
        repository.db.routes.update_one(
            {"_id": category}, {"$setOnInsert": {"department": department}}, upsert=True)


class PolicyRepository(MongoRepository):
    def indexes(self):
        return {"policy_requests": [
            IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
            IndexModel([("items.department", ASCENDING), ("status", ASCENDING)]),
            IndexModel([("lead_id", ASCENDING)]),
            IndexModel([("team_id", ASCENDING), ("received_at", DESCENDING)]),
            IndexModel([("sla_state", ASCENDING)]),
            # The list's order (newest first), alone and after each filter.
            IndexModel([("received_at", DESCENDING)]),
            IndexModel([("sla_state", ASCENDING), ("received_at", DESCENDING)]),
            IndexModel([("status", ASCENDING), ("received_at", DESCENDING)]),
            IndexModel([("items.department", ASCENDING), ("received_at", DESCENDING)]),
        ]}

    def insert(self, request: dict, events) -> dict:
        self.commit(lambda s: self.db.policy_requests.insert_one(request, session=s), events)
        return request

    def get(self, request_id: str) -> dict:
        doc = self.db.policy_requests.find_one({"_id": request_id})
        if doc is None:
            raise NotFound(f"no policy request {request_id}")
        return doc

    def list_requests(self, query: dict, page: int, page_size: int):
        return self.page("policy_requests", query, [("received_at", DESCENDING)], page, page_size)

    def update(self, request: dict, changes: dict, events, reference: dict | None = None):
        """Write `changes` if the request is still at the version read, with its events.

        `reference` claims a reference number (文号) in the same transaction: a number already
        used by the department that year is a 409 and nothing is written.
        """
        def change(session):
            if reference is not None:
                try:
                    self.db.references.insert_one(reference, session=session)
                except DuplicateKeyError:
                    existing = self.db.references.find_one({"_id": reference["_id"]}) or {}
                    raise Conflict("this reference number is already used by the department "
                                   "this year", {"request_id": existing.get("request_id"),
                                                 "n": existing.get("n")}) from None
            self.update_at_version("policy_requests", request["_id"], request["version"],
                                   {"$set": changes}, session, StaleRequest(request["_id"]))
        self.commit(change, events)

    def record_sla_state(self, envelope, request_id: str, state: str, at: datetime) -> bool:
        return self.apply_once(envelope, lambda s: self.db.policy_requests.update_one(
            {"_id": request_id}, {"$set": {"sla_state": state, "sla_updated_at": at}}, session=s))

    # -- the routing table -------------------------------------------------------------------
    def routes(self) -> dict[str, str]:
        return {d["_id"]: d["department"] for d in self.db.routes.find()}

    def set_route(self, category: str, department: str, actor: str, now: datetime) -> None:
        self.db.routes.update_one(
            {"_id": category},
            {"$set": {"department": department, "updated_by": actor, "updated_at": now}},
            upsert=True)
