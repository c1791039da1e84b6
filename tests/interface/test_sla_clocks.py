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


def alerts(mongo, db_prefix, request_id):
    return [doc["payload"]["data"] for doc in mongo[f"{db_prefix}sla"].outbox.find(
        {"type": {"$in": ["sla_warning", "sla_breached"]}}).sort("created_at", 1)
        if doc["payload"]["data"]["subject_id"] == request_id]


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
    wait_until(lambda: alerts(mongo, db_prefix, request_id), reason="the clock's first alert")
    let_scans_pass([first, second])
    fired = alerts(mongo, db_prefix, request_id)
    assert [a.get("threshold") for a in fired] == [90]  # 50 and 75 are past but only 90 fires
    assert set(fired[0]["notify"]) == {"team_leader", "project_lead"}
    assert fired[0]["context"]["team_id"] == "new-energy"

    clock.advance(hours=1, minutes=1)  # 48 h 1 min: the promise is broken
    wait_until(lambda: len(alerts(mongo, db_prefix, request_id)) == 2, reason="the breach alert")
    let_scans_pass([first, second])
    fired = alerts(mongo, db_prefix, request_id)
    assert len(fired) == 2 and "threshold" not in fired[1]
    assert fired[1]["notify"] == ["supervision"]
    assert sorted(fired[1]["context"]["departments"]) == sorted([LAND, POWER])
    with ServiceRpcProxy("sla", sla_config) as sla:
        assert sla.get_clock("policy_reply", request_id)["state"] == "breached"


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
    wait_until(lambda: alerts(mongo, db_prefix, request_id), reason="the clock's first alert")
    let_scans_pass([after])
    assert [a["threshold"] for a in alerts(mongo, db_prefix, request_id)] == [90]


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
    wait_until(lambda: sla_db.outbox.find_one({"type": "clock_stopped"}), reason="clock_stopped")
    let_scans_pass([container])
    stopped = [d["payload"]["data"] for d in sla_db.outbox.find({"type": "clock_stopped"})]
    assert len(stopped) == 1
    assert stopped[0]["state"] == "met"
    assert stopped[0]["counted_seconds"] == 15 * 3600  # 30 h less the 15 h waiting for papers
    # At the start 30 h had passed with nothing paused yet: 50% fired then, and only 50%.
    assert [a["threshold"] for a in alerts(mongo, db_prefix, request_id)] == [50]

    with ServiceRpcProxy("sla", sla_config) as sla:
        view = sla.get_clock("policy_reply", request_id)
        report = sla.report({"from": (NOW - timedelta(days=3)).isoformat()})
    assert view["state"] == "met" and view["counted_hours"] == 15.0
    assert report["overall"]["met"] == 1 and report["overall"]["met_rate"] == 1.0
    by = {d["department"]: d for d in report["departments"]}
    assert by[LAND]["median_hours"] == 10.0  # 20 h since received, less 10 h of the pause
    assert by[POWER]["median_hours"] == 15.0


def test_a_holiday_table_with_a_date_of_another_year_is_a_422_and_nothing_is_stored(
        sla_config, container_factory, mongo, db_prefix):
    container = sla_container(container_factory, sla_config, SettableClock(NOW))
    container.start()
    with ServiceRpcProxy("sla", sla_config) as sla:
        with pytest.raises(InvalidInput):
            sla.load_holidays(2027, {"holidays": ["2026-10-01"]}, "admin")
        with pytest.raises(InvalidInput):
            sla.load_holidays(2027, {"holidays": []}, "admin")
        assert mongo[f"{db_prefix}sla"].holiday_tables.count_documents({}) == 0
        loaded = sla.load_holidays(2027, {"holidays": ["2027-01-01", "2027-02-06"],
                                          "workdays": ["2027-02-14"]}, "admin")
        assert loaded["holidays"] == 2 and loaded["workdays"] == 1
        assert [t["year"] for t in sla.holiday_tables()] == [2027]


def test_a_close_that_arrives_before_the_start_still_stops_the_clock(
        sla_config, container_factory, mongo, db_prefix):
    # Events of different types travel on different queues: any order must compose.
    container = sla_container(container_factory, sla_config, SettableClock(NOW))
    container.start()
    request_id = uuid.uuid4().hex
    closed = PolicyRequestClosed(request_id=request_id, received_at=NOW - timedelta(hours=49),
                                 closed_at=NOW - timedelta(hours=2), items=2)
    with entrypoint_waiter(container, "stop_policy_clock", timeout=5):
        send(sla_config, closed)
    with entrypoint_waiter(container, "start_policy_clock", timeout=5):
        send(sla_config, received(request_id, hours_ago=49))
    with ServiceRpcProxy("sla", sla_config) as sla:
        view = wait_until(
            lambda: (v := sla.get_clock("policy_reply", request_id))["state"] != "on_track" and v,
            reason="the clock to leave on_track")
    assert view["state"] == "met" and view["counted_hours"] == 47.0
    assert alerts(mongo, db_prefix, request_id) == []  # stopped before its breach: no alarm
