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


class AccountsRepository(MongoRepository):
    def indexes(self):
        return {"audit": [IndexModel([("object_id", ASCENDING), ("at", DESCENDING)]),
                          IndexModel([("actor", ASCENDING), ("at", DESCENDING)])],
                "attachments.files": [IndexModel([("metadata.owner", ASCENDING),
                                                  ("uploadDate", ASCENDING)])]}

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
        if entry.get("object_id"):
            previous = self.db.audit.find_one({"object_id": entry["object_id"]},
                                              sort=[("at", DESCENDING), ("_id", DESCENDING)])
        entry["before"] = previous["after"] if previous else None
        self.db.audit.insert_one(entry)

    def audit_page(self, query: dict, page: int, page_size: int):
        return self.page("audit", query, [("at", DESCENDING), ("_id", DESCENDING)], page,
                         page_size)


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
