"""The sla service: clocks for every promise, warnings before and alarms at a breach."""
from __future__ import annotations

from nameko.rpc import rpc

from services.sla.repository import SlaRepository
from services.sla.schemas import ClockFilter
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.storage import Storage


class SlaService:
    name = "sla"

    storage = Storage(SlaRepository)

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def list_clocks(self, filters: dict) -> dict:
        f = validated(ClockFilter, filters, ("query",))
        query = {k: v for k, v in {"state": f.state, "kind": f.kind}.items() if v is not None}
        docs, total = self.storage.list_clocks(query, f.page, f.page_size)
        return page_of([jsonable({"id": d.pop("_id"), **d}) for d in docs], total, f)
