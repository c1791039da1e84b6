"""The policy database (`kuaiban_policy`): requests with their items, routes, reference numbers."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from services.leads.domain import search_keys
from services.policy.domain import DEFAULT_ROUTES, later_state, request_sla_state
from shared.change import Change
from shared.errors import Conflict, NotFound
from shared.events import make_event
from shared.storage import MongoRepository, update_of

SOURCE = "policy"


def envelopes(change: Change, now: datetime) -> list:
    """The change's events as this service sends them, stamped `now`."""
    return [make_event(SOURCE, event, now) for event in change.events]


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
            # The list's order (newest first), alone and after each filter.
            IndexModel([("received_at", DESCENDING)]),
            IndexModel([("sla_state", ASCENDING), ("received_at", DESCENDING)]),
            IndexModel([("status", ASCENDING), ("received_at", DESCENDING)]),
            IndexModel([("items.department", ASCENDING), ("received_at", DESCENDING)]),
            IndexModel([("search_keys", ASCENDING)], name="search_keys"),
        ]}

    def insert(self, submitted: Change, now: datetime) -> dict:
        """A new request (the change sets every field) with its `policy_request_received`."""
        request = dict(submitted.set)
        try:
            self.commit(lambda s: self.db.policy_requests.insert_one(request, session=s),
                        envelopes(submitted, now))
        except DuplicateKeyError:
            # Ids come from the caller and the POST's Idempotency-Key: the same id is the same
            # POST, retried while its first try was still on its way (its event went with it).
            stored = self.find(request["_id"])
            if stored is None:
                raise
            return stored
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


    def update(self, request: dict, decided: Change, now: datetime,
               reference: dict | None = None):
        """Store the `decided` change and its events if the request is still at the version read.

        `reference` claims a reference number (文号) in the same transaction: a number already
        used by the department that year is a 409 and nothing is written.
        """
        def write(session):
            if reference is not None:
                # One 文号 may answer several items of the same letter (one 函, one number):
                # looked up first, since a failed insert would abort the transaction.
                existing = self.db.references.find_one({"_id": reference["_id"]},
                                                       session=session)
                if existing is not None and existing.get("request_id") != reference["request_id"]:
                    raise Conflict("该文号本部门今年已使用", {"request_id": existing.get("request_id"),
                                                 "n": existing.get("n")})
                if existing is None:
                    try:
                        self.db.references.insert_one(reference, session=session)
                    except DuplicateKeyError:
                        raise Conflict("该文号刚被本部门使用，请换一个文号",
                                       {"allowed": ["另一个文号"]}) from None
            self.update_at_version("policy_requests", request["_id"], request["version"],
                                   update_of(decided), session, StaleRequest(request["_id"]))
        self.commit(write, envelopes(decided, now))

    def open_requests_of(self, department: str) -> list[dict]:
        return list(self.db.policy_requests.find(
            {"items.department": department, "status": "open"},
            {"lead_id": 1, "status": 1, "items.department": 1, "items.status": 1},
            hint=[("items.department", ASCENDING), ("status", ASCENDING)]))

    def record_team(self, lead_id: str, team_id: str, at: datetime) -> int:
        """The lead's current team on each of its requests (scope follows a reassignment),
        unless a later assignment is already there."""
        return self.follow_lead_team("policy_requests", "lead_id", lead_id,
                                     {"team_id": team_id}, at)

    def record_sla_state(self, envelope, request_id: str, n: int | None, state: str,
                         at: datetime) -> bool:
        """Item n's state (None: a whole batch's, from before per-item clocks) and the request's
        state that follows, at the version read (StaleRequest: read again)."""
        def change(session):
            request = self.db.policy_requests.find_one({"_id": request_id}, session=session)
            if request is None:
                return
            fields = {"sla_updated_at": at}
            if n is None:
                fields["sla_state"] = state
            else:
                states = []
                for index, item in enumerate(request["items"]):
                    item_state = item.get("sla_state")
                    if item["n"] == n:
                        item_state = later_state(item_state, state)
                        fields[f"items.{index}.sla_state"] = item_state
                    states.append(item_state)
                fields["sla_state"] = request_sla_state(states)
            self.update_at_version("policy_requests", request_id, request["version"],
                                   {"$set": fields}, session, StaleRequest(request_id))
        return self.apply_once(envelope, change)

    # -- seals (印章): one PNG per department, replaced by a new upload, the history kept ----
    def set_seal(self, unit: str, png: bytes, sha256: str, actor: str, now: datetime) -> dict:
        previous = self.db.seals.find_one({"_id": unit}, {"png": 0})
        entry = {"sha256": sha256, "bytes": len(png), "uploaded_by": actor, "uploaded_at": now}
        history = [*(previous or {}).get("history", []), entry][-20:]
        self.db.seals.replace_one({"_id": unit}, {"png": png, **entry, "history": history},
                                  upsert=True)
        return {"unit": unit, **entry, "replaced": previous is not None,
                "versions": len(history)}

    def seals(self, units: list[str]) -> dict[str, bytes]:
        return {d["_id"]: bytes(d["png"]) for d in self.db.seals.find({"_id": {"$in": units}})}

    def seal_info(self, unit: str) -> dict | None:
        return self.db.seals.find_one({"_id": unit}, {"png": 0})

    # -- the routing table -------------------------------------------------------------------
    def routes(self) -> dict[str, str]:
        return {d["_id"]: d["department"] for d in self.db.routes.find()}

    def set_route(self, category: str, department: str, actor: str, now: datetime) -> None:
        self.db.routes.update_one(
            {"_id": category},
            {"$set": {"department": department, "updated_by": actor, "updated_at": now}},
            upsert=True)
