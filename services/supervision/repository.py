"""The supervision database (`kuaiban_supervision`): problems and the periodic reports."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from shared.storage import MongoRepository


class SupervisionRepository(MongoRepository):
    def indexes(self):
        return {"problems": [
            IndexModel([("owner_department", ASCENDING), ("status", ASCENDING)]),
            IndexModel([("lead_id", ASCENDING)]),
        ]}

    def list_problems(self, query: dict, page: int, page_size: int):
        return self.page("problems", query, [("raised_at", DESCENDING)], page, page_size)
