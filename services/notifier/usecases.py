"""The notifier service's use cases: what an event's messages become (domain.py decides the
messages), stored once with their deliveries. No nameko here."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Callable

from services.notifier import domain
from services.notifier.repository import NotifierRepository


def notify_all(inbox: NotifierRepository, envelope, messages: list[domain.Message],
               targets_for: Callable[[list[str]], list[tuple[str, object]]],
               now: datetime) -> bool:
    """Store the event's notifications (and their deliveries) once; a message with a group
    key joins that group's notification, which is delivered once when it is first made.
    False for an event handled before."""
    notifications = []
    for message in messages:
        notification = {
            "_id": message.group_key or uuid.uuid4().hex, "kind": message.kind,
            "title": message.title, "body": message.body,
            "recipients": list(message.recipients), "data": envelope.data,
            "event_id": str(envelope.event_id), "created_at": now, "read_by": [],
        }
        deliveries = [{"_id": f"{notification['_id']}:{i}", "notification_id": notification["_id"],
                       "channel": channel, "target": target, "status": "pending", "attempts": 0,
                       "next_attempt_at": now, "created_at": now}
                      for i, (channel, target) in enumerate(targets_for(notification["recipients"]))]
        notifications.append((notification, message.item, deliveries))
    return inbox.add_all(envelope, notifications)
