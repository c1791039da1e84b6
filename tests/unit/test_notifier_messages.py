"""Notifier rules without nameko: the ladder's addresses, messages, signatures, backoff."""
import hashlib
import hmac
from datetime import timedelta

import pytest

from services.notifier import domain

CONTEXT = {"title": "捷泰新能源：电池片项目（16项诉求）", "departments": ["县自然资源和规划局", "县供电公司"],
           "team_id": "new-energy", "project_lead": "wangxm"}


def warning(threshold, notify, **context):
    return {"label_zh": "政策和要素保障诉求48小时答复", "threshold": threshold, "elapsed_pct": 90.0,
            "started_at": "2026-11-18T02:00:00+00:00", "due_at": "2026-11-20T02:00:00+00:00",
            "estimated": False, "notify": notify, "context": {**CONTEXT, **context}}


def test_the_ladder_department_then_leaders_then_supervision():
    assert domain.ladder_addresses(["department"], CONTEXT) == (
        "department:县自然资源和规划局", "department:县供电公司")
    assert domain.ladder_addresses(["team_leader", "project_lead"], CONTEXT) == (
        "team-leader:new-energy", "user:wangxm")
    assert domain.ladder_addresses(["supervision"], CONTEXT) == ("role:inspector",)


def test_an_alert_with_nobody_to_address_goes_to_the_admins():
    assert domain.ladder_addresses(["team_leader", "project_lead"], {"title": "t"}) == ("role:admin",)


def test_a_warning_says_the_share_the_deadline_and_who_must_act_in_chinese():
    message = domain.sla_message("sla_warning", warning(75, ["department"]))
    assert message.title == "【预警】政策和要素保障诉求48小时答复已用时75%：捷泰新能源：电池片项目（16项诉求）"
    assert "11月20日10:00前办结" in message.body  # the county's own time
    assert "请县自然资源和规划局、县供电公司抓紧办理" in message.body


def test_an_estimated_deadline_says_so():
    data = {**warning(50, ["department"]), "estimated": True}
    assert "估算" in domain.sla_message("sla_warning", data).body


def test_the_signature_is_hmac_sha256_of_the_raw_body():
    body = domain.webhook_body({"title": "预警", "kind": "sla_warning"})
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert domain.signature("s3cret", body) == f"sha256={expected}"
    assert "预警".encode() in body  # UTF-8, not \\u escapes


def test_backoff_doubles_and_is_capped():
    waits = [domain.backoff(n, 30) for n in (1, 2, 3, 10)]
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120),
                     timedelta(hours=1)]


def test_email_routes_and_the_catch_all_mailbox():
    routes = domain.parse_email_routes("role:inspector=ducha@x.cn; department:县供电公司=a@x.cn,b@x.cn")
    assert domain.email_recipients(["role:inspector"], routes, ["all@x.cn"]) == [
        "ducha@x.cn", "all@x.cn"]
    assert domain.email_recipients(["department:县供电公司"], routes, []) == ["a@x.cn", "b@x.cn"]
    with pytest.raises(ValueError):
        domain.parse_email_routes("nonsense")


def test_a_users_addresses_include_the_team_leaders_for_a_leader():
    assert "team-leader:new-energy" in domain.addresses_of(
        {"username": "chen", "role": "leader", "team_id": "new-energy"})
    assert "team-leader:new-energy" not in domain.addresses_of(
        {"username": "li", "role": "team_member", "team_id": "new-energy"})


def item_alert(event_type, n, department, notify, threshold=None):
    data = warning(threshold or 100, notify, departments=[department], request_id="r16", item=n,
                   submitted_by="zhangsan", batch_title="捷泰新能源：电池片项目（16项诉求）",
                   title=f"捷泰新能源：电池片项目（第{n}项：诉求{n}）")
    if event_type == "sla_breached":
        data.pop("threshold")
    return data


def test_an_items_breach_reaches_its_department_and_its_leader_apart_from_the_batch_notice():
    data = item_alert("sla_breached", 3, "县供电公司",
                      ["department", "department_leader", "supervision", "submitter"])
    owing, batch = domain.sla_messages("sla_breached", data)
    assert owing.recipients == ("department:县供电公司", "department-leader:县供电公司")
    assert "第3项" in owing.title and owing.item == 3
    assert owing.group_key == f"sla_breached:r16:100:department:{domain.ascii_key('县供电公司')}"
    assert owing.group_key.isascii()  # it is sent as a webhook header
    assert batch.recipients == ("role:inspector", "user:zhangsan")
    assert batch.group_key == "sla_breached:r16:100" and "16项诉求" in batch.title


def test_items_of_one_batch_passing_a_rung_share_one_notice_per_audience():
    keys = {m.group_key for n, d in ((1, "县供电公司"), (2, "县水务局"), (3, "县供电公司"))
            for m in domain.sla_messages("sla_warning", item_alert(
                "sla_warning", n, d, ["team_leader", "project_lead"], threshold=90))}
    assert keys == {"sla_warning:r16:90"}


def test_a_leader_overseeing_a_department_reads_its_leader_address():
    assert "department-leader:县供电公司" in domain.addresses_of(
        {"username": "li", "role": "leader", "department": "县供电公司"})
    assert "department-leader:县供电公司" not in domain.addresses_of(
        {"username": "gd", "role": "department", "department": "县供电公司"})
