"""The notifier service: delivers alerts to the in-app inbox, webhooks and e-mail."""
from __future__ import annotations

from typing import Annotated

from nameko.rpc import rpc
from pydantic import Field

from services.notifier.repository import NotifierRepository
from shared.jsonable import jsonable
from shared.schemas import PageQuery, page_of, validated
from shared.storage import Storage


class InboxQuery(PageQuery):
    """The caller's addresses (see domain.addresses_of), set by the gateway, never by the caller."""

    addresses: Annotated[list[Annotated[str, Field(max_length=200)]], Field(min_length=1, max_length=10)]


class NotifierService:
    name = "notifier"

    storage = Storage(NotifierRepository)

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def inbox(self, query: dict) -> dict:
        q = validated(InboxQuery, query, ("query",))
        docs, total = self.storage.inbox(q.addresses, q.page, q.page_size)
        return page_of([jsonable({"id": d.pop("_id"), **d}) for d in docs], total, q)
