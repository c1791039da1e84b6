"""The gateway database (`kuaiban_gateway`): accounts, the append-only audit trail and the
attachments (GridFS bucket `attachments`)."""
from __future__ import annotations

import io
from datetime import datetime

import gridfs
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shared.errors import Conflict, NotFound
from shared.storage import MongoRepository

IDEMPOTENCY_KEPT_SECONDS = 24 * 3600


class AccountsRepository(MongoRepository):
    def indexes(self):
        return {"audit": [IndexModel([("object_id", ASCENDING), ("at", DESCENDING)]),
                          IndexModel([("actor", ASCENDING), ("at", DESCENDING)]),
                          # The trail's order, alone and after each filter.
                          IndexModel([("at", DESCENDING), ("_id", DESCENDING)]),
                          IndexModel([("object_id", ASCENDING), ("at", DESCENDING),
                                      ("_id", DESCENDING)]),
                          IndexModel([("actor", ASCENDING), ("at", DESCENDING),
                                      ("_id", DESCENDING)])],
                # A POST's Idempotency-Key and its first answer, gone 24 h after the first try.
                "idempotency_keys": [IndexModel([("created_at", ASCENDING)],
                                                expireAfterSeconds=IDEMPOTENCY_KEPT_SECONDS,
                                                name="expiry")],
                "attachments.files": [IndexModel([("metadata.owner", ASCENDING),
                                                  ("uploadDate", ASCENDING)]),
                                      # GridFS's own two, made here at start rather than by
                                      # its first upload (the same keys and options)
                                      IndexModel([("filename", ASCENDING),
                                                  ("uploadDate", ASCENDING)])],
                "attachments.chunks": [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)],
                                                  unique=True)]}

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

    def leaders(self) -> list[dict]:
        """The enabled county leaders' accounts, by username (a few dozen at most)."""
        return list(self.db.users.find({"role": "leader", "disabled": {"$ne": True}},
                                       sort=[("_id", ASCENDING)]))

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

    # -- login throttle (throttle.py): counters under their key, compare-and-set -------------
    def claim_attempt(self, key: str, rule, now: datetime) -> bool:
        """Count one attempt under `key` if the rule lets it through now; False if not."""
        for _ in range(20):  # each loss of a race re-reads the counter another attempt moved
            doc = self.db.login_attempts.find_one({"_id": key})
            if not rule.allows(doc, now):
                return False
            counted = rule.counted(doc, now)
            if doc is None:
                try:
                    self.db.login_attempts.insert_one({"_id": key, "count": 1, "last_at": now})
                    return True
                except DuplicateKeyError:
                    continue
            claimed = self.db.login_attempts.find_one_and_update(
                {"_id": key, "count": doc.get("count", 0), "last_at": doc.get("last_at")},
                {"$set": {"count": counted + 1, "last_at": now}}, hint=[("_id", ASCENDING)])
            if claimed is not None:
                return True
        return False

    def attempt_counter(self, key: str) -> dict | None:
        return self.db.login_attempts.find_one({"_id": key})

    def clear_attempts(self, key: str, trusted_until: datetime | None = None) -> None:
        changes = {"count": 0}
        if trusted_until is not None:
            changes["trusted_until"] = trusted_until
        self.db.login_attempts.update_one({"_id": key}, {"$set": changes}, upsert=True)

    def give_back_attempt(self, key: str) -> None:
        """A success from an address takes back its attempt (an office behind one address)."""
        self.db.login_attempts.update_one({"_id": key, "count": {"$gt": 0}},
                                          {"$inc": {"count": -1}}, hint=[("_id", ASCENDING)])

    def record_login(self, username: str, now: datetime) -> None:
        self.db.users.update_one({"_id": username}, {"$set": {"last_login_at": now}})

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


class AttachmentsRepository:
    """Files attached to leads, requests and their items, problems and visits, in GridFS.

    Each file's metadata names its owner ("lead:<id>", "policy_item:<id>:<n>", ...), the
    uploader, the type found in its bytes and its SHA-256; the listing uses the owner index.
    """

    BUCKET = "attachments"

    def __init__(self, db):
        self.db = db
        self.bucket = gridfs.GridFSBucket(db, bucket_name=self.BUCKET)

    def store(self, file_id: str, filename: str, content: bytes, metadata: dict) -> None:
        self.bucket.upload_from_stream_with_id(file_id, filename, content, metadata=metadata)

    def get(self, file_id: str) -> dict:
        doc = self.db[f"{self.BUCKET}.files"].find_one({"_id": file_id})
        if doc is None:
            raise NotFound(f"no attachment {file_id}")
        return doc

    def content(self, file_id: str) -> bytes:
        out = io.BytesIO()
        self.bucket.download_to_stream(file_id, out)
        return out.getvalue()

    def of_owner(self, owner: str, limit: int = 200) -> list[dict]:
        return list(self.db[f"{self.BUCKET}.files"].find({"metadata.owner": owner})
                    .sort([("metadata.owner", ASCENDING), ("uploadDate", ASCENDING)])
                    .hint([("metadata.owner", ASCENDING), ("uploadDate", ASCENDING)])
                    .limit(limit))

    def delete(self, file_id: str) -> None:
        try:
            self.bucket.delete(file_id)
        except gridfs.errors.NoFile:
            raise NotFound(f"no attachment {file_id}") from None
