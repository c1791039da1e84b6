"""The sla service on the broker and the database: thresholds fire exactly once, with two
instances and across downtime; pauses, stops and the report. Time moves with SettableClock."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from services.sla.service import SlaService
from shared.clock import SettableClock
from shared.errors import InvalidInput
from shared.events import (
    PolicyItemPaused, PolicyItemReplied, PolicyItemResumed, PolicyItemRouted,
    PolicyRequestClosed, PolicyRequestReceived, make_event,
)
from tests.waiting import wait_until

ADMIN = {"username": "admin", "role": "admin"}  # the caller, as the gateway sends it
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
LAND, POWER = "县自然资源和规划局", "县供电公司"


@pytest.fixture
def sla_config(config):
    return {**config, "SLA_SCAN_SECONDS": 0.1}


def sla_container(container_factory, sla_config, clock):
    container = container_factory(SlaService, sla_config)
    replace_dependencies(container, clock=clock)
    return container


def received(request_id, hours_ago, items=((1, LAND), (2, POWER))):
    return PolicyRequestReceived(
        request_id=request_id, lead_id="lead-1", lead_title="高效太阳能电池片项目",
        enterprise="捷泰新能源科技有限公司", received_at=NOW - timedelta(hours=hours_ago),
        due_at=NOW - timedelta(hours=hours_ago) + timedelta(hours=48),
        items=[PolicyItemRouted(n=n, topic=f"诉求{n}", category="land", department=d)
               for n, d in items],
        team_id="new-energy", project_lead="wangxm",
    )


def send(config, data, source="policy"):
    event = make_event(source, data, NOW)
    event_type = event.type
    event_dispatcher(config)(source, event_type, event.model_dump(mode="json"))


def alerts(mongo, db_prefix, request_id, n=None):
    """The alerts of a request's item clocks (of item n only, when given)."""
    return [doc["payload"]["data"] for doc in mongo[f"{db_prefix}sla"].outbox.find(
        {"type": {"$in": ["sla_warning", "sla_breached"]}}).sort("created_at", 1)
        if doc["payload"]["data"]["context"]["request_id"] == request_id
        and n in (None, doc["payload"]["data"]["context"]["item"])]


def wait_for(condition):
    return wait_until(condition, reason="the item clocks' alerts and stops")


def let_scans_pass(containers, passes=3):
    for _ in range(passes):
        for container in containers:
            with entrypoint_waiter(container, "scan", timeout=5):
                pass


def test_received_47_hours_ago_warns_once_at_90_then_breaches_once_with_two_instances(
        sla_config, container_factory, mongo, db_prefix):
    clock = SettableClock(NOW)
    first, second = (sla_container(container_factory, sla_config, clock) for _ in range(2))
    first.start()
    second.start()
    request_id = uuid.uuid4().hex

    send(sla_config, received(request_id, hours_ago=47))
    wait_until(lambda: len(alerts(mongo, db_prefix, request_id)) == 2,
               reason="an alert of each item's clock")
    let_scans_pass([first, second])
    for n, department in ((1, LAND), (2, POWER)):  # each item is a clock of its own
        fired = alerts(mongo, db_prefix, request_id, n)
        assert [a.get("threshold") for a in fired] == [90]  # 50 and 75 past: only 90 fires
        # ... but it tells every rung it passed: the department as well as the leaders.
        assert set(fired[0]["notify"]) == {"department", "team_leader", "project_lead",
                                           "submitter"}
        assert fired[0]["context"]["departments"] == [department]
        assert fired[0]["context"]["team_id"] == "new-energy"

    clock.advance(hours=1, minutes=1)  # 48 h 1 min: the promise is broken
    wait_for(lambda: len(alerts(mongo, db_prefix, request_id)) == 4)
    let_scans_pass([first, second])
    for n, department in ((1, LAND), (2, POWER)):
        fired = alerts(mongo, db_prefix, request_id, n)
        assert len(fired) == 2 and "threshold" not in fired[1]
        assert "supervision" in fired[1]["notify"]
        assert fired[1]["context"]["departments"] == [department]
    with ServiceRpcProxy("sla", sla_config) as sla:
        assert sla.get_clock("policy_reply", f"{request_id}-1")["state"] == "breached"


