"""Rules about policy requests: pure, no I/O.

A request is a batch of 1 to 50 numbered items raised by one enterprise for one lead. Each
item is routed to the department that must answer it (by category, through an editable
table, or named on the item), may be paused while the enterprise supplies documents, and
gets one stamped reply (盖章函复). The request closes when every item has its reply.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.errors import Conflict, InvalidInput, NotFound

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
SLA_STATES = ("on_track", "warning", "breached", "met", "met_late")
# Who may read everything; others see only their scope.
READ_ALL_ROLES = ("admin", "leader", "inspector")


def check_received_at(received_at: datetime, now: datetime) -> None:
    if received_at > now:
        raise InvalidInput("received_at is in the future", {"errors": [
            {"loc": ["body", "received_at"], "msg": "may be in the past, never in the future"}]})


def route_items(items: list[dict], routes: dict[str, str]) -> list[dict]:
    """Number the items from 1 and give each its department (named on the item, else by category)."""
    return [
        {"n": n, "topic": item["topic"], "category": item["category"], "text": item["text"],
         "department": item.get("department") or routes.get(item["category"])
         or DEFAULT_ROUTES[item["category"]],
         "status": "open", "pauses": [], "reply": None}
        for n, item in enumerate(items, start=1)
    ]


def new_request(request_id: str, body: dict, lead: dict, routes: dict[str, str], actor: str,
                now: datetime) -> dict:
    received_at = body.get("received_at") or now
    check_received_at(received_at, now)
    return {
        "_id": request_id,
        "lead_id": body["lead_id"],
        "lead_title": lead.get("title") or "",
        "team_id": lead.get("team_id"),
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
        "version": 0,
    }


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

def may_see(actor: dict, request: dict) -> bool:
    role = actor.get("role")
    if role in READ_ALL_ROLES:
        return True
    if role == "team_member":
        return bool(actor.get("team_id")) and request.get("team_id") == actor.get("team_id")
    if role == "department":
        return actor.get("department") in departments_of(request)
    return False


def scoped(actor: dict, request: dict) -> dict:
    """The request as the actor may see it: a department sees its own items only."""
    if not may_see(actor, request):
        raise NotFound(f"no policy request {request['_id']}")  # 404: ids leak nothing
    if actor.get("role") == "department":
        return {**request, "items": [i for i in request["items"]
                                     if i["department"] == actor.get("department")]}
    return request


def item_for(actor: dict, request: dict, n: int) -> dict:
    """Item n, if the actor may act on it; another department's item is 404."""
    for item in scoped(actor, request)["items"]:
        if item["n"] == n:
            return item
    raise NotFound(f"no item {n} in policy request {request['_id']}")


# --- changes -------------------------------------------------------------------------------

def reference_key(department: str, reference_no: str, replied_at: datetime) -> str:
    """A reference number (文号) is unique per department and year."""
    year = replied_at.astimezone(COUNTY_TIME).year
    return f"{department}|{year}|{reference_no}"


def reply(request: dict, item: dict, body: dict, actor: str, now: datetime) -> dict:
    """The stamped reply to one item; returns the changed fields (`$set`) of the request."""
    if request["status"] == "closed" or item["status"] == "replied":
        raise Conflict(f"item {item['n']} already has its stamped reply",
                       {"item_status": item["status"], "allowed": []})
    if body["department"] != item["department"]:
        # A reply from another department is as if the item did not exist for it.
        raise NotFound(f"no item {item['n']} for {body['department']}")
    index = item["n"] - 1
    changes: dict[str, object] = {
        f"items.{index}.status": "replied",
        f"items.{index}.reply": {**body, "replied_at": now, "replied_by": actor},
    }
    open_pause = current_pause(item)
    if open_pause is not None:  # the enterprise's wait ends with the reply
        changes[f"items.{index}.pauses.{len(item['pauses']) - 1}.until"] = now
    others_done = all(i["status"] == "replied" for i in request["items"] if i["n"] != item["n"])
    if others_done:
        changes.update({"status": "closed", "closed_at": now})
    return changes


def current_pause(item: dict) -> dict | None:
    if item["pauses"] and item["pauses"][-1].get("until") is None:
        return item["pauses"][-1]
    return None


def pause_key(request_id: str, item: dict, number: int) -> str:
    return f"item-{item['n']}-{number}"


def pause(request: dict, item: dict, note: str | None, now: datetime) -> tuple[dict, str]:
    if item["status"] != "open":
        raise Conflict(f"item {item['n']} is {item['status']}",
                       {"item_status": item["status"],
                        "allowed": ["resume"] if item["status"] == "paused" else []})
    key = pause_key(request["_id"], item, len(item["pauses"]) + 1)
    index = item["n"] - 1
    return ({f"items.{index}.status": "paused",
             f"items.{index}.pauses": [*item["pauses"], {"key": key, "since": now, "until": None,
                                                         "note": note}]}, key)


def resume(request: dict, item: dict, now: datetime) -> tuple[dict, str]:
    if item["status"] != "paused":
        raise Conflict(f"item {item['n']} is {item['status']}, not paused",
                       {"item_status": item["status"],
                        "allowed": ["pause", "reply"] if item["status"] == "open" else []})
    index = item["n"] - 1
    last = len(item["pauses"]) - 1
    return ({f"items.{index}.status": "open", f"items.{index}.pauses.{last}.until": now},
            item["pauses"][last]["key"])


def sla_state_after(event_type: str, data: dict) -> str | None:
    """The request's sla_state after an sla event about its clock."""
    if event_type == "sla_breached":
        return "breached"
    if event_type == "sla_warning":
        return "warning" if data["threshold"] >= 75 else None
    if event_type == "clock_stopped":
        return data["state"]
    return None
