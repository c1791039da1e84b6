"""The notifier service's RPCs, typed (shared/client.py): callers use these methods, never an
RPC by its name in a string."""
from __future__ import annotations

from typing import Any, TypedDict

# The service's domain errors, registered so that a caller gets them back as themselves.
from services.notifier import domain  # noqa: F401
from shared.client import Calls, ServiceClient


class NotificationRecord(TypedDict):
    id: str
    kind: str
    title: str
    body: str
    recipients: list[str]
    created_at: str
    data: dict[str, Any]
    items: list[int]
    read: bool


class Inbox(TypedDict):
    items: list[NotificationRecord]
    total: int
    page: int
    page_size: int
    unread: int


class UnreadCount(TypedDict):
    unread: int


class NotifierCalls(Calls):
    def inbox(self, query: dict) -> Inbox:
        """`query`: the page, `unread`, and the reader's `addresses` and `username`."""
        return self._call("inbox", query)

    def unread_count(self, reader: dict) -> UnreadCount:
        return self._call("unread_count", reader)

    def mark_read(self, notification_id: str, reader: dict) -> NotificationRecord:
        return self._call("mark_read", notification_id, reader)

    def deliveries(self, notification_id: str) -> list[dict[str, Any]]:
        return self._call("deliveries", notification_id)


class NotifierClient(ServiceClient):
    service_name = "notifier"
    calls = NotifierCalls