def test_stopped_across_thresholds_it_catches_up_at_start_with_the_highest_only(
        sla_config, container_factory, mongo, db_prefix):
    clock = SettableClock(NOW)
    before = sla_container(container_factory, sla_config, clock)
    before.start()
    request_id = uuid.uuid4().hex
    with entrypoint_waiter(before, "start_policy_clock", timeout=5):
        send(sla_config, received(request_id, hours_ago=20))  # 42%: nothing yet
    let_scans_pass([before])
    assert alerts(mongo, db_prefix, request_id) == []
    before.stop()

    clock.advance(hours=26)  # down while 50%, 75% and 90% went by (now 46 h)
    after = sla_container(container_factory, sla_config, clock)
    after.start()
    wait_until(lambda: len(alerts(mongo, db_prefix, request_id)) == 2,
               reason="an alert of each item's clock")
    let_scans_pass([after])
    assert [a["threshold"] for a in alerts(mongo, db_prefix, request_id)] == [90, 90]


def test_paused_time_is_excluded_and_replying_to_all_stops_the_clock_as_met(
        sla_config, container_factory, mongo, db_prefix):
    clock = SettableClock(NOW)
    container = sla_container(container_factory, sla_config, clock)
    container.start()
    request_id = uuid.uuid4().hex
    steps = [
        ("start_policy_clock", received(request_id, hours_ago=30)),
        ("pause_policy_clock", PolicyItemPaused(request_id=request_id, n=2, pause_key="item-2-1",
                                                paused_at=NOW - timedelta(hours=20))),
        ("resume_policy_clock", PolicyItemResumed(request_id=request_id, n=2,
                                                  pause_key="item-2-1",
                                                  resumed_at=NOW - timedelta(hours=5))),
        ("record_item_replied", PolicyItemReplied(
            request_id=request_id, n=1, department=LAND, reference_no="涟自然资函〔2026〕1号",
            signer="王局长", replied_at=NOW - timedelta(hours=10))),
        ("record_item_replied", PolicyItemReplied(
            request_id=request_id, n=2, department=POWER, reference_no="涟供电函〔2026〕1号",
            signer="李经理", replied_at=NOW)),
        ("stop_policy_clock", PolicyRequestClosed(
            request_id=request_id, received_at=NOW - timedelta(hours=30), closed_at=NOW,
            items=2)),
    ]
    for entrypoint, data in steps:
        with entrypoint_waiter(container, entrypoint, timeout=5):
            send(sla_config, data)

    sla_db = mongo[f"{db_prefix}sla"]
    wait_until(lambda: sla_db.outbox.count_documents({"type": "clock_stopped"}) == 2,
               reason="clock_stopped of both items")
    let_scans_pass([container])
    stopped = {d["payload"]["data"]["subject_id"]: d["payload"]["data"]
               for d in sla_db.outbox.find({"type": "clock_stopped"})}
    assert sorted(stopped) == [f"{request_id}-1", f"{request_id}-2"]
    assert {s["state"] for s in stopped.values()} == {"met"}
    # Item 1 was never paused: 20 h from receipt to its reply. Item 2: 30 h less its own
    # 15 h waiting for papers. Item 2's pause did not hold item 1.
    assert stopped[f"{request_id}-1"]["counted_seconds"] == 20 * 3600
    assert stopped[f"{request_id}-2"]["counted_seconds"] == 15 * 3600
    # At the start 30 h had passed with nothing paused yet: 50% fired then, and only 50%.
    assert [a["threshold"] for a in alerts(mongo, db_prefix, request_id)] == [50, 50]

    with ServiceRpcProxy("sla", sla_config) as sla:
        view = sla.get_clock("policy_reply", f"{request_id}-2")
        both = sla.get_clocks("policy_reply", [f"{request_id}-1", f"{request_id}-2"])
        report = sla.report({"from": (NOW - timedelta(days=3)).isoformat()})
    assert view["state"] == "met" and view["counted_hours"] == 15.0
    assert [c["counted_hours"] for c in both] == [20.0, 15.0]
    assert report["overall"]["clocks"] == 2  # counted per item
    assert report["overall"]["met"] == 2 and report["overall"]["met_rate"] == 1.0
    by = {d["department"]: d for d in report["departments"]}
    assert by[LAND]["items"] == 1 and by[LAND]["median_hours"] == 20.0
    assert by[POWER]["items"] == 1 and by[POWER]["median_hours"] == 15.0


