"""The policy service: batches of policy and factor requests and their stamped replies.

`actor` arguments are the caller's principal as the gateway authenticated it
(username, role, team_id, department): the scope rules are in domain.py.
"""
from __future__ import annotations

import base64

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy, rpc
from pymongo.errors import DuplicateKeyError

from services.policy import domain
from services.policy.batch_sheet import batch_key
from services.policy.letter import LetterSetter, departments_in_order
from services.policy.repository import (
    PolicyRepository, StaleRequest, request_search_keys, seed_routes,
)
from services.policy.schemas import (
    MeetingIn, PauseIn, PolicyRequestCreate, ReplyIn, RequestFilter, RouteIn,
)
from shared import scope
from services.leads.domain import query_keys
from shared.clock import Clock
from shared.errors import InvalidInput, NotAllowed, NotFound, Unavailable, field_invalid
from shared.events import (
    PolicyItemPaused, PolicyItemReplied, PolicyItemResumed, PolicyItemRouted,
    PolicyRequestClosed, PolicyRequestReceived, make_event,
)
from shared.units import check_unit
from shared.handlers import on_event
from shared.idempotency import IdempotencyKey, new_id
from shared.jsonable import jsonable
from shared.rpc import call
from shared.schemas import page_of, validated
from shared.storage import Storage

RETRIES_ON_RACE = 5


def as_query(exc: InvalidInput) -> InvalidInput:
    """The same 422 with `body` in each error's location read as `query` (an import's lead_id,
    enterprise and received_at are query parameters; its items come from the file)."""
    extra = exc.extra
    for error in extra.get("errors", []):
        loc = error.get("loc") or []
        if loc[:1] == ["body"] and loc[1:2] != ["items"]:
            error["loc"] = ["query", *loc[1:]]
    return InvalidInput(exc.detail, extra)


def request_view(request: dict) -> dict:
    return jsonable({"id": request["_id"], **{k: v for k, v in request.items()
                                               if k not in ("_id", "version", "search_keys")}})


