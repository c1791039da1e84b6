"""The branches database (`kuaiban_branches`): the six branches (trips and visits come later)."""
from __future__ import annotations

from pymongo import ASCENDING

from shared.errors import NotFound
from shared.storage import MongoRepository


class BranchesRepository(MongoRepository):
    def seed(self, branches: list[dict]) -> int:
        """Insert the branches that are not there yet; edits made since are kept."""
        created = 0
        for branch in branches:
            result = self.db.branches.update_one(
                {"_id": branch["_id"]}, {"$setOnInsert": branch}, upsert=True
            )
            created += result.upserted_id is not None
        return created

    def all(self) -> list[dict]:
        return list(self.db.branches.find().sort("_id", ASCENDING))

    def get(self, branch_id: str) -> dict:
        branch = self.db.branches.find_one({"_id": branch_id})
        if branch is None:
            raise NotFound(f"no branch {branch_id}")
        return branch