SIXTEEN = [(n, f"县部门{(n - 1) % 10 + 1}") for n in range(1, 17)]


def test_a_department_pausing_its_item_leaves_the_other_15_clocks_running(
        sla_config, container_factory, mongo, db_prefix):
    clock = SettableClock(NOW)
    container = sla_container(container_factory, sla_config, clock)
    container.start()
    request_id = uuid.uuid4().hex
    with entrypoint_waiter(container, "start_policy_clock", timeout=5):
        send(sla_config, received(request_id, hours_ago=0, items=SIXTEEN))
    with entrypoint_waiter(container, "pause_policy_clock", timeout=5):
        send(sla_config, PolicyItemPaused(request_id=request_id, n=3, pause_key="item-3-1",
                                          paused_at=NOW))
    clock.advance(hours=49)  # the 15 others are late; item 3 waits for the enterprise
    subjects = [f"{request_id}-{n}" for n, _ in SIXTEEN]
    with ServiceRpcProxy("sla", sla_config) as sla:
        views = {c["subject_id"]: c for c in sla.get_clocks("policy_reply", subjects)}
    assert len(views) == 16
    paused = views.pop(f"{request_id}-3")
    assert paused["paused"] and paused["counted_hours"] == 0 and paused["state"] == "on_track"
    assert {v["state"] for v in views.values()} == {"breached"}
    assert {v["counted_hours"] for v in views.values()} == {49.0}
    # The breaches that fired are the 15 items', each naming its own department only.
    wait_for(lambda: len([a for a in alerts(mongo, db_prefix, request_id)
                          if "threshold" not in a]) == 15)
    breached = [a for a in alerts(mongo, db_prefix, request_id) if "threshold" not in a]
    assert sorted(a["context"]["item"] for a in breached) == [n for n, _ in SIXTEEN if n != 3]
    assert all(a["context"]["departments"] == [SIXTEEN[a["context"]["item"] - 1][1]]
               for a in breached)


