from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call, query_params
from services.gateway.routes import EVERYONE
from services.sla.schemas import ClockFilter


class SlaRoutes:
    sla = RpcProxy("sla")

    @api("GET", "/api/v1/sla/clocks", roles=EVERYONE, query=ClockFilter, summary="SLA clocks")
    def list_clocks(self, request):
        return call(self.sla, "list_clocks", query_params(request))
