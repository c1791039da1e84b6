"""The policy service: batches of policy and factor requests and their stamped replies.

`principal` arguments are the caller as the gateway authenticated it (shared/scope.py
Principal, as a dict), parsed with `Principal.of`: the scope rules are in domain.py.
"""
from __future__ import annotations

import base64

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.leads.client import LeadsClient
from services.policy import domain, usecases
from services.policy.batch_sheet import batch_key
from services.policy.letter import LetterSetter, departments_in_order
from services.policy.repository import PolicyRepository, seed_routes
from services.policy.schemas import (
    MeetingIn, PauseIn, PolicyRequestCreate, PolicyRequestView, ReplyIn, RequestFilter,
    RouteIn,
)
from shared import scope
from shared.clock import Clock
from shared.errors import InvalidInput, NotFound, field_invalid
from shared.units import check_unit
from shared.handlers import on_event
from shared.idempotency import IdempotencyKey, new_id
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.scope import Principal
from shared.storage import Storage
from shared.view_fields import fields_of, picked

def as_query(exc: InvalidInput) -> InvalidInput:
    """The same 422 with `body` in each error's location read as `query` (an import's lead_id,
    enterprise and received_at are query parameters; its items come from the file)."""
    extra = exc.extra
    for error in extra.get("errors", []):
        loc = error.get("loc") or []
        if loc[:1] == ["body"] and loc[1:2] != ["items"]:
            error["loc"] = ["query", *loc[1:]]
    return InvalidInput(exc.detail, extra)


REQUEST_FIELDS = fields_of(PolicyRequestView)


def request_view(request: dict) -> dict:
    return jsonable(picked({**request, "id": request["_id"]}, REQUEST_FIELDS))