def test_batch_clocks_of_before_become_item_clocks_once_at_start(
        sla_config, container_factory, mongo, db_prefix):
    """A clock kept one per batch (before per-item clocks) is split at the service's start:
    each item keeps its own pauses and its reply, and the thresholds already fired."""
    sla_db = mongo[f"{db_prefix}sla"]
    start = NOW - timedelta(hours=30)
    sla_db.clocks.insert_one({
        "_id": "policy_reply:old1", "kind": "policy_reply", "subject_id": "old1",
        "started_at": start, "target_seconds": 48 * 3600.0, "working_days": False,
        "thresholds": [50, 75, 90, 100], "label_zh": "政策和要素保障诉求48小时答复",
        "alerts": {"50": ["department"], "75": ["department"],
                   "90": ["team_leader", "project_lead"], "100": ["supervision"]},
        "context": {"title": "捷泰：2项诉求", "lead_id": "lead-1", "departments": [LAND, POWER],
                    "team_id": "new-energy", "project_lead": "wangxm"},
        "parts": {"1": {"department": LAND, "done_at": NOW - timedelta(hours=10)},
                  "2": {"department": POWER}},
        "holds": {"item-2-1": {"since": NOW - timedelta(hours=20),
                               "until": NOW - timedelta(hours=5)}},
        "fired": 50, "state": "on_track", "version": 3, "next_threshold_at": None,
        "created_at": start,
    })
    clock = SettableClock(NOW)
    first = sla_container(container_factory, sla_config, clock)
    first.start()
    first.stop()
    again = sla_container(container_factory, sla_config, clock)  # a second start: nothing more
    again.start()
    let_scans_pass([again])
    docs = {d["_id"]: d for d in sla_db.clocks.find()}
    assert sorted(docs) == ["policy_reply:old1-1", "policy_reply:old1-2"]
    one, two = docs["policy_reply:old1-1"], docs["policy_reply:old1-2"]
    assert one["stopped_at"] == NOW - timedelta(hours=10) and one["holds"] == {}
    assert list(two["holds"]) == ["item-2-1"] and two["stopped_at"] is None
    assert one["context"]["departments"] == [LAND] and two["context"]["item"] == 2
    with ServiceRpcProxy("sla", sla_config) as sla:
        views = sla.get_clocks("policy_reply", ["old1-1", "old1-2"])
    assert [v["counted_hours"] for v in views] == [20.0, 15.0]
    assert [v["state"] for v in views] == ["met", "on_track"]
    # 50% had fired on the batch: nobody is told of it again.
    assert alerts(mongo, db_prefix, "old1") == []
    assert sla_db.migrations.count_documents({}) == 1


def test_a_holiday_table_with_a_date_of_another_year_is_a_422_and_nothing_is_stored(
        sla_config, container_factory, mongo, db_prefix):
    container = sla_container(container_factory, sla_config, SettableClock(NOW))
    container.start()
    with ServiceRpcProxy("sla", sla_config) as sla:
        with pytest.raises(InvalidInput):
            sla.load_holidays(2027, {"holidays": ["2026-10-01"]}, ADMIN)
        with pytest.raises(InvalidInput):
            sla.load_holidays(2027, {"holidays": []}, ADMIN)
        assert mongo[f"{db_prefix}sla"].holiday_tables.count_documents({}) == 0
        loaded = sla.load_holidays(2027, {"holidays": ["2027-01-01", "2027-02-06"],
                                          "workdays": ["2027-02-14"]}, ADMIN)
        assert loaded["holidays"] == 2 and loaded["workdays"] == 1
        assert [t["year"] for t in sla.holiday_tables()] == [2027]


def test_a_reply_that_arrives_before_the_start_still_stops_its_items_clock(
        sla_config, container_factory, mongo, db_prefix):
    # Events of different types travel on different queues: any order must compose.
    container = sla_container(container_factory, sla_config, SettableClock(NOW))
    container.start()
    request_id = uuid.uuid4().hex
    replied = PolicyItemReplied(request_id=request_id, n=1, department=LAND,
                                reference_no="涟自然资函〔2026〕9号", signer="王局长",
                                replied_at=NOW - timedelta(hours=2))
    with entrypoint_waiter(container, "record_item_replied", timeout=5):
        send(sla_config, replied)
    with entrypoint_waiter(container, "start_policy_clock", timeout=5):
        send(sla_config, received(request_id, hours_ago=49))
    with ServiceRpcProxy("sla", sla_config) as sla:
        view = wait_until(
            lambda: (v := sla.get_clock("policy_reply", f"{request_id}-1"))["state"] != "on_track"
            and v, reason="the clock to leave on_track")
    assert view["state"] == "met" and view["counted_hours"] == 47.0
    assert alerts(mongo, db_prefix, request_id, 1) == []  # stopped before its breach
    wait_for(lambda: alerts(mongo, db_prefix, request_id, 2))  # item 2 is still owed: late
