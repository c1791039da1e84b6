"""The branches service in a container on a throwaway vhost, with a clock the tests move.

A Southern Jiangsu branch trip to Suzhou, 1-3 December 2026: homework, visits from a phone,
the 21:00 summaries (once, even with two instances), the alert for a silent day, and the
results kept from the leads service's events.
"""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import eventlet
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.branches.service import BranchesService
from shared.clock import SettableClock
from shared.errors import InvalidInput, NotFound
from shared.events import LeadCreated, LeadStageChanged, make_event

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY1, DAY2, DAY3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)
ADMIN = {"username": "admin", "role": "admin"}
SUNAN = {"username": "sn.han", "role": "branch_member", "branch_id": "sunan"}
SHANGHAI_MEMBER = {"username": "sh.liu", "role": "branch_member", "branch_id": "shanghai"}
INSPECTOR = {"username": "inspector1", "role": "inspector"}
TRIP = {
    "destination": "苏州工业园区", "start_date": "2026-12-01", "end_date": "2026-12-03",
    "members": ["sn.secretary", "sn.han"],
    "targets": [
        {"company": "苏州某精密制造有限公司", "notes": "扩产选址中", "questions": ["用地需求?", "用电负荷?"]},
        {"company": "苏州某新材料股份有限公司"},
    ],
}
FIVE_COMPANIES = ["苏州某精密制造有限公司", "苏州某新材料股份有限公司", "昆山某电子有限公司",
                  "吴江某纺织有限公司", "常熟某汽车零部件有限公司"]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def start_branches(config, container_factory, clock, **settings):
    container = container_factory(BranchesService, {**config, **settings})
    replace_dependencies(container, clock=clock)
    container.start()
    return container


@pytest.fixture
def clock():
    return SettableClock(local(DAY1, 8))


@pytest.fixture
def branches(config, container_factory, clock):
    return start_branches(config, container_factory, clock)


@pytest.fixture
def rpc(config, branches):
    with ServiceRpcProxy("branches", config) as proxy:
        yield proxy


@pytest.fixture
def db(mongo, db_prefix, branches):
    return mongo[f"{db_prefix}branches"]


def summarise(container) -> int:
    with entrypoint_hook(container, "summarise_trip_days") as run:
        return run()


# --- trips ---------------------------------------------------------------------------------

def test_a_member_plans_a_trip_with_its_homework(rpc):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    assert trip["branch_id"] == "sunan" and trip["status"] == "ongoing"
    assert trip["targets"][0]["questions"] == ["用地需求?", "用电负荷?"]
    assert rpc.get_trip(trip["id"], INSPECTOR)["destination"] == "苏州工业园区"
    assert rpc.list_trips("sunan", {}, ADMIN)["total"] == 1
    assert rpc.list_trips("sunan", {"status": "upcoming"}, ADMIN)["total"] == 0


def test_a_trip_ending_before_it_starts_is_refused_and_nothing_is_stored(rpc, db):
    with pytest.raises(InvalidInput) as exc:
        rpc.create_trip("sunan", {**TRIP, "end_date": "2026-11-30"}, SUNAN)
    assert exc.value.extra["errors"][0]["loc"] == ["body", "end_date"]
    assert exc.value.detail == "输入有误：结束日期：行程结束（2026-11-30）早于开始（2026-12-01）"
    assert db.trips.count_documents({}) == 0


def test_an_unknown_branch_is_404(rpc, db):
    with pytest.raises(NotFound):
        rpc.create_trip("tibet", TRIP, ADMIN)
    assert db.trips.count_documents({}) == 0


def test_another_branchs_trips_are_404_to_a_member(rpc, db):
    with pytest.raises(NotFound):
        rpc.create_trip("sunan", TRIP, SHANGHAI_MEMBER)
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    for call in (lambda: rpc.get_trip(trip["id"], SHANGHAI_MEMBER),
                 lambda: rpc.list_trips("sunan", {}, SHANGHAI_MEMBER),
                 lambda: rpc.log_visit(trip["id"], {"company": "某公司"}, SHANGHAI_MEMBER),
                 lambda: rpc.trip_summaries(trip["id"], SHANGHAI_MEMBER),
                 lambda: rpc.log_visit(trip["id"], {"company": "某公司"}, INSPECTOR)):
        with pytest.raises(NotFound):
            call()
    assert db.visits.count_documents({}) == 0


