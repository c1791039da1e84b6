"""The supervision service: the problem loop and the weekly/monthly/quarterly rhythm."""
from __future__ import annotations

from nameko.rpc import rpc

from services.supervision.repository import SupervisionRepository
from services.supervision.schemas import ProblemFilter
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.storage import Storage


class SupervisionService:
    name = "supervision"

    storage = Storage(SupervisionRepository)

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def list_problems(self, filters: dict) -> dict:
        f = validated(ProblemFilter, filters, ("query",))
        query = {k: v for k, v in {
            "status": f.status, "owner_department": f.owner_department, "lead_id": f.lead_id,
        }.items() if v is not None}
        docs, total = self.storage.list_problems(query, f.page, f.page_size)
        return page_of([jsonable({"id": d.pop("_id"), **d}) for d in docs], total, f)
