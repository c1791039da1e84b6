"""Rules about notifications: pure, no I/O.

A notification is addressed to one or more addresses: `user:<username>`, `role:<role>`,
`team:<team_id>`, `team-leader:<team_id>` (the team's county leader: a `leader` account with that
team_id), `branch:<branch_id>`, `department:<department>`. A user's inbox holds what is
addressed to any of the user's own addresses.

SLA alerts name audiences of the county's ladder (the sla service's kind table says who at
which threshold); `ladder_addresses` turns them into addresses. Each alert goes to the inbox,
to every configured webhook (JSON signed with HMAC-SHA256) and by e-mail when SMTP is set.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CHANNELS = ("inbox", "webhook", "email")
ADDRESS_KINDS = ("user", "role", "team", "team-leader", "branch", "department")
COUNTY_TIME = ZoneInfo("Asia/Shanghai")
SUPERVISION_OFFICE = "role:inspector"
FALLBACK = "role:admin"  # an alert with nobody to address goes to the admins, never nowhere
SIGNATURE_HEADER = "X-Kuaiban-Signature"


def addresses_of(principal: dict) -> list[str]:
    """Every address that reaches this user."""
    found = [f"user:{principal['username']}", f"role:{principal['role']}"]
    for kind, key in (("team", "team_id"), ("branch", "branch_id"), ("department", "department")):
        if principal.get(key):
            found.append(f"{kind}:{principal[key]}")
    if principal["role"] == "leader" and principal.get("team_id"):
        found.append(f"team-leader:{principal['team_id']}")
    return found


# --- what each event says, and to whom ----------------------------------------------------

@dataclass(frozen=True)
class Message:
    kind: str  # the event type it came from
    title: str
    body: str
    recipients: tuple[str, ...]


def local(when: datetime | str) -> str:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    return when.astimezone(COUNTY_TIME).strftime("%m月%d日%H:%M")


def ladder_addresses(audiences: list[str], context: dict) -> tuple[str, ...]:
    found: list[str] = []
    for audience in audiences:
        if audience == "department":
            found += [f"department:{d}" for d in context.get("departments") or []]
        elif audience == "team_leader" and context.get("team_id"):
            found.append(f"team-leader:{context['team_id']}")
        elif audience == "project_lead" and context.get("project_lead"):
            found.append(f"user:{context['project_lead']}")
        elif audience == "supervision":
            found.append(SUPERVISION_OFFICE)
    return tuple(dict.fromkeys(found)) or (FALLBACK,)


def sla_message(event_type: str, data: dict) -> Message:
    context = data["context"]
    estimate = "（工作日按周一至周五估算）" if data.get("estimated") else ""
    owing = "、".join(context.get("departments") or [])
    if event_type == "sla_breached":
        title = f"【超时】{data['label_zh']}已超期：{context['title']}"
        body = (f"{context['title']}自{local(data['started_at'])}起算，应于{local(data['due_at'])}"
                f"前办结，现已超期（已用时{data['elapsed_pct']:.0f}%）{estimate}。"
                + (f"尚未办结单位：{owing}。" if owing else ""))
    else:
        title = f"【预警】{data['label_zh']}已用时{data['threshold']}%：{context['title']}"
        body = (f"{context['title']}自{local(data['started_at'])}起算，应于{local(data['due_at'])}"
                f"前办结{estimate}，目前已用时{data['elapsed_pct']:.0f}%。"
                + (f"请{owing}抓紧办理。" if owing else ""))
    return Message(event_type, title, body, ladder_addresses(data["notify"], context))


def green_channel_message(data: dict) -> Message:
    return Message(
        "lead_assigned",
        f"重大项目「{data['title']}」已分配至{data['team_name']}",
        f"重大项目「{data['title']}」已分配至{data['team_name']}（县领导：{data['county_leader']}），"
        "纳入绿色服务通道，要素跟着项目走，请优先对接。",
        (f"team-leader:{data['team_id']}", f"team:{data['team_id']}"),
    )


def triage_message(data: dict) -> Message:
    return Message(
        "lead_unrouted",
        f"线索「{data['title']}」待分派",
        f"线索「{data['title']}」的行业「{data['industry']}」没有对应的专业招商协作组，请管理员分派。",
        ("role:admin",),
    )


def unreported_day_message(data: dict) -> Message:
    return Message(
        "trip_day_unreported",
        f"{data['day']} 赴{data['destination']}招商未报送当日小结",
        f"{data['day']}赴{data['destination']}外出招商，当日既无走访记录也无当晚小结，请补报。",
        (f"user:{data['secretary']}", f"branch:{data['branch_id']}"),
    )


# --- delivery -------------------------------------------------------------------------------

def signature(secret: str, body: bytes) -> str:
    """The webhook signature header value: `sha256=<hex HMAC of the raw body>`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


def backoff(attempts: int, base_seconds: float, cap_seconds: float = 3600) -> timedelta:
    """Wait before the next try after `attempts` failed ones: base, 2 base, 4 base, ..., capped."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0)))


def parse_email_routes(setting: str | None) -> dict[str, list[str]]:
    """"role:inspector=ducha@example.gov.cn; department:县供电公司=a@x,b@x" -> address -> e-mails."""
    routes: dict[str, list[str]] = {}
    for part in (setting or "").split(";"):
        if not part.strip():
            continue
        address, _, emails = part.partition("=")
        if not emails or ":" not in address:
            raise ValueError(f"EMAIL_ROUTES: {part!r} is not <address>=<e-mail>[,<e-mail>]")
        routes.setdefault(address.strip(), []).extend(
            e.strip() for e in emails.split(",") if e.strip())
    return routes


def email_recipients(recipients: list[str], routes: dict[str, list[str]],
                     everyone: list[str]) -> list[str]:
    """The mailboxes of an alert: those routed from its addresses, plus the catch-all ones."""
    found = [e for address in recipients for e in routes.get(address, [])]
    return list(dict.fromkeys([*found, *everyone]))