# --- visits --------------------------------------------------------------------------------

def test_a_visit_from_a_phone_needs_only_the_company(rpc, clock):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    clock.set(local(DAY1, 10, 30))
    visit = rpc.log_visit(trip["id"], {"company": "昆山某电子有限公司"}, SUNAN)
    assert datetime.fromisoformat(visit["visited_at"]) == local(DAY1, 10, 30)
    assert visit["day"] == "2026-12-01" and visit["visitors"] == ["sn.han"]
    filled = rpc.update_visit(visit["id"], {"interest": "high", "next_step": "寄送园区政策"}, SUNAN)
    assert filled["interest"] == "high" and filled["company"] == "昆山某电子有限公司"


def test_a_visit_outside_the_trips_dates_is_refused_and_nothing_is_stored(rpc, db):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    with pytest.raises(InvalidInput) as exc:
        rpc.log_visit(trip["id"], {"company": "某公司", "visited_at": "2026-11-30T16:00:00+08:00"},
                      SUNAN)
    assert exc.value.extra["errors"] == [
        {"loc": ["body", "visited_at"],
         "msg": "拜访时间：拜访日期 2026-11-30 不在行程日期 2026-12-01 至 2026-12-03 之内"}]
    with pytest.raises(InvalidInput) as exc:
        rpc.log_visit(trip["id"], {"company": "某公司", "mood": "good"}, SUNAN)
    assert exc.value.extra["errors"][0]["loc"] == ["body", "mood"]
    assert db.visits.count_documents({}) == 0 and db.outbox.count_documents({}) == 0


def test_trip_dates_cannot_leave_out_logged_visits(rpc, clock):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    clock.set(local(DAY3, 10))
    rpc.log_visit(trip["id"], {"company": "某公司"}, SUNAN)
    with pytest.raises(InvalidInput) as exc:
        rpc.update_trip(trip["id"], {"end_date": "2026-12-02"}, SUNAN)
    assert exc.value.extra["errors"][0]["loc"] == ["body", "end_date"]
    longer = rpc.update_trip(trip["id"], {"end_date": "2026-12-04",
                                          "targets": [{"company": "新增目标有限公司"}]}, SUNAN)
    assert longer["end_date"] == "2026-12-04" and len(longer["targets"]) == 1


# --- nightly summaries ---------------------------------------------------------------------

def log_day_one(rpc, clock, trip_id):
    for hour, company in zip((9, 10, 13, 15, 17), FIVE_COMPANIES):
        clock.set(local(DAY1, hour))
        rpc.log_visit(trip_id, {"company": company,
                                "interest": "high" if hour < 12 else "low",
                                "next_step": "安排来涟水考察" if hour == 9 else None}, SUNAN)


def test_five_visits_give_a_day_one_summary_at_nine_pm_once(rpc, branches, clock, db):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    log_day_one(rpc, clock, trip["id"])

    clock.set(local(DAY1, 20, 59))
    assert summarise(branches) == 0
    assert rpc.trip_summaries(trip["id"], SUNAN) == []

    clock.set(local(DAY1, 21, 0))
    assert summarise(branches) == 1
    assert summarise(branches) == 0  # once
    [summary] = rpc.trip_summaries(trip["id"], INSPECTOR)
    assert summary["day"] == "2026-12-01" and summary["visit_count"] == 5
    assert [c["company"] for c in summary["companies"]] == FIVE_COMPANIES
    assert summary["interest"]["high"] == 2 and summary["interest"]["low"] == 3
    assert summary["follow_ups"][0]["next_step"] == "安排来涟水考察"
    assert summary["targets_not_visited"] == []
    assert summary["unreported"] is False
    assert db.outbox.count_documents({}) == 0  # a reported day raises no alert

    # Members amend it with tomorrow's plan.
    amended = rpc.amend_summary(trip["id"], "2026-12-01", {"next_day_plan": "上午再访精密制造"}, SUNAN)
    assert amended["next_day_plan"] == "上午再访精密制造" and amended["visit_count"] == 5


