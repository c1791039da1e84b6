"""Rules about policy requests: pure, no I/O.

A request is a batch of 1 to 50 numbered items raised by one enterprise for one lead. Each
item is routed to the department that must answer it (by category, through an editable
table, or named on the item), may be paused while the enterprise supplies documents, and
gets one stamped reply (盖章函复). The request closes when every item has its reply.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from nameko.exceptions import deserialize_to_instance

from shared import filetypes, scope
from shared.backdating import BACKDATE_DAYS, backdating
from shared.scope import Principal
from shared.change import Change
from shared.errors import (
    Conflict, InvalidInput, KuaibanError, NotAllowed, NotFound, field_invalid,
)
from shared.events import (
    PolicyItemPaused, PolicyItemReplied, PolicyItemResumed, PolicyItemRouted,
    PolicyRequestClosed, PolicyRequestReceived,
)


class PolicyError(KuaibanError):
    """Base of the errors the policy service's rules raise."""


@deserialize_to_instance
class ItemStateConflict(PolicyError, Conflict):
    """An item's reply, pause or resume that its state does not allow; `extra` says what is."""

REPLY_WITHIN = timedelta(hours=48)  # the county's headline promise: a stamped reply in 48 hours
COUNTY_TIME = ZoneInfo("Asia/Shanghai")
MAX_ITEMS = 50
CATEGORIES = ("policy", "land", "power", "water", "gas", "environment", "permit", "finance",
              "talent", "other")
CATEGORY_LABELS_ZH = {
    "policy": "投资政策", "land": "用地", "power": "用电", "water": "用水", "gas": "用气",
    "environment": "环保", "permit": "审批许可", "finance": "金融财税", "talent": "人才",
    "other": "其他",
}
# The first routing table; admins edit it (PUT /policy-routes/{category}).
DEFAULT_ROUTES = {
    "policy": "县商务局",
    "land": "县自然资源和规划局",
    "power": "县供电公司",
    "water": "县水务局",
    "gas": "县住房和城乡建设局",
    "environment": "县生态环境局",
    "permit": "县行政审批局",
    "finance": "县财政局",
    "talent": "县人力资源和社会保障局",
    "other": "县投资促进中心",
}
REQUEST_STATUSES = ("open", "closed")
ITEM_STATUSES = ("open", "paused", "replied")
ITEM_STATUS_ZH = {"open": "办理中", "paused": "已暂停", "replied": "已答复"}
SLA_STATES = ("on_track", "warning", "breached", "met", "met_late")
# Who may read everything; others see only their scope.
READ_ALL_ROLES = ("admin", "leader", "inspector")


def check_received_at(received_at: datetime, now: datetime, principal: Principal | None = None,
                      backdate_days: int = BACKDATE_DAYS) -> dict | None:
    """Never in the future; at most `backdate_days` back unless an admin enters it. Returns
    the record of a back-dating (who, by how much), or None."""
    if received_at > now:
        raise field_invalid(["body", "received_at"], "可以是过去的时间，不能晚于现在")
    return backdating(received_at, now, principal, backdate_days, ["body", "received_at"])


def route_items(items: list[dict], routes: dict[str, str]) -> list[dict]:
    """Number the items from 1 and give each its department (named on the item, else by category)."""
    return [
        {"n": n, "topic": item["topic"], "category": item["category"], "text": item["text"],
         "department": item.get("department") or routes.get(item["category"])
         or DEFAULT_ROUTES[item["category"]],
         "status": "open", "pauses": [], "reply": None, "sla_state": "on_track"}
        for n, item in enumerate(items, start=1)
    ]


def new_request(request_id: str, body: dict, lead: dict, routes: dict[str, str], actor: str,
                now: datetime, backdated: dict | None = None) -> dict:
    received_at = body.get("received_at") or now
    if received_at > now:
        check_received_at(received_at, now)
    return {
        "_id": request_id,
        "lead_id": body["lead_id"],
        "lead_title": lead.get("title") or "",
        "team_id": lead.get("team_id"),
        "team_assigned_at": assigned_at_of(lead),
        "project_lead": project_lead_of(lead),
        "enterprise": body["enterprise"],
        "received_at": received_at,
        "due_at": received_at + REPLY_WITHIN,
        "items": route_items(body["items"], routes),
        "meeting": None,
        "status": "open",
        "closed_at": None,
        "sla_state": "on_track",
        "created_by": actor,
        "created_at": now,
        "backdated": backdated,
        "version": 0,
    }


def assigned_at_of(lead: dict) -> datetime | None:
    """When the lead got the team it has now: a later `lead_assigned` moves the request too."""
    at = lead.get("team_assigned_at")
    return datetime.fromisoformat(at) if isinstance(at, str) else at


def project_lead_of(lead: dict) -> str | None:
    """The county-level project lead (项目长) of the lead's "four ones", when set."""
    four_ones = lead.get("four_ones") or {}
    person = four_ones.get("project_lead") or lead.get("project_lead")
    if isinstance(person, dict):
        person = person.get("username") or person.get("name")
    return person or None


