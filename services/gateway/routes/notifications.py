from __future__ import annotations

from typing import Optional

from pydantic import Field

from services.gateway.http import api, query_params
from services.gateway.routes import EVERYONE
from services.notifier.client import NotifierClient
from services.notifier.domain import addresses_of
from services.notifier.schemas import Inbox, NotificationView, UnreadCount
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.schemas import PageQuery


class InboxFilter(PageQuery):
    unread: Optional[bool] = Field(default=None, description="true: only the unread ones")


def reader(principal: dict) -> dict:
    return {"addresses": addresses_of(principal), "username": principal["username"]}


class NotificationRoutes:
    notifier = NotifierClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    @api("GET", "/api/v1/notifications", roles=EVERYONE, query=InboxFilter, response=Inbox,
         summary="The caller's inbox (`unread=true`: the unread ones), with the unread count")
    def list_notifications(self, request):
        return self.notifier.inbox({**query_params(request), **reader(request.principal)})

    @api("GET", "/api/v1/notifications/unread-count", roles=EVERYONE, response=UnreadCount,
         summary="How many of the caller's notifications are unread")
    def count_unread_notifications(self, request):
        return self.notifier.unread_count(reader(request.principal))

    @api("POST", "/api/v1/notifications/<string:notification_id>/read", roles=EVERYONE,
         response=NotificationView,
         summary="Mark one of the caller's notifications read")
    def mark_notification_read(self, request, notification_id):
        return self.notifier.mark_read(notification_id, reader(request.principal))