def test_a_visit_logged_after_the_summary_is_counted_in_it(rpc, branches, clock):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    clock.set(local(DAY1, 10))
    rpc.log_visit(trip["id"], {"company": FIVE_COMPANIES[0]}, SUNAN)
    clock.set(local(DAY1, 21, 5))
    summarise(branches)
    rpc.log_visit(trip["id"], {"company": FIVE_COMPANIES[1],
                               "visited_at": local(DAY1, 19).isoformat()}, SUNAN)
    [summary] = rpc.trip_summaries(trip["id"], SUNAN)
    assert summary["visit_count"] == 2


def test_a_silent_day_alerts_the_secretary_once(rpc, branches, clock, db):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    clock.set(local(DAY2, 21, 1))
    log_day_one_visit = rpc.log_visit(trip["id"], {"company": "某公司",
                                                   "visited_at": local(DAY1, 11).isoformat()}, SUNAN)
    assert log_day_one_visit["day"] == "2026-12-01"
    assert summarise(branches) == 2  # day one (one visit) and day two (silent)
    assert summarise(branches) == 0

    [alert] = list(db.outbox.find({"type": "trip_day_unreported"}))
    assert alert["payload"]["data"] == {
        "branch_id": "sunan", "trip_id": trip["id"], "day": "2026-12-02",
        "destination": "苏州工业园区", "secretary": "sn.secretary"}
    day_two = rpc.trip_summaries(trip["id"], SUNAN)[1]
    assert day_two["unreported"] is True and day_two["visit_count"] == 0
    assert day_two["targets_not_visited"] == [t["company"] for t in TRIP["targets"]]


def test_a_day_the_members_wrote_about_raises_no_alert(rpc, branches, clock, db):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    clock.set(local(DAY1, 18))
    rpc.amend_summary(trip["id"], "2026-12-01", {"notes": "全天在园区管委会座谈, 无企业走访"}, SUNAN)
    with pytest.raises(InvalidInput):  # tomorrow has not come yet
        rpc.amend_summary(trip["id"], "2026-12-02", {"notes": "x"}, SUNAN)
    with pytest.raises(NotFound):  # not a day of the trip
        rpc.amend_summary(trip["id"], "2026-11-30", {"notes": "x"}, SUNAN)
    clock.set(local(DAY1, 21, 30))
    assert summarise(branches) == 1
    [summary] = rpc.trip_summaries(trip["id"], SUNAN)
    assert summary["notes"].startswith("全天") and summary["unreported"] is False
    assert db.outbox.count_documents({}) == 0


def test_two_instances_produce_each_summary_and_alert_once(config, container_factory, clock, db_prefix,
                                                           mongo):
    first = start_branches(config, container_factory, clock)
    second = start_branches(config, container_factory, clock)
    with ServiceRpcProxy("branches", config) as rpc:
        trips = [rpc.create_trip("sunan", TRIP, SUNAN) for _ in range(3)]
        clock.set(local(DAY1, 11))
        rpc.log_visit(trips[0]["id"], {"company": "某公司"}, SUNAN)
    clock.set(local(DAY3, 22))  # three trips x three days due at once

    # Both timers fire at once (one hook per container: a container's hooks would share results).
    runs = [eventlet.spawn(summarise, c) for c in (first, second)]
    produced = sum(run.wait() for run in runs)

    db = mongo[f"{db_prefix}branches"]
    assert produced == 9
    assert db.summaries.count_documents({}) == 9
    assert db.outbox.count_documents({"type": "trip_day_unreported"}) == 8


def test_the_timer_fires_at_the_configured_interval(config, container_factory, clock, db_prefix, mongo):
    container = start_branches(config, container_factory, clock, BRANCH_SUMMARY_INTERVAL=0.2)
    with ServiceRpcProxy("branches", config) as rpc:
        trip = rpc.create_trip("sunan", TRIP, SUNAN)
    clock.set(local(DAY1, 21))
    # A tick already under way may have read the clock before it moved: wait for a few.
    for _ in range(3):
        with entrypoint_waiter(container, "summarise_trip_days", timeout=5):
            pass
        if mongo[f"{db_prefix}branches"].summaries.count_documents({}):
            break
    assert mongo[f"{db_prefix}branches"].summaries.find_one()["trip_id"] == trip["id"]


