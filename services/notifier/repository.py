"""The notifier database (`kuaiban_notifier`): each user's inbox and the deliveries still owed.

A notification and its deliveries (one per webhook, one e-mail) are written in one
transaction with the applied event id, so an alert is neither lost nor doubled. A delivery
is claimed for a while before it is sent, so that two instances do not both send it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING, IndexModel

from services.notifier.domain import NotNotified
from shared.storage import EPOCH, MongoRepository, run_transaction

CLAIM_FOR = timedelta(seconds=60)
INBOX_INDEX = [("recipients", ASCENDING), ("created_at", DESCENDING)]


class NotifierRepository(MongoRepository):
    def indexes(self):
        return {
            "notifications": [
                IndexModel(INBOX_INDEX),
            ],
            "deliveries": [
                IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)]),
                IndexModel([("notification_id", ASCENDING)]),
            ],
        }

    def inbox(self, addresses: list[str], page: int, page_size: int,
              unread_by: str | None = None):
        query = {"recipients": {"$in": addresses}}
        if unread_by is not None:
            query["read_by"] = {"$ne": unread_by}
        found = (self.db.notifications.find(query).hint(INBOX_INDEX)
                 .sort([("created_at", DESCENDING)]).skip((page - 1) * page_size).limit(page_size))
        return list(found), self.db.notifications.count_documents(query, hint=INBOX_INDEX)

    def unread(self, addresses: list[str], username: str) -> int:
        return self.db.notifications.count_documents(
            {"recipients": {"$in": addresses}, "read_by": {"$ne": username}}, hint=INBOX_INDEX)

    def add_all(self, envelope, notifications: list[tuple[dict, int | None, list[dict]]]) -> bool:
        """An event's notifications, once. One that gathers items (`item` set) is upserted by
        its group key: the first event makes it with its deliveries, later ones add their item."""
        def change(session):
            for notification, item, deliveries in notifications:
                if item is None:
                    self.db.notifications.insert_one(notification, session=session)
                    created = True
                else:
                    created = self.db.notifications.update_one(
                        {"_id": notification["_id"]},
                        {"$setOnInsert": notification, "$addToSet": {"items": item}},
                        upsert=True, session=session).upserted_id is not None
                if created and deliveries:
                    self.db.deliveries.insert_many(deliveries, session=session)
        return self.apply_once(envelope, change)

    def add(self, envelope, notification: dict, deliveries: list[dict]) -> bool:
        def change(session):
            self.db.notifications.insert_one(notification, session=session)
            if deliveries:
                self.db.deliveries.insert_many(deliveries, session=session)
        return self.apply_once(envelope, change)

    def mark_read(self, notification_id: str, addresses: list[str], username: str,
                  now: datetime) -> dict:
        # Per-user marks are array elements, never a field named after the user: a username is
        # data, and a dot in it would be a path ("a.b" -> {"a": {"b": ...}}). Read and written
        # by `_id` alone (SecantusDB scans on a second predicate); the recipients checked here.
        doc = self.db.notifications.find_one({"_id": notification_id},
                                             {"recipients": 1, "read_by": 1})
        if doc is None or not set(doc.get("recipients") or ()) & set(addresses):
            raise NotNotified(f"no notification {notification_id}")  # not this user's: as if absent
        if username in (doc.get("read_by") or ()):
            return self.db.notifications.find_one({"_id": notification_id})  # read before
        return self.update_by_id(
            "notifications", notification_id,
            {"$addToSet": {"read_by": username}, "$push": {"reads": {"by": username, "at": now}}})

    # -- deliveries -------------------------------------------------------------------------
    def claim_delivery(self, now: datetime) -> dict | None:
        """The delivery due first, claimed for CLAIM_FOR; None when none is due. A read and an
        update by `_id` in one transaction, not a findAndModify, which SecantusDB writes
        through a scan of the deliveries: two instances claiming the same one conflict, and the
        one retried reads it claimed and takes the next."""
        def claim(session):
            due = self.db.deliveries.find_one(
                {"status": "pending", "next_attempt_at": {"$gte": EPOCH, "$lte": now}},
                sort=[("next_attempt_at", ASCENDING)], session=session)
            if due is None:
                return None
            return self.update_by_id("deliveries", due["_id"],
                                     {"$set": {"next_attempt_at": now + CLAIM_FOR}}, session)

        return run_transaction(self.client, claim, self.transaction_time_limit)

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
