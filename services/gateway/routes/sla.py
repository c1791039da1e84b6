from __future__ import annotations

from nameko.rpc import RpcProxy

from services.gateway.http import api, call, json_body, query_params
from services.gateway.routes import EVERYONE
from services.sla.schemas import (
    ClockFilter, ClockPage, HolidayTableIn, HolidayTableLoaded, HolidayTables, ReportQuery, SlaReport,
)

REPORT_READERS = ("admin", "leader", "inspector", "team_member", "department")


class SlaRoutes:
    sla = RpcProxy("sla")

    @api("GET", "/api/v1/sla/clocks", roles=EVERYONE, query=ClockFilter, response=ClockPage,
         summary="SLA clocks")
    def list_clocks(self, request):
        return call(self.sla, "list_clocks", query_params(request))

    @api("GET", "/api/v1/sla/report", roles=REPORT_READERS, query=ReportQuery, response=SlaReport,
         summary="Met rate, median and p90 time to reply, overall and by department")
    def sla_report(self, request):
        return call(self.sla, "report", query_params(request))

    @api("GET", "/api/v1/sla/holidays", roles=EVERYONE, response=HolidayTables,
         summary="Holiday tables loaded by admins for years the calendar package lacks")
    def list_holiday_tables(self, request):
        return call(self.sla, "holiday_tables")

    @api("PUT", "/api/v1/sla/holidays/<int:year>", roles=("admin",), body=HolidayTableIn,
         response=HolidayTableLoaded,
         summary="Load a year's official holiday table (published each November)")
    def load_holiday_table(self, request, year):
        return call(self.sla, "load_holidays", year, json_body(request),
                    request.principal["username"])
