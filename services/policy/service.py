"""The policy service: batches of policy and factor requests and their stamped replies."""
from __future__ import annotations

from nameko.rpc import rpc

from services.policy.repository import PolicyRepository
from services.policy.schemas import RequestFilter
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.storage import Storage


class PolicyService:
    name = "policy"

    storage = Storage(PolicyRepository)

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def list_requests(self, filters: dict) -> dict:
        f = validated(RequestFilter, filters, ("query",))
        query = {"status": f.status} if f.status else {}
        if f.department:
            query["items.department"] = f.department
        docs, total = self.storage.list_requests(query, f.page, f.page_size)
        return page_of([jsonable({"id": d.pop("_id"), **d}) for d in docs], total, f)
