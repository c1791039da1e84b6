from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call, query_params
from services.gateway.routes import EVERYONE
from services.notifier.domain import addresses_of
from services.notifier.schemas import Inbox, NotificationView
from shared.schemas import PageQuery


def reader(principal: dict) -> dict:
    return {"addresses": addresses_of(principal), "username": principal["username"]}


class NotificationRoutes:
    notifier = RpcProxy("notifier")

    @api("GET", "/api/v1/notifications", roles=EVERYONE, query=PageQuery, response=Inbox,
         summary="The caller's inbox")
    def list_notifications(self, request):
        return call(self.notifier, "inbox", {**query_params(request), **reader(request.principal)})

    @api("POST", "/api/v1/notifications/<string:notification_id>/read", roles=EVERYONE,
         response=NotificationView,
         summary="Mark one of the caller's notifications read")
    def mark_notification_read(self, request, notification_id):
        return call(self.notifier, "mark_read", notification_id, reader(request.principal))
