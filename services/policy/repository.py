"""The policy database (`kuaiban_policy`): requests with their items, routes, reference numbers."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from services.leads.domain import search_keys
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
    repository.add_search_keys("policy_requests", {"enterprise": 1, "items.topic": 1},
                               request_search_keys)


def request_search_keys(request: dict) -> list[str]:
    """A request is found by its enterprise and its items' topics."""
    return search_keys(request["enterprise"], *(i["topic"] for i in request.get("items", [])))


class PolicyRepository(MongoRepository):
    def indexes(self):
        return {"policy_requests": [
            IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
            IndexModel([("items.department", ASCENDING), ("status", ASCENDING)]),
            IndexModel([("lead_id", ASCENDING)]),
            IndexModel([("team_id", ASCENDING), ("received_at", DESCENDING)]),
            IndexModel([("sla_state", ASCENDING)]),
            IndexModel([("search_keys", ASCENDING)], name="search_keys"),
        ]}

    def insert(self, request: dict, events) -> dict:
        self.commit(lambda s: self.db.policy_requests.insert_one(request, session=s), events)
        return request

    def find(self, request_id: str) -> dict | None:
        return self.db.policy_requests.find_one({"_id": request_id})

    def get(self, request_id: str) -> dict:
        doc = self.db.policy_requests.find_one({"_id": request_id})
        if doc is None:
            raise NotFound(f"没有诉求 {request_id}")
        return doc

    def list_requests(self, query: dict, page: int, page_size: int):
        return self.page("policy_requests", query, [("received_at", DESCENDING)], page, page_size,
                         hint="search_keys" if "search_keys" in query else None)


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
                    raise Conflict("该文号本部门今年已使用", {"request_id": existing.get("request_id"),
                                                 "n": existing.get("n")}) from None
            result = self.db.policy_requests.update_one(
                {"_id": request["_id"], "version": request["version"]},
                {"$set": changes, "$inc": {"version": 1}}, session=session,
            )
            if result.matched_count != 1:
                raise StaleRequest(request["_id"])
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
