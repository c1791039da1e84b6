"""A Southern Jiangsu branch trip to Suzhou, through the whole platform over HTTP.

Three days out; five firms visited on day one and, after 21:00 (the clock moved, never
slept), a day-one summary listing all five. The visit to a solar firm becomes a lead, the
teams service gives it to the new-energy team, it is signed, and the branch's results show one
signed project and its 6 billion yuan; the silent second day alerts the branch. The Zhejiang
branch, reporting the firm later, gets 409.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest

from shared.clock import utcnow
from shared.embedded_db import free_port
from tests.e2e.conftest import Launched
from tests.waiting import wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIVE = ["苏州某光能科技有限公司", "苏州某精密制造有限公司", "昆山某电子有限公司",
        "吴江某纺织有限公司", "常熟某汽车零部件有限公司"]


@pytest.fixture(scope="module")
def platform(tmp_path_factory, e2e_vhost_uri):
    """The launcher as `make run` starts it, with the summary timer checking every half second."""
    env = pytest.MonkeyPatch()
    env.setenv("KUAIBAN_BRANCH_SUMMARY_INTERVAL", "0.5")
    try:
        launched = Launched(tmp_path_factory.mktemp("run") / "data", e2e_vhost_uri, free_port())
        launched.start()
    finally:
        env.undo()
    yield launched
    if launched.process.poll() is None:
        launched.interrupt()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=SHANGHAI)


def member(platform, username: str, branch_id: str) -> str:
    password = f"{username}-password"
    status, body = platform.request("POST", "/api/v1/users", {
        "username": username, "password": password, "display_name": username,
        "role": "branch_member", "branch_id": branch_id})
    assert status == 201, body
    status, body = platform.request("POST", "/api/v1/auth/token",
                                    {"username": username, "password": password}, token=None)
    assert status == 200, body
    return body["access_token"]


def test_a_three_day_trip_brings_a_signed_project_home(platform):
    # Day one is a month ahead of real time: every service's clock is moved there.
    day1 = (utcnow().astimezone(SHANGHAI) + timedelta(days=30)).date()
    day3 = day1 + timedelta(days=2)
    platform.clock.move_to(local(day1, 18))
    sunan = member(platform, "sn.han", "sunan")
    zhejiang = member(platform, "zj.yang", "zhejiang")

    status, trip = platform.request("POST", "/api/v1/branches/sunan/trips", {
        "destination": "苏州", "start_date": day1.isoformat(), "end_date": day3.isoformat(),
        "members": ["sn.secretary", "sn.han"],
        "targets": [{"company": name, "questions": ["投资意向?"]} for name in FIVE],
    }, token=sunan)
    assert status == 201, trip

    visits = {}
    for hour, company in zip((9, 10, 13, 15, 17), FIVE):
        status, visit = platform.request("POST", f"/api/v1/trips/{trip['id']}/visits", {
            "company": company, "visited_at": local(day1, hour).isoformat(),
            "interest": "high" if company == FIVE[0] else "medium"}, token=sunan)
        assert status == 201, visit
        visits[company] = visit

    # Before 21:00 there is no summary; after it, the timer produces day one's.
    def summaries():
        status, body = platform.request("GET", f"/api/v1/trips/{trip['id']}/summaries", token=sunan)
        assert status == 200, body
        return body

    # At 18:00 the timer runs but may not summarise day one. The same timer summarises a day
    # already past 21:00 (the Zhejiang branch's trip yesterday, one visit): once that summary
    # is there, the timer has run since day one's visits, at 18:00.
    day0 = day1 - timedelta(days=1)
    status, yesterday = platform.request("POST", "/api/v1/branches/zhejiang/trips", {
        "destination": "嘉兴", "start_date": day0.isoformat(), "end_date": day0.isoformat()},
        token=zhejiang)
    assert status == 201, yesterday
    status, visit = platform.request("POST", f"/api/v1/trips/{yesterday['id']}/visits", {
        "company": "嘉兴某纺织有限公司", "visited_at": local(day0, 10).isoformat()}, token=zhejiang)
    assert status == 201, visit
    wait_until(lambda: platform.request("GET", f"/api/v1/trips/{yesterday['id']}/summaries",
                                        token=zhejiang)[1],
               reason="the timer to summarise the Zhejiang branch's trip of yesterday")
    assert summaries() == []
    platform.clock.move_to(local(day1, 21, 1))
    found = wait_until(lambda: len(s := summaries()) == 1 and s,
                       reason="day one's summary after 21:00")
    assert len(found) == 1, found
    summary = found[0]
    assert summary["day"] == day1.isoformat() and summary["visit_count"] == 5
    assert [c["company"] for c in summary["companies"]] == FIVE
    assert summary["targets_not_visited"] == []
    status, amended = platform.request(
        "PATCH", f"/api/v1/trips/{trip['id']}/summaries/{day1.isoformat()}",
        {"next_day_plan": "上午回访光能科技, 下午拜访园区管委会"}, token=sunan)
    assert status == 200 and amended["next_day_plan"].startswith("上午回访"), amended

    # The solar firm's visit becomes a lead, assigned to the new-energy team.
    status, sourced = platform.request("POST", f"/api/v1/visits/{visits[FIVE[0]]['id']}/lead", {
        "title": "高效光伏电池片项目", "industry": "太阳能电池",
        "investment_cny": 6_000_000_000}, token=sunan)
    assert status == 201, sourced
    def sourced_lead():
        body = platform.request("GET", f"/api/v1/leads/{sourced['lead_id']}")[1]
        return body if isinstance(body, dict) and body.get("team_id") else None

    lead = wait_until(sourced_lead, reason="the sourced lead and its team")
    assert lead["team_id"] == "new-energy", lead
    assert lead["source_branch_id"] == "sunan"
    status, seen_by_member = platform.request("GET", f"/api/v1/leads/{sourced['lead_id']}",
                                              token=sunan)
    assert status == 200 and seen_by_member["id"] == sourced["lead_id"]

    # Signed: the branch's results show one signed project and its investment.
    platform.clock.move_to(local(day3, 10))
    for stage in ("negotiating", "signed"):
        status, moved = platform.request("POST", f"/api/v1/leads/{sourced['lead_id']}/stage",
                                         {"stage": stage})
        assert status == 200, moved
    period = f"from={day1.isoformat()}&to={day3.isoformat()}"
    results = wait_until(
        lambda: (body := platform.request("GET", f"/api/v1/branches/sunan/results?{period}")[1])
        .get("signed") == 1 and body, reason="the branch's results to count the signing")
    assert results["signed"] == 1, results
    assert results["investment_signed_cny"] == 6_000_000_000
    assert results["leads_sourced"] == 1 and results["visits"] == 5
    assert results["conversion_rate"] == 1.0
    status, ranking = platform.request("GET", f"/api/v1/branches/ranking?{period}")
    assert status == 200 and ranking["items"][0]["branch_id"] == "sunan", ranking

    # Day two passed 21:00 with no visit and no summary: the branch hears of it in its inbox.
    def unreported_alerts():
        status, inbox = platform.request("GET", "/api/v1/notifications", token=sunan)
        assert status == 200, inbox
        return [n for n in inbox["items"] if n["kind"] == "trip_day_unreported"]

    alerts = wait_until(unreported_alerts, reason="trip_day_unreported in the branch's inbox")
    assert [a["data"]["day"] for a in alerts] == [(day1 + timedelta(days=1)).isoformat()], alerts
    assert "branch:sunan" in alerts[0]["recipients"]

    # The Zhejiang branch meets the same firm: the Southern Jiangsu branch keeps the credit.
    status, other_trip = platform.request("POST", "/api/v1/branches/zhejiang/trips", {
        "destination": "嘉兴", "start_date": day3.isoformat(), "end_date": day3.isoformat()},
        token=zhejiang)
    assert status == 201, other_trip
    status, other_visit = platform.request("POST", f"/api/v1/trips/{other_trip['id']}/visits",
                                           {"company": "苏州某光能科技 有限公司"}, token=zhejiang)
    assert status == 201, other_visit
    status, problem = platform.request("POST", f"/api/v1/visits/{other_visit['id']}/lead", {
        "industry": "太阳能电池", "investment_cny": 5_000_000_000}, token=zhejiang)
    assert status == 409, problem
    assert problem["existing_id"] == sourced["lead_id"]
