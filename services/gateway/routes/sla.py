from __future__ import annotations

from services.gateway.http import api, json_body, query_params
from services.gateway.routes import EVERYONE
from services.sla.client import SlaClient
from services.sla.schemas import (
    ClockFilter, ClockPage, HolidayTableIn, HolidayTableLoaded, HolidayTables, ReportQuery, SlaReport,
)
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal

REPORT_READERS = ("admin", "leader", "inspector", "team_member", "department")


class SlaRoutes:
    sla = SlaClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    @api("GET", "/api/v1/sla/clocks", roles=EVERYONE, query=ClockFilter, response=ClockPage,
         summary="SLA clocks")
    def list_clocks(self, request):
        return self.sla.list_clocks(query_params(request), Principal.of(request.principal))

    @api("GET", "/api/v1/sla/report", roles=REPORT_READERS, query=ReportQuery, response=SlaReport,
         summary="Met rate, median and p90 time to reply, overall and by department")
    def sla_report(self, request):
        return self.sla.report(query_params(request))

    @api("GET", "/api/v1/sla/holidays", roles=EVERYONE, response=HolidayTables,
         summary="Holiday tables loaded by admins for years the calendar package lacks")
    def list_holiday_tables(self, request):
        return self.sla.holiday_tables()

    @api("PUT", "/api/v1/sla/holidays/<int:year>", roles=("admin",), body=HolidayTableIn,
         response=HolidayTableLoaded,
         summary="Load a year's official holiday table (published each November)")
    def load_holiday_table(self, request, year):
        return self.sla.load_holidays(year, json_body(request), Principal.of(request.principal))
