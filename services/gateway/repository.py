"""The gateway database (`kuaiban_gateway`): accounts and the append-only audit trail."""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.errors import Conflict, NotFound
from shared.storage import MongoRepository

IDEMPOTENCY_KEPT_SECONDS = 24 * 3600


class AccountsRepository(MongoRepository):
    def indexes(self):
        return {"audit": [IndexModel([("object_id", ASCENDING), ("at", DESCENDING)]),
                          IndexModel([("actor", ASCENDING), ("at", DESCENDING)])],
                # A POST's Idempotency-Key and its first answer, gone 24 h after the first try.
                "idempotency_keys": [IndexModel([("created_at", ASCENDING)],
                                                expireAfterSeconds=IDEMPOTENCY_KEPT_SECONDS,
                                                name="expiry")]}

    def find(self, username: str) -> dict | None:
        return self.db.users.find_one({"_id": username})

    def create(self, user: dict) -> dict:
        try:
            self.db.users.insert_one(user)
        except DuplicateKeyError:
            raise Conflict(f"用户 {user['_id']} 已存在", {"existing_id": user["_id"]}) from None
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
            raise NotFound(f"没有用户 {username}")
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
        if entry.get("object_id"):
            previous = self.db.audit.find_one({"object_id": entry["object_id"]},
                                              sort=[("at", DESCENDING), ("_id", DESCENDING)])
        entry["before"] = previous["after"] if previous else None
        self.db.audit.insert_one(entry)

    def audit_page(self, query: dict, page: int, page_size: int):
        return self.page("audit", query, [("at", DESCENDING), ("_id", DESCENDING)], page,
                         page_size)

    # -- idempotency keys: one per caller and key, claimed before the work --------------------
    # Filters beside `_id` are hinted to `_id_`: SecantusDB's planner would scan otherwise.
    def claim_idempotency_key(self, claim: dict) -> dict | None:
        """Store the claim; None when it is ours, else the record already there."""
        try:
            self.db.idempotency_keys.insert_one(claim)
            return None
        except DuplicateKeyError:
            return self.db.idempotency_keys.find_one({"_id": claim["_id"]}) or {}

    def take_over_idempotency_key(self, old: dict, claim: dict) -> bool:
        """Replace a stale or expired record by our claim, unless another request did first."""
        result = self.db.idempotency_keys.replace_one(
            {"_id": old["_id"], "claim": old.get("claim")}, claim, hint="_id_")
        return result.modified_count == 1

    def record_idempotent_answer(self, claim: dict, answer: dict) -> None:
        self.db.idempotency_keys.update_one(
            {"_id": claim["_id"], "claim": claim["claim"]},
            {"$set": {**answer, "state": "answered"}}, hint="_id_")

    def release_idempotency_key(self, claim: dict) -> None:
        """The answer was a 5xx (outcome unknown): a retry with the same body runs again."""
        self.db.idempotency_keys.update_one({"_id": claim["_id"], "claim": claim["claim"]},
                                            {"$set": {"state": "retryable"}}, hint="_id_")
