"""The gateway database (`kuaiban_gateway`): accounts and the append-only audit trail."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.errors import Conflict, NotFound
from shared.storage import MongoRepository


class AccountsRepository(MongoRepository):
    def indexes(self):
        return {"audit": [IndexModel([("object_id", ASCENDING), ("at", DESCENDING)]),
                          IndexModel([("actor", ASCENDING), ("at", DESCENDING)]),
                          # The trail's order, alone and after each filter.
                          IndexModel([("at", DESCENDING), ("_id", DESCENDING)]),
                          IndexModel([("object_id", ASCENDING), ("at", DESCENDING),
                                      ("_id", DESCENDING)]),
                          IndexModel([("actor", ASCENDING), ("at", DESCENDING),
                                      ("_id", DESCENDING)])]}

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

    def update_user(self, username: str, changes: dict, revoke_tokens: bool) -> dict:
        update = {"$set": changes}
        if revoke_tokens:  # tokens carry the version they were issued under
            update["$inc"] = {"token_version": 1}
        user = self.db.users.find_one_and_update({"_id": username}, update,
                                                 return_document=ReturnDocument.AFTER)
        if user is None:
            raise NotFound(f"no user {username}")
        return user

    def record_failed_login(self, username: str, now: datetime) -> dict | None:
        return self.db.users.find_one_and_update(
            {"_id": username}, {"$inc": {"failed_logins": 1}, "$set": {"last_failed_at": now}},
            return_document=ReturnDocument.AFTER)

    def lock(self, username: str, until: datetime) -> None:
        self.db.users.update_one({"_id": username},
                                 {"$set": {"locked_until": until, "failed_logins": 0}})

    def record_login(self, username: str, now: datetime) -> None:
        self.db.users.update_one({"_id": username}, {"$set": {
            "failed_logins": 0, "locked_until": None, "last_login_at": now}})

    # -- audit: appended, never changed ------------------------------------------------------
    def append_audit(self, entry: dict) -> None:
        previous = None
        # 201: the object was just created, so no entry can precede this one (no look).
        if entry.get("object_id") and entry.get("status") != 201:
            previous = self.db.audit.find_one({"object_id": entry["object_id"]},
                                              sort=[("at", DESCENDING), ("_id", DESCENDING)])
        entry["before"] = previous["after"] if previous else None
        self.db.audit.insert_one(entry)

    def audit_page(self, query: dict, page: int, page_size: int):
        return self.page("audit", query, [("at", DESCENDING), ("_id", DESCENDING)], page,
                         page_size)