class PolicyService:
    name = "policy"

    storage = Storage(PolicyRepository, on_start=seed_routes)
    clock = Clock()
    config = Config()
    leads = LeadsClient()
    idempotency_key = IdempotencyKey()
    letters = LetterSetter()

    @property
    def backdate_days(self) -> int:
        return int(self.config.get("BACKDATE_DAYS") or domain.BACKDATE_DAYS)

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    # -- intake ------------------------------------------------------------------------------
    def get_lead(self, lead_id: str) -> dict:
        return self.leads.get(lead_id)

    @rpc
    def submit(self, body: dict, principal: dict) -> dict:
        request_in, caller = validated(PolicyRequestCreate, body), Principal.of(principal)
        return request_view(usecases.submit(
            self.storage, request_in, self.get_lead,
            new_id(caller.username, self.idempotency_key), bool(self.idempotency_key), caller,
            self.backdate_days, self.clock.now()))

    @rpc
    def import_batch(self, body: dict, principal: dict, dry_run: bool) -> dict:
        """An enterprise's batch read from a spreadsheet (services/policy/batch_sheet.py), as
        POST /policy-requests takes it but `enterprise` optional (else the lead's company).
        Its id is the batch's key (lead, enterprise, items): the same file again, or a retried
        commit, finds the request the first stored (`already_imported`) and creates nothing.
        A dry run checks and routes the same without writing. `lead_id` and `received_at`
        came as query parameters, and 422s name them so."""
        try:
            return self._import_batch(body, Principal.of(principal), dry_run)
        except InvalidInput as exc:
            raise as_query(exc) from None

    def _import_batch(self, body: dict, principal: Principal, dry_run: bool) -> dict:
        lead_id = body.get("lead_id")
        if not isinstance(lead_id, str) or not lead_id.strip():
            raise field_invalid(["body", "lead_id"], "必填：诉求所属的线索")
        lead = usecases.lead_of(self.get_lead, lead_id, principal)
        enterprise = body.get("enterprise") or (lead.get("company") or {}).get("name")
        request_in = validated(PolicyRequestCreate, {**body, "enterprise": enterprise})
        request_id = batch_key(request_in.lead_id, request_in.enterprise,
                               request_in.model_dump()["items"])
        request, outcome = usecases.import_batch(self.storage, request_in, lead, request_id,
                                                 principal, self.backdate_days, dry_run,
                                                 self.clock.now())
        return {"id": request_id, "created": outcome == usecases.CREATED,
                "would_create": outcome != usecases.IMPORTED_BEFORE,
                "already_imported": outcome == usecases.IMPORTED_BEFORE,
                "request": request_view(request)}

    # -- reading -----------------------------------------------------------------------------
    @rpc
    def get(self, request_id: str, principal: dict) -> dict:
        return request_view(domain.scoped(Principal.of(principal), self.storage.get(request_id)))

    @rpc
    def list_requests(self, filters: dict, principal: dict | None = None) -> dict:
        """Without a principal (a service's own call) every request."""
        f, caller = validated(RequestFilter, filters, ("query",)), Principal.of(principal)
        docs, total = usecases.list_requests(self.storage, f, caller)
        return page_of([request_view(domain.scoped(caller, d)) for d in docs], total, f)

    @rpc
    def letter(self, request_id: str, principal: dict) -> str:
        """The reply letter as PDF, base64-encoded to cross RPC."""
        request = domain.scoped(Principal.of(principal), self.storage.get(request_id))
        seals = self.storage.seals(departments_in_order(request["items"]))
        return base64.b64encode(self.letters(request, seals)).decode("ascii")

    # -- seals (印章), printed over each department's 落款 ---------------------------------------
    @rpc
    def set_seal(self, unit: str, content_b64: str, principal: dict) -> dict:
        png = base64.b64decode(content_b64)
        sha256 = domain.check_seal(png)
        return jsonable(self.storage.set_seal(unit, png, sha256, Principal.of(principal).username,
                                              self.clock.now()))

    @rpc
    def seal_info(self, unit: str) -> dict:
        info = self.storage.seal_info(unit)
        if info is None:
            raise NotFound(f"no seal for {unit}")
        return jsonable({"unit": info.pop("_id"), **info})

    # -- replies, pauses, the joint meeting ----------------------------------------------------
    @rpc
    def reply(self, request_id: str, n: int, body: dict, principal: dict) -> dict:
        reply_in = validated(ReplyIn, body)
        return request_view(usecases.reply(self.storage, request_id, n, reply_in,
                                           Principal.of(principal), self.clock.now))

    @rpc
    def pause(self, request_id: str, n: int, body: dict | None, principal: dict) -> dict:
        pause_in, caller = validated(PauseIn, body or {}), Principal.of(principal)
        return self.change(request_id, lambda request, now: domain.pause(
            request, domain.item_for(caller, request, n), pause_in.note, now))

    @rpc
    def resume(self, request_id: str, n: int, principal: dict) -> dict:
        caller = Principal.of(principal)
        return self.change(request_id, lambda request, now: domain.resume(
            request, domain.item_for(caller, request, n), now))

    @rpc
    def record_meeting(self, request_id: str, body: dict, principal: dict) -> dict:
        meeting, caller = validated(MeetingIn, body), Principal.of(principal)
        return self.change(request_id, lambda request, now: domain.meeting(
            request, caller, meeting.model_dump(), now))

    def change(self, request_id: str, decide) -> dict:
        """A change that claims no reference number (usecases.change_request)."""
        return request_view(usecases.change_request(
            self.storage, request_id, lambda request, now: (decide(request, now), None),
            self.clock.now))

    # -- the routing table -----------------------------------------------------------------------
    @rpc
    def routes(self) -> list[dict]:
        table = self.storage.routes()
        return [{"category": c, "label_zh": domain.CATEGORY_LABELS_ZH[c],
                 "department": table.get(c, domain.DEFAULT_ROUTES[c])} for c in domain.CATEGORIES]

    @rpc
    def set_route(self, category: str, body: dict, principal: dict) -> dict:
        if category not in domain.CATEGORIES:
            raise NotFound(f"没有类别 {category}", {"allowed": list(domain.CATEGORIES)})
        route = validated(RouteIn, body)
        check_unit(route.department, ["body", "department"])
        self.storage.set_route(category, route.department, Principal.of(principal).username,
                               self.clock.now())
        return {"category": category, "department": route.department}

    @rpc
    def leads_owed_by(self, department: str) -> list[str]:
        """The leads on which the department still owes a reply (its view of leads, scope.py)."""
        return sorted({r["lead_id"] for r in self.storage.open_requests_of(department)
                       if scope.owes(department, r)})

    # -- scope follows the lead's current team ------------------------------------------------
    @on_event("teams", "lead_assigned")
    def follow_team(self, envelope, assigned):
        self.storage.record_team(assigned.lead_id, assigned.team_id, envelope.occurred_at)

    # -- the clock's news, for the list's sla_state ------------------------------------------------
    @on_event("sla", "sla_warning")
    def record_warning(self, envelope, warning):
        self.record_sla(envelope, warning.kind, warning.subject_id, "sla_warning",
                        warning.model_dump())

    @on_event("sla", "sla_breached")
    def record_breach(self, envelope, breached):
        self.record_sla(envelope, breached.kind, breached.subject_id, "sla_breached", {})

    @on_event("sla", "clock_stopped")
    def record_stop(self, envelope, stopped):
        self.record_sla(envelope, stopped.kind, stopped.subject_id, "clock_stopped",
                        stopped.model_dump())

    def record_sla(self, envelope, kind, subject_id, event_type, data):
        usecases.record_sla(self.storage, envelope, kind, subject_id, event_type, data)
