"""The notifier database (`kuaiban_notifier`): each user's inbox."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from shared.storage import MongoRepository


class NotifierRepository(MongoRepository):
    def indexes(self):
        return {"notifications": [
            IndexModel([("recipients", ASCENDING), ("created_at", DESCENDING)]),
        ]}

    def inbox(self, addresses: list[str], page: int, page_size: int):
        return self.page("notifications", {"recipients": {"$in": addresses}},
                         [("created_at", DESCENDING)], page, page_size)
