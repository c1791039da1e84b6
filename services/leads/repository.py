"""The leads database (`kuaiban_leads`): lead documents, with their outbox."""
from __future__ import annotations

import logging

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shared.errors import Conflict, NotFound
from shared.storage import MongoRepository, run_transaction

log = logging.getLogger(__name__)

GREEN_FIRST = [("major", DESCENDING)]


def list_index(query: dict) -> str:
    """The index a list query should use. Named explicitly because SecantusDB's planner falls
    back to a collection scan on `$all` or on more than one predicate; MongoDB takes the hint too."""
    if "search_keys" in query:
        return "search_keys"
    if "team_id" in query:
        return "team_stage"
    if "source_branch_id" in query:
        return "source_branch"
    if "routing" in query:
        return "routing"
    return "green_channel"


class LeadsRepository(MongoRepository):
    def indexes(self):
        return {
            "leads": [
                # The same company (by credit code) and title is one lead: 409 on a second.
                IndexModel(
                    [("company.credit_code", ASCENDING), ("title", ASCENDING)],
                    unique=True,
                    name="credit_code_title_unique",
                    partialFilterExpression={"company.credit_code": {"$type": "string"}},
                ),
                IndexModel([("team_id", ASCENDING), ("stage", ASCENDING), ("major", DESCENDING),
                            ("created_at", DESCENDING)], name="team_stage"),
                IndexModel([("source_branch_id", ASCENDING), ("major", DESCENDING),
                            ("created_at", DESCENDING)], name="source_branch"),
                IndexModel([("routing", ASCENDING), ("major", DESCENDING),
                            ("created_at", DESCENDING)], name="routing"),
                IndexModel([("major", DESCENDING), ("created_at", DESCENDING)], name="green_channel"),
                IndexModel([("company.name_key", ASCENDING)], name="company_name_key"),
                IndexModel([("search_keys", ASCENDING)], name="search_keys"),
            ]
        }

    def find_duplicate(self, credit_code: str | None, title: str) -> dict | None:
        if not credit_code:
            return None
        return self.db.leads.find_one({"company.credit_code": credit_code, "title": title},
                                      hint="credit_code_title_unique")

    def same_company(self, name_key: str, credit_code: str | None, limit: int = 20) -> list[dict]:
        """Leads whose company has this folded name or this credit code."""
        projection = {"title": 1, "company": 1, "source_branch_id": 1, "team_id": 1, "stage": 1,
                      "status": 1, "created_at": 1}
        found = {d["_id"]: d for d in self.db.leads.find(
            {"company.name_key": name_key}, projection, hint="company_name_key").limit(limit)}
        if credit_code:
            for d in self.db.leads.find({"company.credit_code": credit_code}, projection,
                                        hint="credit_code_title_unique").limit(limit):
                found.setdefault(d["_id"], d)
        return sorted(found.values(), key=lambda d: d["created_at"])

    def exists(self, lead_id: str) -> bool:
        return self.db.leads.count_documents({"_id": lead_id}, limit=1) > 0

    def insert(self, lead: dict, events) -> dict:
        try:
            self.commit(lambda session: self.db.leads.insert_one(lead, session=session), events)
        except DuplicateKeyError:
            # Lost a race with an identical lead: report the one that won.
            existing = self.find_duplicate(lead["company"].get("credit_code"), lead["title"])
            raise Conflict(
                "a lead with this credit code and title exists",
                {"existing_id": existing["_id"] if existing else None},
            ) from None
        return lead

    def existing_ids(self, ids: list[str]) -> set[str]:
        """Which of these lead ids exist (a ledger row imported before has its key as id)."""
        return {d["_id"] for d in self.db.leads.find({"_id": {"$in": ids}}, {"_id": 1})}

    def companies(self, name_keys: list[str], credit_codes: list[str]) -> list[dict]:
        """Leads of any of these companies (by folded name or credit code): two queries for a
        whole chunk of a ledger, each on its index."""
        projection = {"title": 1, "company": 1, "source_branch_id": 1, "team_id": 1, "stage": 1,
                      "status": 1, "created_at": 1}
        found = {d["_id"]: d for d in self.db.leads.find(
            {"company.name_key": {"$in": name_keys}}, projection, hint="company_name_key")}
        if credit_codes:
            for d in self.db.leads.find({"company.credit_code": {"$in": credit_codes}},
                                        projection, hint="credit_code_title_unique"):
                found.setdefault(d["_id"], d)
        return sorted(found.values(), key=lambda d: d["created_at"])

    def insert_many(self, leads: list[dict], events) -> None:
        """Leads imported from one chunk of a ledger, with their events, all or nothing; a
        DuplicateKeyError (a concurrent import of the same rows) leaves nothing written.

        The events are left to the outbox relay's loop rather than published here: publishing
        hundreds inline claims each by id among the unsent, which holds the worker (and its
        caller) for minutes; the loop sends them within a few intervals."""
        events = list(events)

        def work(session):
            self.db.leads.insert_many(leads, ordered=True, session=session)
            self._store_in_outbox(events, session)
        run_transaction(self.client, work, self.transaction_time_limit)

    def insert_sourced(self, envelope, lead: dict, events) -> bool:
        """Create a lead a branch sourced, once per event; False when it was not created."""
        try:
            return self.apply_once(
                envelope, lambda session: self.db.leads.insert_one(lead, session=session), events)
        except DuplicateKeyError:
            # Same id (created already) or same credit code and title: record the event as
            # applied without a lead, so that a redelivery does not try again.
            log.warning("sourced lead %s duplicates an existing lead; not created", lead["_id"])
            self.apply_once(envelope, lambda session: None)
            return False

    def get(self, lead_id: str) -> dict:
        lead = self.db.leads.find_one({"_id": lead_id})
        if lead is None:
            raise NotFound(f"no lead {lead_id}")
        return lead

    def list(self, query: dict, sort: list, page: int, page_size: int,
             projection: dict | None = None) -> tuple[list[dict], int]:
        """One page, major projects first (the green channel), then `sort`."""
        index = list_index(query)
        cursor = (self.db.leads.find(query, projection).hint(index)
                  .sort(GREEN_FIRST + sort + [("_id", ASCENDING)])
                  .skip((page - 1) * page_size).limit(page_size))
        return list(cursor), self.db.leads.count_documents(query, hint=index)

    def explain_list(self, query: dict, sort: list) -> dict:
        return self.db.leads.find(query).hint(list_index(query)).sort(GREEN_FIRST + sort).explain()

    def update(self, lead: dict, update: dict, events) -> dict:
        """Apply `update` if the lead is still at the version read; else 409 (changed meanwhile)."""
        update = {**update, "$inc": {**update.get("$inc", {}), "version": 1}}

        def change(session):
            result = self.db.leads.update_one(
                {"_id": lead["_id"], "version": lead["version"]}, update, session=session)
            if result.matched_count == 0:
                raise Conflict("the lead changed meanwhile; reload it and try again",
                               {"lead_id": lead["_id"]})

        try:
            self.commit(change, events)
        except DuplicateKeyError:
            existing = self.find_duplicate(
                update["$set"].get("company", lead["company"]).get("credit_code"),
                update["$set"].get("title", lead["title"]))
            raise Conflict("a lead with this credit code and title exists",
                           {"existing_id": existing["_id"] if existing else None}) from None
        return self.get(lead["_id"])

    def record_assignment(self, envelope, lead_id: str, fields: dict, change: dict) -> bool:
        """Store the team the teams service chose, unless a later assignment is already there
        (a reassignment can overtake the first assignment on the broker)."""
        at = envelope.occurred_at

        def apply(session):
            self.db.leads.update_one(
                {"_id": lead_id, "$or": [{"team_assigned_at": None},
                                         {"team_assigned_at": {"$lte": at}}]},
                {"$set": {**fields, "team_assigned_at": at}, "$push": {"changes": change}},
                session=session,
            )

        return self.apply_once(envelope, apply)
