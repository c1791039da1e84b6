"""The sla database (`kuaiban_sla`): one clock per promise."""
from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.storage import MongoRepository


class SlaRepository(MongoRepository):
    def indexes(self):
        # The timer scans on the next threshold time only: cost grows with the clocks due.
        return {"clocks": [
            IndexModel([("next_threshold_at", ASCENDING)]),
            IndexModel([("state", ASCENDING), ("kind", ASCENDING)]),
            IndexModel([("subject_id", ASCENDING), ("kind", ASCENDING)], unique=True),
        ]}

    def list_clocks(self, query: dict, page: int, page_size: int):
        return self.page("clocks", query, [("due_at", ASCENDING)], page, page_size)
