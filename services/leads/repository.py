"""The leads database (`kuaiban_leads`): lead documents, with their outbox."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shared.errors import Conflict, NotFound
from shared.storage import MongoRepository


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
                IndexModel([("team_id", ASCENDING), ("stage", ASCENDING)]),
                IndexModel([("source_branch_id", ASCENDING)]),
                IndexModel([("major", DESCENDING), ("created_at", DESCENDING)]),
            ]
        }

    def find_duplicate(self, credit_code: str | None, title: str) -> dict | None:
        if not credit_code:
            return None
        return self.db.leads.find_one({"company.credit_code": credit_code, "title": title})

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

    def get(self, lead_id: str) -> dict:
        lead = self.db.leads.find_one({"_id": lead_id})
        if lead is None:
            raise NotFound(f"no lead {lead_id}")
        return lead

    def list(self, query: dict, page: int, page_size: int) -> tuple[list[dict], int]:
        # Major projects first: they ride the green channel.
        return self.page(
            "leads", query, [("major", DESCENDING), ("created_at", DESCENDING)], page, page_size
        )

    def record_assignment(self, envelope, lead_id: str, fields: dict) -> bool:
        return self.apply_once(
            envelope,
            lambda session: self.db.leads.update_one(
                {"_id": lead_id}, {"$set": fields}, session=session
            ),
        )
