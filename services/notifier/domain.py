"""Rules about notifications: pure, no I/O.

A notification is addressed to one or more addresses: `user:<username>`, `role:<role>`,
`team:<team_id>`, `team-leader:<team_id>` (the team's county leader: a `leader` account with that
team_id), `branch:<branch_id>`, `department:<department>`, `department-leader:<department>` (the
county leader overseeing it: a `leader` account with that department). A user's inbox holds what is
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

from nameko.exceptions import deserialize_to_instance

from shared import scope
from shared.errors import KuaibanError, NotFound


class NotifierError(KuaibanError):
    """Base of the errors the notifier service's rules raise."""


@deserialize_to_instance
class NotNotified(NotifierError, NotFound):
    """No such notification, or not one of the reader's: as if it did not exist."""


CHANNELS = ("inbox", "webhook", "email")
ADDRESS_KINDS = ("user", "role", "team", "team-leader", "branch", "department",
                 "department-leader")
COUNTY_TIME = ZoneInfo("Asia/Shanghai")
SUPERVISION_OFFICE = "role:inspector"
FALLBACK = "role:admin"  # an alert with nobody to address goes to the admins, never nowhere
SIGNATURE_HEADER = "X-Kuaiban-Signature"


def addresses_of(principal: dict) -> list[str]:
    """Every address that reaches this user (the inbox's scope: shared/scope.py)."""
    return scope.addresses_of(principal)


# --- what each event says, and to whom ----------------------------------------------------

@dataclass(frozen=True)
class Message:
    kind: str  # the event type it came from
    title: str
    body: str
    recipients: tuple[str, ...]
    # Messages with the same key are one notification that gathers their items (a batch's
    # 16 items passing 90% together tell the county leader once).
    group_key: str | None = None
    item: int | None = None


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
        elif audience == "department_leader":
            found += [f"department-leader:{d}" for d in context.get("departments") or []]
        elif audience == "project_lead" and context.get("project_lead"):
            found.append(f"user:{context['project_lead']}")
        elif audience == "submitter" and context.get("submitted_by"):
            found.append(f"user:{context['submitted_by']}")
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


OWING_AUDIENCES = ("department", "department_leader")


def ascii_key(name: str) -> str:
    """A department's name as part of a notification id: the id travels in URLs and in a
    webhook's X-Kuaiban-Delivery header, which carries ASCII only."""
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def sla_messages(event_type: str, data: dict) -> list[Message]:
    """The messages of an SLA alert. A policy item's alert goes to its department (and the
    county leader overseeing it) gathered per department and batch, and to everyone else of
    the ladder gathered per batch: one notice per rung, however many items pass it."""
    context = data["context"]
    if not context.get("request_id"):
        return [sla_message(event_type, data)]
    rung = data.get("threshold", 100)
    key = f"{event_type}:{context['request_id']}:{rung}"
    owing = [a for a in data["notify"] if a in OWING_AUDIENCES]
    others = [a for a in data["notify"] if a not in OWING_AUDIENCES]
    messages = []
    item = sla_message(event_type, data)
    for department in context.get("departments") or []:
        recipients = ladder_addresses(owing, {**context, "departments": [department]})
        if owing:
            messages.append(Message(event_type, item.title, item.body, recipients,
                                    f"{key}:department:{ascii_key(department)}",
                                    context.get("item")))
    if others:
        batch = sla_message(event_type, {**data, "context": {
            **context, "title": context.get("batch_title") or context["title"],
            "departments": []}})
        messages.append(Message(event_type, batch.title, batch.body,
                                ladder_addresses(others, context), key, context.get("item")))
    return messages or [item]


def green_channel_message(data: dict) -> Message:
    return Message(
        "lead_assigned",
        f"重大项目「{data['title']}」已分配至{data['team_name']}",
        f"重大项目「{data['title']}」已分配至{data['team_name']}（县领导：{data['county_leader']}），"
        "纳入绿色服务通道，要素跟着项目走，请优先对接。",
        (f"team-leader:{data['team_id']}", f"team:{data['team_id']}"),
    )


def became_major_message(data: dict) -> Message:
    """A lead that became major after its intake (a later PATCH) joins the green channel."""
    team = data.get("team_id")
    where = f"（{data['team_name']}）" if data.get("team_name") else ""
    return Message(
        "lead_updated",
        f"重大项目「{data['title']}」纳入绿色服务通道",
        f"项目「{data['title']}」{where}经修改投资额或标记已成为重大项目，纳入绿色服务通道，"
        "要素跟着项目走，请优先对接。",
        (f"team-leader:{team}", f"team:{team}") if team and team != "triage" else (FALLBACK,),
    )


def project_lead_message(data: dict) -> Message:
    """The county-level project lead (县级项目长) appointed through the four ones."""
    return Message(
        "four_ones_recorded",
        f"您已被确定为「{data['title']}」的县级项目长",
        f"项目「{data['title']}」已落实“四个一”，由您担任县级项目长，"
        f"计划节点{len(data['milestones'])}个，请牵头推进（设定人：{data['by']}）。",
        (f"user:{data['project_lead_username']}",),
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


def problem_raised_message(data: dict) -> Message:
    problem = data["problem"]
    kind = "复杂问题（1个月内解决）" if problem["complexity"] == "complex" else "一般问题（7日内解决）"
    return Message(
        "problem_raised",
        f"新交办问题：{problem['title']}",
        f"项目「{problem['lead_title']}」遇到的问题「{problem['title']}」已交办{problem['owner_department']}，"
        f"属{kind}，请于3日内反馈（交办时间{local(data['raised_at'])}）。",
        (f"department:{problem['owner_department']}",),
    )


PROBLEM_DEADLINES_ZH = {"feedback": "3日内反馈", "solve": "限期解决", "progress_report": "按月报告进展"}


def deadline_missed_message(data: dict) -> Message:
    problem = data["problem"]
    what = PROBLEM_DEADLINES_ZH.get(data["deadline"], data["label_zh"])
    return Message(
        "problem_deadline_missed",
        f"【超期】问题未{what}：{problem['title']}",
        f"项目「{problem['lead_title']}」的问题「{problem['title']}」应于{local(data['due_at'])}前"
        f"{what}（{data['label_zh']}），现已超期，将计入本月黄牌单位评选，请{problem['owner_department']}立即办理。",
        (f"department:{problem['owner_department']}",),
    )


def yellow_card_message(data: dict) -> Message:
    """To the unit itself, every county leader and the supervision office."""
    if data["unit_kind"] == "team":
        unit: tuple[str, ...] = (f"team-leader:{data['unit_id']}", f"team:{data['unit_id']}")
    else:
        unit = (f"department:{data['unit_id']}",)
    reasons = "；".join(f"{r['label_zh']}：{r['title']}（{r['points']}分）" for r in data["reasons"])
    return Message(
        "yellow_card_issued",
        f"【黄牌】{data['month']} {data['unit_name']}",
        f"{data['unit_name']}在{data['month']}月度评选中扣{data['score']}分"
        f"（黄牌线{data['threshold']}分），被评为黄牌单位。扣分事项：{reasons}。",
        (*unit, "role:leader", SUPERVISION_OFFICE),
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