# --- results from the leads service's events -----------------------------------------------

def lead_event(model, when):
    return make_event("leads", model, when).model_dump(mode="json")


def test_results_and_ranking_follow_the_leads_events(rpc, branches, config, clock):
    trip = rpc.create_trip("sunan", TRIP, SUNAN)
    clock.set(local(DAY1, 10))
    rpc.log_visit(trip["id"], {"company": "捷泰新能源科技有限公司"}, SUNAN)
    rpc.log_visit(trip["id"], {"company": "昆山某电子有限公司"}, SUNAN)
    created = LeadCreated(lead_id="L-jietai", title="高效电池片项目", company_name="捷泰新能源",
                          industry="太阳能电池", investment_cny=13_000_000_000,
                          source_branch_id="sunan", major=True)
    other = LeadCreated(lead_id="L-other", title="电子项目", company_name="某电子",
                        industry="电子", investment_cny=100, source_branch_id=None, major=False)
    signed = LeadStageChanged(lead_id="L-jietai", title="高效电池片项目", from_stage="negotiating",
                              to_stage="signed", at=local(DAY2, 9), by="admin",
                              source_branch_id="sunan", investment_cny=13_000_000_000, major=True)
    dispatch = event_dispatcher(config)
    created_event = lead_event(created, local(DAY1, 11))
    for _ in range(2):  # a redelivery is applied once
        with entrypoint_waiter(branches, "count_sourced_lead", timeout=10):
            dispatch("leads", "lead_created", created_event)
    with entrypoint_waiter(branches, "count_sourced_lead", timeout=10):
        dispatch("leads", "lead_created", lead_event(other, local(DAY1, 11)))
    with entrypoint_waiter(branches, "count_stage_change", timeout=10):
        dispatch("leads", "lead_stage_changed", lead_event(signed, local(DAY2, 9)))

    december = {"from": "2026-12-01", "to": "2026-12-31"}
    results = rpc.results("sunan", december)
    assert results == {
        "branch_id": "sunan", "name_zh": "苏南区域招商局行动党支部", "visits": 2,
        "leads_sourced": 1, "signed": 1, "investment_signed_cny": 13_000_000_000,
        "conversion_rate": 1.0, "visit_to_lead_rate": 0.5, "from": "2026-12-01", "to": "2026-12-31"}
    november = rpc.results("sunan", {"from": "2026-11-01", "to": "2026-11-30"})
    assert (november["visits"], november["leads_sourced"], november["signed"]) == (0, 0, 0)

    ranking = rpc.ranking(december)["items"]
    assert len(ranking) == 6
    assert ranking[0]["branch_id"] == "sunan" and ranking[0]["rank"] == 1
    assert {r["rank"] for r in ranking[1:]} == {2}  # the other five share second place

    with pytest.raises(InvalidInput) as exc:
        rpc.results("sunan", {"from": "2026-12-31", "to": "2026-12-01"})
    assert exc.value.extra["errors"][0]["loc"] == ["query"]
    with pytest.raises(NotFound):
        rpc.results("tibet", {})


# --- branch administration -----------------------------------------------------------------

def test_the_admin_edits_a_branch_and_a_secretary_must_be_a_member(rpc, db):
    members = [{"username": "sn.secretary", "name": "蒋涛"}, {"username": "sn.wu", "name": "吴静"}]
    edited = rpc.update_branch("sunan", {"regions": ["苏州", "无锡"], "members": members,
                                         "secretary": members[1]}, ADMIN)
    assert edited["regions"] == ["苏州", "无锡"] and edited["secretary"]["username"] == "sn.wu"
    assert rpc.get_branch("sunan")["members"] == members

    with pytest.raises(InvalidInput) as exc:
        rpc.update_branch("sunan", {"secretary": {"username": "nobody", "name": "无名"}}, ADMIN)
    assert exc.value.extra["errors"][0]["loc"] == ["body", "secretary"]
    with pytest.raises(NotFound):
        rpc.update_branch("sunan", {"name": "x"}, SUNAN)
    with pytest.raises(NotFound):
        rpc.update_branch("tibet", {"name": "x"}, ADMIN)
    assert db.branches.find_one({"_id": "sunan"})["secretary"]["username"] == "sn.wu"
