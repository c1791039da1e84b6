"""The policy database (`kuaiban_policy`): policy requests and their items."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from shared.storage import MongoRepository


class PolicyRepository(MongoRepository):
    def indexes(self):
        return {"policy_requests": [
            IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
            IndexModel([("items.department", ASCENDING), ("status", ASCENDING)]),
            IndexModel([("lead_id", ASCENDING)]),
        ]}

    def list_requests(self, query: dict, page: int, page_size: int):
        return self.page("policy_requests", query, [("received_at", DESCENDING)], page, page_size)
