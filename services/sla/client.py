"""The sla service's RPCs, typed (shared/client.py): callers use these methods, never an RPC
by its name in a string."""
from __future__ import annotations

from typing import Any, Optional, TypedDict

# The service's domain errors, registered so that a caller gets them back as themselves.
from services.sla import domain  # noqa: F401
from shared.client import Calls, ServiceClient, sent
from shared.scope import Principal


class ClockRecord(TypedDict):
    id: str
    kind: str
    label_zh: Optional[str]
    subject_id: str
    started_at: Optional[str]
    due_at: Optional[str]
    elapsed_pct: float
    state: str
    estimated: bool
    fired: int
    paused: bool
    stopped_at: Optional[str]
    counted_hours: float
    context: Optional[dict[str, Any]]


class ClockPage(TypedDict):
    items: list[ClockRecord]
    total: int
    page: int
    page_size: int


class MyClocks(TypedDict):
    overdue: list[ClockRecord]
    due_soon: list[ClockRecord]


class HolidaysLoaded(TypedDict):
    year: int
    holidays: int
    workdays: int
    clocks_reevaluated: int


class SlaCalls(Calls):
    def get_clock(self, kind: str, subject_id: str) -> ClockRecord:
        return self._call("get_clock", kind, subject_id)

    def get_clocks(self, kind: str, subject_ids: list[str]) -> list[ClockRecord]:
        return self._call("get_clocks", kind, subject_ids)

    def my_clocks(self, owner: dict, soon_hours: float = 24.0) -> MyClocks:
        return self._call("my_clocks", owner, soon_hours)

    def list_clocks(self, filters: dict, principal: Principal | None = None) -> ClockPage:
        return self._call("list_clocks", filters, sent(principal))

    def report(self, query: dict) -> dict[str, Any]:
        return self._call("report", query)

    def load_holidays(self, year: int, body: dict, principal: Principal) -> HolidaysLoaded:
        return self._call("load_holidays", year, body, sent(principal))

    def holiday_tables(self) -> list[dict[str, Any]]:
        return self._call("holiday_tables")


class SlaClient(ServiceClient):
    service_name = "sla"
    calls = SlaCalls
