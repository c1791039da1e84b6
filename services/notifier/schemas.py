"""The notifier's results as callers see them."""
from __future__ import annotations

from typing import Optional

from shared.schemas import Page, Timestamp, View


class NotificationView(View):
    id: str
    kind: str
    title: str
    body: str
    recipients: list[str]
    created_at: Timestamp
    data: dict  # the facts of the event it tells of, for a link or a closer look
    read: bool
    items: Optional[list[int]] = None  # a batch's items one notice gathers


class Inbox(Page):
    items: list[NotificationView]
    unread: int


class UnreadCount(View):
    unread: int