class PolicyService:
    name = "policy"

    storage = Storage(PolicyRepository, on_start=seed_routes)
    clock = Clock()
    config = Config()
    leads = RpcProxy("leads")
    idempotency_key = IdempotencyKey()
    letters = LetterSetter()

    @property
    def backdate_days(self) -> int:
        return int(self.config.get("BACKDATE_DAYS") or domain.BACKDATE_DAYS)

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    # -- intake ------------------------------------------------------------------------------
    @rpc
    def submit(self, body: dict, actor: dict) -> dict:
        request_in = validated(PolicyRequestCreate, body)
        now = self.clock.now()
        backdated = None
        if request_in.received_at:  # before asking anyone
            backdated = domain.check_received_at(request_in.received_at, now, actor,
                                                 self.backdate_days)
        for i, item in enumerate(request_in.items):
            check_unit(item.department, ["body", "items", str(i), "department"])
        lead = self.lead_of(request_in.lead_id, actor)
        request_id = new_id(actor["username"], self.idempotency_key)
        if self.idempotency_key and self.storage.find(request_id):
            return request_view(self.storage.find(request_id))  # a retry of the same POST
        request, event = self.new_request(request_id, request_in.model_dump(), lead, actor, now,
                                          backdated)
        self.storage.insert(request, [event])
        return request_view(request)

    def new_request(self, request_id: str, body: dict, lead: dict, actor: dict, now,
                    backdated: dict | None):
        """The request's document and its `policy_request_received` event."""
        request = domain.new_request(request_id, body, lead, self.storage.routes(),
                                     actor["username"], now, backdated)
        request["search_keys"] = request_search_keys(request)
        received = PolicyRequestReceived(
            request_id=request["_id"], lead_id=request["lead_id"],
            lead_title=request["lead_title"], enterprise=request["enterprise"],
            received_at=request["received_at"], due_at=request["due_at"],
            items=[PolicyItemRouted(n=i["n"], topic=i["topic"], category=i["category"],
                                    department=i["department"]) for i in request["items"]],
            team_id=request["team_id"], project_lead=request["project_lead"],
            submitted_by=actor["username"],
        )
        return request, make_event(self.name, received, now)

    @rpc
    def import_batch(self, body: dict, actor: dict, dry_run: bool) -> dict:
        """An enterprise's batch read from a spreadsheet (services/policy/batch_sheet.py), as
        POST /policy-requests takes it but `enterprise` optional (else the lead's company).
        Its id is the batch's key (lead, enterprise, items): the same file again, or a retried
        commit, finds the request the first stored (`already_imported`) and creates nothing.
        A dry run checks and routes the same without writing. `lead_id` and `received_at`
        came as query parameters, and 422s name them so."""
        try:
            return self._import_batch(body, actor, dry_run)
        except InvalidInput as exc:
            raise as_query(exc) from None

    def _import_batch(self, body: dict, actor: dict, dry_run: bool) -> dict:
        now = self.clock.now()
        lead_id = body.get("lead_id")
        if not isinstance(lead_id, str) or not lead_id.strip():
            raise field_invalid(["body", "lead_id"], "必填：诉求所属的线索")
        lead = self.lead_of(lead_id, actor)
        enterprise = body.get("enterprise") or (lead.get("company") or {}).get("name")
        request_in = validated(PolicyRequestCreate, {**body, "enterprise": enterprise})
        backdated = None
        if request_in.received_at:
            backdated = domain.check_received_at(request_in.received_at, now, actor,
                                                 self.backdate_days)
        for i, item in enumerate(request_in.items):
            check_unit(item.department, ["body", "items", str(i), "department"])
        items = request_in.model_dump()["items"]
        request_id = batch_key(request_in.lead_id, request_in.enterprise, items)
        existing = self.storage.find(request_id)
        if existing is not None:
            return {"id": request_id, "created": False, "would_create": False,
                    "already_imported": True, "request": request_view(existing)}
        request, event = self.new_request(request_id, request_in.model_dump(), lead, actor, now,
                                          backdated)
        request["imported"] = {"at": now, "by": actor["username"]}
        if not dry_run:
            try:
                self.storage.insert(request, [event])
            except DuplicateKeyError:  # the same file at the same moment: the other stored it
                return {"id": request_id, "created": False, "would_create": False,
                        "already_imported": True,
                        "request": request_view(self.storage.get(request_id))}
        return {"id": request_id, "created": not dry_run, "would_create": True,
                "already_imported": False, "request": request_view(request)}

    def lead_of(self, lead_id: str, actor: dict) -> dict:
        """The lead the request is tied to; unknown or outside a team member's team: 422."""
        try:
            lead = call(self.leads, "get", lead_id)  # Unavailable when leads does not answer
        except NotFound:
            lead = None
        if lead is None or (actor.get("role") == "team_member"
                            and not scope.may_see_lead(actor, lead)):
            raise field_invalid(["body", "lead_id"], f"没有线索 {lead_id}")
        if actor.get("role") == "leader" and not scope.may_act_on_lead(actor, lead):
            raise NotAllowed("县领导只能为本组或本人领衔的项目提交诉求", {"lead_id": lead_id})
        return lead

    # -- reading -----------------------------------------------------------------------------
    @rpc
    def get(self, request_id: str, actor: dict) -> dict:
        return request_view(domain.scoped(actor, self.storage.get(request_id)))

    @rpc
    def list_requests(self, filters: dict, actor: dict | None = None) -> dict:
        f = validated(RequestFilter, filters, ("query",))
        query = {k: v for k, v in {"status": f.status, "sla_state": f.sla_state,
                                   "lead_id": f.lead_id, "items.department": f.department
                                   }.items() if v is not None}
        if f.q is not None:
            query["search_keys"] = {"$all": query_keys(f.q) or ["-"]}
        actor = actor or {"role": "admin"}
        query.update(scope.request_filter(actor))  # shared/scope.py: the caller's requests only
        docs, total = self.storage.list_requests(query, f.page, f.page_size)
        return page_of([request_view(domain.scoped(actor, d)) for d in docs], total, f)

    @rpc
    def letter(self, request_id: str, actor: dict) -> str:
        """The reply letter as PDF, base64-encoded to cross RPC."""
        request = domain.scoped(actor, self.storage.get(request_id))
        seals = self.storage.seals(departments_in_order(request["items"]))
        return base64.b64encode(self.letters(request, seals)).decode("ascii")

    # -- seals (印章), printed over each department's 落款 ---------------------------------------
    @rpc
    def set_seal(self, unit: str, content_b64: str, actor: str) -> dict:
        png = base64.b64decode(content_b64)
        sha256 = domain.check_seal(png)
        return jsonable(self.storage.set_seal(unit, png, sha256, actor, self.clock.now()))

    @rpc
    def seal_info(self, unit: str) -> dict:
        info = self.storage.seal_info(unit)
        if info is None:
            raise NotFound(f"no seal for {unit}")
        return jsonable({"unit": info.pop("_id"), **info})

    # -- replies, pauses, the joint meeting ----------------------------------------------------
    @rpc
    def reply(self, request_id: str, n: int, body: dict, actor: dict) -> dict:
        reply_in = validated(ReplyIn, body)

        def change(request, now):
            item = domain.item_for(actor, request, n)
            changes = domain.reply(request, item, reply_in.model_dump(), actor["username"], now)
            pause = domain.current_pause(item)
            events = [make_event(self.name, PolicyItemReplied(
                request_id=request_id, n=n, department=item["department"],
                reference_no=reply_in.reference_no, signer=reply_in.signer, replied_at=now,
                ended_pause=pause["key"] if pause else None), now)]
            if changes.get("status") == "closed":
                events.append(make_event(self.name, PolicyRequestClosed(
                    request_id=request_id, received_at=request["received_at"], closed_at=now,
                    items=len(request["items"])), now))
            reference = {"_id": domain.reference_key(item["department"], reply_in.reference_no,
                                                     now),
                         "request_id": request_id, "n": n, "at": now}
            return changes, events, reference
        return self.change(request_id, change)

    @rpc
    def pause(self, request_id: str, n: int, body: dict | None, actor: dict) -> dict:
        pause_in = validated(PauseIn, body or {})

        def change(request, now):
            item = domain.item_for(actor, request, n)
            changes, key = domain.pause(request, item, pause_in.note, now)
            return changes, [make_event(self.name, PolicyItemPaused(
                request_id=request_id, n=n, pause_key=key, paused_at=now, note=pause_in.note),
                now)], None
        return self.change(request_id, change)

    @rpc
    def resume(self, request_id: str, n: int, actor: dict) -> dict:
        def change(request, now):
            item = domain.item_for(actor, request, n)
            changes, key = domain.resume(request, item, now)
            return changes, [make_event(self.name, PolicyItemResumed(
                request_id=request_id, n=n, pause_key=key, resumed_at=now), now)], None
        return self.change(request_id, change)

    @rpc
    def record_meeting(self, request_id: str, body: dict, actor: dict) -> dict:
        meeting = validated(MeetingIn, body)

        def change(request, now):
            domain.check_may_act(actor, request)
            return {"meeting": {**meeting.model_dump(), "recorded_by": actor["username"],
                                "recorded_at": now}}, [], None
        return self.change(request_id, change)

    def change(self, request_id: str, decide) -> dict:
        """Read, decide (pure), write at the version read; on a concurrent change, again."""
        for _ in range(RETRIES_ON_RACE):
            request = self.storage.get(request_id)
            now = self.clock.now()
            changes, events, reference = decide(request, now)
            try:
                self.storage.update(request, changes, events, reference)
            except StaleRequest:
                continue
            return request_view(self.storage.get(request_id))
        raise Unavailable("该诉求正被频繁修改，请稍后重试")

    # -- the routing table -----------------------------------------------------------------------
    @rpc
    def routes(self) -> list[dict]:
        table = self.storage.routes()
        return [{"category": c, "label_zh": domain.CATEGORY_LABELS_ZH[c],
                 "department": table.get(c, domain.DEFAULT_ROUTES[c])} for c in domain.CATEGORIES]

    @rpc
    def set_route(self, category: str, body: dict, actor: str) -> dict:
        if category not in domain.CATEGORIES:
            raise NotFound(f"没有类别 {category}", {"allowed": list(domain.CATEGORIES)})
        route = validated(RouteIn, body)
        check_unit(route.department, ["body", "department"])
        self.storage.set_route(category, route.department, actor, self.clock.now())
        return {"category": category, "department": route.department}

    @rpc
    def leads_owed_by(self, department: str) -> list[str]:
        """The leads on which the department still owes a reply (its view of leads, scope.py)."""
        return sorted({r["lead_id"] for r in self.storage.open_requests_of(department)
                       if scope.owes(department, r)})

    # -- scope follows the lead's current team ------------------------------------------------
    @on_event("teams", "lead_assigned")
    def follow_team(self, envelope, assigned):
        self.storage.record_team(envelope, assigned.lead_id, assigned.team_id,
                                 envelope.occurred_at)

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
        """An item's clock changed state: the item keeps it, the request's follows from all."""
        state = domain.sla_state_after(event_type, data)
        if kind != "policy_reply" or not state:
            return
        request_id, n = domain.item_of_subject(subject_id)
        for _ in range(RETRIES_ON_RACE):
            try:
                self.storage.record_sla_state(envelope, request_id, n, state,
                                              envelope.occurred_at)
                return
            except StaleRequest:
                continue
        raise Unavailable(f"request {request_id} is changing too fast; the event is retried")
