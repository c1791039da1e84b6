"""The policy service's use cases: each loads the request, asks the domain (domain.py) for the
change, and has the repository store it with its events. No nameko here: the entrypoints
validate, call one of these, and shape the view."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from pymongo.errors import DuplicateKeyError

from services.leads.domain import query_keys
from services.policy import domain
from services.policy.repository import PolicyRepository, StaleRequest, request_search_keys
from shared import scope
from shared.change import Change
from shared.errors import NotAllowed, NotFound, Unavailable, field_invalid
from shared.scope import Principal
from shared.units import check_unit

RETRIES_ON_RACE = 5
# What importing a batch did: stored it, would store it (a dry run), or found it stored before.
CREATED, WOULD_CREATE, IMPORTED_BEFORE = "created", "would_create", "imported_before"


def lead_of(get_lead: Callable[[str], dict], lead_id: str, principal: Principal) -> dict:
    """The lead the request is tied to; unknown or outside a team member's team: 422."""
    try:
        lead = get_lead(lead_id)  # Unavailable when leads does not answer
    except NotFound:
        lead = None
    if lead is None or (principal.role == "team_member"
                        and not scope.may_see_lead(principal, lead)):
        raise field_invalid(["body", "lead_id"], f"没有线索 {lead_id}")
    if principal.role == "leader" and not scope.may_act_on_lead(principal, lead):
        raise NotAllowed("县领导只能为本组或本人领衔的项目提交诉求", {"lead_id": lead_id})
    return lead


def checked(request_in, principal: Principal, backdate_days: int, now: datetime) -> dict | None:
    """The received time and each item's department checked (before asking anyone); the
    record of a back-dating, or None."""
    backdated = None
    if request_in.received_at:
        backdated = domain.check_received_at(request_in.received_at, now, principal, backdate_days)
    for i, item in enumerate(request_in.items):
        check_unit(item.department, ["body", "items", str(i), "department"])
    return backdated


def new_request(requests: PolicyRepository, request_id: str, request_in, lead: dict,
                principal: Principal, backdated: dict | None, now: datetime) -> dict:
    request = domain.new_request(request_id, request_in.model_dump(), lead, requests.routes(),
                                 principal.username, now, backdated)
    request["search_keys"] = request_search_keys(request)
    return request


def submit(requests: PolicyRepository, request_in, get_lead, request_id: str, retried: bool,
           principal: Principal, backdate_days: int, now: datetime) -> dict:
    backdated = checked(request_in, principal, backdate_days, now)
    lead = lead_of(get_lead, request_in.lead_id, principal)
    if retried and (stored := requests.find(request_id)):
        return stored  # a retry of the same POST
    request = new_request(requests, request_id, request_in, lead, principal, backdated, now)
    return requests.insert(domain.submitted(request, principal.username), now)


def import_batch(requests: PolicyRepository, request_in, lead: dict, request_id: str,
                 principal: Principal, backdate_days: int, dry_run: bool,
                 now: datetime) -> tuple[dict, str]:
    """The batch's request and what this call did with it (CREATED, WOULD_CREATE,
    IMPORTED_BEFORE)."""
    backdated = checked(request_in, principal, backdate_days, now)
    existing = requests.find(request_id)
    if existing is not None:
        return existing, IMPORTED_BEFORE
    request = new_request(requests, request_id, request_in, lead, principal, backdated, now)
    request["imported"] = {"at": now, "by": principal.username}
    if dry_run:
        return request, WOULD_CREATE
    try:
        return requests.insert(domain.submitted(request, principal.username), now), CREATED
    except DuplicateKeyError:  # the same file at the same moment: the other stored it
        return requests.get(request_id), IMPORTED_BEFORE


def list_requests(requests: PolicyRepository, f, principal: Principal):
    query = {k: v for k, v in {"status": f.status, "sla_state": f.sla_state,
                               "lead_id": f.lead_id, "items.department": f.department
                               }.items() if v is not None}
    if f.q is not None:
        query["search_keys"] = {"$all": query_keys(f.q) or ["-"]}
    query.update(scope.request_filter(principal))  # shared/scope.py: the caller's requests only
    return requests.list_requests(query, f.page, f.page_size)


def change_request(requests: PolicyRepository, request_id: str,
                   decide: Callable[[dict, datetime], tuple[Change, dict | None]],
                   now: Callable[[], datetime]) -> dict:
    """Read, decide (pure) at the clock's now, store at the version read; on a concurrent
    change, again. `decide` gives the change and the reference number (文号) it claims, if any."""
    for _ in range(RETRIES_ON_RACE):
        request = requests.get(request_id)
        at = now()
        change, reference = decide(request, at)
        try:
            requests.update(request, change, at, reference)
        except StaleRequest:
            continue
        return requests.get(request_id)
    raise Unavailable("该诉求正被频繁修改，请稍后重试")


def reply(requests: PolicyRepository, request_id: str, n: int, reply_in, principal: Principal,
          now: Callable[[], datetime]) -> dict:
    def decide(request, at):
        item = domain.item_for(principal, request, n)
        reference = {"_id": domain.reference_key(item["department"], reply_in.reference_no, at),
                     "request_id": request_id, "n": n, "at": at}
        return domain.reply(request, item, reply_in.model_dump(), principal.username, at), \
            reference
    return change_request(requests, request_id, decide, now)


def record_sla(requests: PolicyRepository, envelope, kind: str, subject_id: str,
               event_type: str, data: dict) -> None:
    """An item's clock changed state: the item keeps it, the request's follows from all."""
    state = domain.sla_state_after(event_type, data)
    if kind != "policy_reply" or not state:
        return
    request_id, n = domain.item_of_subject(subject_id)
    for _ in range(RETRIES_ON_RACE):
        try:
            requests.record_sla_state(envelope, request_id, n, state, envelope.occurred_at)
            return
        except StaleRequest:
            continue
    raise Unavailable(f"request {request_id} is changing too fast; the event is retried")
