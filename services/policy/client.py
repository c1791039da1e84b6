"""The policy service's RPCs, typed (shared/client.py): callers use these methods, never an RPC
by its name in a string."""
from __future__ import annotations

from typing import Any, Optional, TypedDict

# The service's domain errors, registered so that a caller gets them back as themselves.
from services.policy import domain  # noqa: F401
from shared.client import Calls, ServiceClient, sent
from shared.scope import Principal


class ItemRecord(TypedDict, total=False):
    n: int
    topic: str
    category: str
    department: str
    status: str
    sla_state: Optional[str]


class RequestRecord(TypedDict, total=False):
    id: str
    lead_id: str
    lead_title: str
    enterprise: str
    status: str
    sla_state: str
    received_at: str
    due_at: str
    items: list[ItemRecord]


class RequestPage(TypedDict):
    items: list[RequestRecord]
    total: int
    page: int
    page_size: int


class BatchImported(TypedDict):
    id: str
    created: bool
    would_create: bool
    already_imported: bool
    request: RequestRecord


class RouteRecord(TypedDict):
    category: str
    label_zh: str
    department: str


class PolicyCalls(Calls):
    def submit(self, body: dict, principal: Principal) -> RequestRecord:
        return self._call("submit", body, sent(principal))

    def import_batch(self, body: dict, principal: Principal, dry_run: bool) -> BatchImported:
        return self._call("import_batch", body, sent(principal), dry_run)

    def get(self, request_id: str, principal: Principal) -> RequestRecord:
        return self._call("get", request_id, sent(principal))

    def list_requests(self, filters: dict, principal: Principal | None = None) -> RequestPage:
        return self._call("list_requests", filters, sent(principal))

    def letter(self, request_id: str, principal: Principal) -> str:
        """The reply letter as base64-encoded PDF."""
        return self._call("letter", request_id, sent(principal))

    def set_seal(self, unit: str, content_b64: str, principal: Principal) -> dict[str, Any]:
        return self._call("set_seal", unit, content_b64, sent(principal))

    def seal_info(self, unit: str) -> dict[str, Any]:
        return self._call("seal_info", unit)

    def reply(self, request_id: str, n: int, body: dict, principal: Principal) -> RequestRecord:
        return self._call("reply", request_id, n, body, sent(principal))

    def pause(self, request_id: str, n: int, body: dict | None, principal: Principal) -> RequestRecord:
        return self._call("pause", request_id, n, body, sent(principal))

    def resume(self, request_id: str, n: int, principal: Principal) -> RequestRecord:
        return self._call("resume", request_id, n, sent(principal))

    def record_meeting(self, request_id: str, body: dict, principal: Principal) -> RequestRecord:
        return self._call("record_meeting", request_id, body, sent(principal))

    def routes(self) -> list[RouteRecord]:
        return self._call("routes")

    def set_route(self, category: str, body: dict, principal: Principal) -> dict[str, str]:
        return self._call("set_route", category, body, sent(principal))

    def leads_owed_by(self, department: str) -> list[str]:
        return self._call("leads_owed_by", department)


class PolicyClient(ServiceClient):
    service_name = "policy"
    calls = PolicyCalls
