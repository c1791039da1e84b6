"""The notifier database (`kuaiban_notifier`): each user's inbox and the deliveries still owed.

A notification and its deliveries (one per webhook, one e-mail) are written in one
transaction with the applied event id, so an alert is neither lost nor doubled. A delivery
is claimed for a while before it is sent, so that two instances do not both send it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from shared.errors import NotFound
from shared.storage import MongoRepository

CLAIM_FOR = timedelta(seconds=60)


class NotifierRepository(MongoRepository):
    def indexes(self):
        return {
            "notifications": [
                IndexModel([("recipients", ASCENDING), ("created_at", DESCENDING)]),
            ],
            "deliveries": [
                IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)]),
                IndexModel([("notification_id", ASCENDING)]),
            ],
        }

    def inbox(self, addresses: list[str], page: int, page_size: int):
        return self.page("notifications", {"recipients": {"$in": addresses}},
                         [("created_at", DESCENDING)], page, page_size)

    def unread(self, addresses: list[str], username: str) -> int:
        return self.db.notifications.count_documents(
            {"recipients": {"$in": addresses}, "read_by": {"$ne": username}})

    def add(self, envelope, notification: dict, deliveries: list[dict]) -> bool:
        def change(session):
            self.db.notifications.insert_one(notification, session=session)
            if deliveries:
                self.db.deliveries.insert_many(deliveries, session=session)
        return self.apply_once(envelope, change)

    def mark_read(self, notification_id: str, addresses: list[str], username: str,
                  now: datetime) -> dict:
        doc = self.db.notifications.find_one_and_update(
            {"_id": notification_id, "recipients": {"$in": addresses}},
            {"$addToSet": {"read_by": username}, "$set": {f"read_at.{username}": now}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:  # not addressed to this user: as if it did not exist
            raise NotFound(f"没有通知 {notification_id}")
        return doc

    # -- deliveries -------------------------------------------------------------------------
    def claim_delivery(self, now: datetime) -> dict | None:
        return self.db.deliveries.find_one_and_update(
            {"status": "pending", "next_attempt_at": {"$lte": now}},
            {"$set": {"next_attempt_at": now + CLAIM_FOR}},
            sort=[("next_attempt_at", ASCENDING)], return_document=ReturnDocument.AFTER,
        )

    def notification(self, notification_id: str) -> dict:
        return self.db.notifications.find_one({"_id": notification_id})

    def delivered(self, delivery_id: str, now: datetime) -> None:
        self.db.deliveries.update_one(
            {"_id": delivery_id},
            {"$set": {"status": "sent", "sent_at": now}, "$inc": {"attempts": 1}})

    def failed(self, delivery: dict, error: str, now: datetime, retry_at: datetime | None) -> None:
        fields = {"last_error": error[:500], "last_attempt_at": now}
        if retry_at is None:
            fields["status"] = "failed"  # kept for an operator to see and replay
        else:
            fields["next_attempt_at"] = retry_at
        self.db.deliveries.update_one({"_id": delivery["_id"]},
                                      {"$set": fields, "$inc": {"attempts": 1}})

    def deliveries_of(self, notification_id: str) -> list[dict]:
        return list(self.db.deliveries.find({"notification_id": notification_id}))
