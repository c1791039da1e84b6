from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call, query_params
from services.gateway.routes import EVERYONE
from services.notifier.domain import addresses_of
from shared.schemas import PageQuery


class NotificationRoutes:
    notifier = RpcProxy("notifier")

    @api("GET", "/api/v1/notifications", roles=EVERYONE, query=PageQuery,
         summary="The caller's inbox")
    def list_notifications(self, request):
        query = {**query_params(request), "addresses": addresses_of(request.principal)}
        return call(self.notifier, "inbox", query)