def departments_of(request: dict) -> list[str]:
    return sorted({item["department"] for item in request["items"]})


# --- who sees and acts -------------------------------------------------------------------

def may_see(principal: Principal, request: dict) -> bool:
    return scope.may_see_request(principal, request)


def scoped(principal: Principal, request: dict) -> dict:
    """The request as the caller may see it (shared/scope.py): a department sees its own items."""
    if not scope.may_see_request(principal, request):
        raise NotFound(f"没有诉求 {request['_id']}")  # 404: ids leak nothing
    return scope.request_view_for(principal, request)


def item_for(principal: Principal, request: dict, n: int) -> dict:
    """Item n, if the caller may act on it; another department's item is 404."""
    for item in scoped(principal, request)["items"]:
        if item["n"] == n and scope.may_act_on_item(principal, request, item):
            return item
    raise NotFound(f"诉求 {request['_id']} 没有第 {n} 项")


def check_may_act(principal: Principal, request: dict) -> None:
    """The request as a whole (the joint meeting): 404 outside scope, 403 for a read-only view."""
    scoped(principal, request)
    if not scope.may_act_on_request(principal, request):
        raise NotAllowed("县领导只能操作本组或本人领衔项目的诉求", {"request_id": request["_id"]})


# --- changes -------------------------------------------------------------------------------

def reference_key(department: str, reference_no: str, replied_at: datetime) -> str:
    """A reference number (文号) is unique per department and year."""
    year = replied_at.astimezone(COUNTY_TIME).year
    return f"{department}|{year}|{reference_no}"


def submitted(request: dict, submitted_by: str) -> Change:
    """A new request (every field set) and its `policy_request_received`."""
    return Change(set=request, events=(PolicyRequestReceived(
        request_id=request["_id"], lead_id=request["lead_id"], lead_title=request["lead_title"],
        enterprise=request["enterprise"], received_at=request["received_at"],
        due_at=request["due_at"],
        items=[PolicyItemRouted(n=i["n"], topic=i["topic"], category=i["category"],
                                department=i["department"]) for i in request["items"]],
        team_id=request["team_id"], project_lead=request["project_lead"],
        submitted_by=submitted_by),))


def reply(request: dict, item: dict, body: dict, actor: str, now: datetime) -> Change:
    """The stamped reply to one item (ending its pause, if it was paused), and the request
    closed when it was the last item to answer."""
    if request["status"] == "closed" or item["status"] == "replied":
        raise ItemStateConflict(f"第 {item['n']} 项已有盖章答复",
                                {"item_status": item["status"], "allowed": []})
    if body["department"] != item["department"]:
        # A reply from another department is as if the item did not exist for it.
        raise NotFound(f"{body['department']} 没有第 {item['n']} 项诉求")
    index = item["n"] - 1
    changes: dict[str, object] = {
        f"items.{index}.status": "replied",
        f"items.{index}.reply": {**body, "replied_at": now, "replied_by": actor},
    }
    open_pause = current_pause(item)
    if open_pause is not None:  # the enterprise's wait ends with the reply
        changes[f"items.{index}.pauses.{len(item['pauses']) - 1}.until"] = now
    replied = Change(set=changes, events=(PolicyItemReplied(
        request_id=request["_id"], n=item["n"], department=item["department"],
        reference_no=body["reference_no"], signer=body["signer"], replied_at=now,
        ended_pause=open_pause["key"] if open_pause else None),))
    if all(i["status"] == "replied" for i in request["items"] if i["n"] != item["n"]):
        return replied.setting(status="closed", closed_at=now).causing(PolicyRequestClosed(
            request_id=request["_id"], received_at=request["received_at"], closed_at=now,
            items=len(request["items"])))
    return replied


def current_pause(item: dict) -> dict | None:
    if item["pauses"] and item["pauses"][-1].get("until") is None:
        return item["pauses"][-1]
    return None


def pause_key(request_id: str, item: dict, number: int) -> str:
    return f"item-{item['n']}-{number}"


def pause(request: dict, item: dict, note: str | None, now: datetime) -> Change:
    """The item's clock held while the enterprise is waited for (a new pause key each time)."""
    if item["status"] != "open":
        raise ItemStateConflict(
            f"第 {item['n']} 项{ITEM_STATUS_ZH.get(item['status'], item['status'])}",
            {"item_status": item["status"],
             "allowed": ["resume"] if item["status"] == "paused" else []})
    key = pause_key(request["_id"], item, len(item["pauses"]) + 1)
    index = item["n"] - 1
    return Change(
        set={f"items.{index}.status": "paused",
             f"items.{index}.pauses": [*item["pauses"], {"key": key, "since": now,
                                                         "until": None, "note": note}]},
        events=(PolicyItemPaused(request_id=request["_id"], n=item["n"], pause_key=key,
                                 paused_at=now, note=note),))


