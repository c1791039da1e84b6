"""The gateway database (`kuaiban_gateway`): accounts."""
from __future__ import annotations

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.errors import Conflict
from shared.storage import MongoRepository


class AccountsRepository(MongoRepository):
    def find(self, username: str) -> dict | None:
        return self.db.users.find_one({"_id": username})

    def create(self, user: dict) -> dict:
        try:
            self.db.users.insert_one(user)
        except DuplicateKeyError:
            raise Conflict(f"user {user['_id']} exists", {"existing_id": user["_id"]}) from None
        return user

    def create_if_missing(self, user: dict) -> bool:
        result = self.db.users.update_one({"_id": user["_id"]}, {"$setOnInsert": user}, upsert=True)
        return result.upserted_id is not None

    def page_of_users(self, page: int, page_size: int):
        return self.page("users", {}, [("_id", ASCENDING)], page, page_size)