def resume(request: dict, item: dict, now: datetime) -> Change:
    if item["status"] != "paused":
        raise ItemStateConflict(
            f"第 {item['n']} 项{ITEM_STATUS_ZH.get(item['status'], item['status'])}，没有暂停",
            {"item_status": item["status"],
             "allowed": ["pause", "reply"] if item["status"] == "open" else []})
    index = item["n"] - 1
    last = len(item["pauses"]) - 1
    return Change(
        set={f"items.{index}.status": "open", f"items.{index}.pauses.{last}.until": now},
        events=(PolicyItemResumed(request_id=request["_id"], n=item["n"],
                                  pause_key=item["pauses"][last]["key"], resumed_at=now),))


def meeting(request: dict, principal: Principal, meeting_in: dict, now: datetime) -> Change:
    """The joint study meeting (联合会商) of the whole request."""
    check_may_act(principal, request)
    return Change(set={"meeting": {**meeting_in, "recorded_by": principal.username,
                                   "recorded_at": now}})


# An item's state only moves forward: a warning that arrives after the item's stop (events
# travel on separate queues) changes nothing.
STATE_RANK = {"on_track": 0, "warning": 1, "breached": 2, "met": 3, "met_late": 3}


def item_of_subject(subject_id: str) -> tuple[str, int | None]:
    """"<request_id>-<n>" -> (request_id, n); a batch clock of before (no item) -> (id, None)."""
    request_id, _, n = subject_id.rpartition("-")
    return (request_id, int(n)) if request_id and n.isdigit() else (subject_id, None)


def later_state(current: str | None, new: str) -> str:
    current = current or "on_track"
    return new if STATE_RANK[new] > STATE_RANK[current] else current


def request_sla_state(item_states: list[str | None]) -> str:
    """The batch's state from its items': met when all are met, breached when any is."""
    states = [s or "on_track" for s in item_states]
    if states and all(s in ("met", "met_late") for s in states):
        return "met" if all(s == "met" for s in states) else "met_late"
    if any(s in ("breached", "met_late") for s in states):
        return "breached"
    if any(s == "warning" for s in states):
        return "warning"
    return "on_track"


def request_sla(request: dict, clocks: dict[int, dict]) -> dict:
    """`sla` of a request from its items' clocks (`clocks` by item number): the earliest due
    time still owed, the furthest elapsed share, the state by request_sla_state."""
    states, open_due, pcts, hours = [], [], [], []
    for item in request["items"]:
        clock = clocks.get(item["n"])
        state = later_state(item.get("sla_state"), clock["state"]) if clock else (
            item.get("sla_state") or "on_track")
        states.append(state)
        if clock:
            pcts.append(clock["elapsed_pct"])
            hours.append(clock["counted_hours"])
            if not clock.get("stopped_at"):
                open_due.append(clock["due_at"])
    open_items = [i for i in request["items"] if i["status"] != "replied"]
    return {
        "due_at": min((d for d in open_due if d), default=request["due_at"]),
        "elapsed_pct": max(pcts) if pcts else None,
        "state": request_sla_state(states),
        "paused": bool(open_items) and all(i["status"] == "paused" for i in open_items),
        "counted_hours": max(hours) if hours else None,
        "items": len(states),
        "items_breached": sum(s in ("breached", "met_late") for s in states),
    }


def sla_state_after(event_type: str, data: dict) -> str | None:
    """The request's sla_state after an sla event about its clock."""
    if event_type == "sla_breached":
        return "breached"
    if event_type == "sla_warning":
        return "warning" if data["threshold"] >= 75 else None
    if event_type == "clock_stopped":
        return data["state"]
    return None


# --- seals -----------------------------------------------------------------------------------
SEAL_MAX_BYTES = 2 * 1024 * 1024
SEAL_MIN_PIXELS, SEAL_MAX_PIXELS = 100, 4000


def check_seal(png: bytes) -> str:
    """A seal is a PNG that can be transparent (printed over the 落款's text), of a sane size;
    its SHA-256. Anything else: 422 in Chinese."""
    def refuse(message: str) -> NoReturn:
        raise InvalidInput(message, {"errors": [{"loc": ["body"], "msg": message}]})
    if not png:
        refuse("印章文件为空")
    if len(png) > SEAL_MAX_BYTES:
        refuse(f"印章文件不能超过 {SEAL_MAX_BYTES // 1024 // 1024} MB")
    shape = filetypes.png_size_and_alpha(png)
    if shape is None:
        refuse("印章须为 PNG 图片（按文件内容判断）")
    width, height, alpha = shape
    if not alpha:
        refuse("印章 PNG 须带透明通道（盖在落款文字之上）")
    if not (SEAL_MIN_PIXELS <= min(width, height) and max(width, height) <= SEAL_MAX_PIXELS):
        refuse(f"印章图片的边长须在 {SEAL_MIN_PIXELS} 至 {SEAL_MAX_PIXELS} 像素之间")
    return hashlib.sha256(png).hexdigest()
