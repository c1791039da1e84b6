"""Supervision end to end: the launcher's whole platform, time moved through the shared clock.

In the first week of next month (month M) the power company gets a general problem on the
Jietai project and gives no feedback within its 3 days: it is told; it solves the problem on
day 6, on time. The housing bureau's complex problem is unsolved at a month: it gets a plan and
a monthly clock. Two policy batches pass their 48 hours with the land bureau and the power
company owing. On the 1st of M+1 at 09:00 the timer issues M's yellow cards to exactly the
land bureau, the power company and the housing bureau, with reasons; regenerated, the same;
the .xlsx holds the same rows as the JSON.
"""
import io
import urllib.request
from urllib.parse import quote
from datetime import date, datetime, time as clock_time, timedelta, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from services.supervision import exports
from shared.embedded_db import free_port
from tests.e2e.conftest import Launched
from tests.waiting import wait_until

CST = ZoneInfo("Asia/Shanghai")
LAND, POWER, HOUSING = "县自然资源和规划局", "县供电公司", "县住房和城乡建设局"


@pytest.fixture(scope="module")
def platform(tmp_path_factory, e2e_vhost_uri):
    """The platform with the sla scan and the supervision timer every second."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUAIBAN_SLA_SCAN_SECONDS", "0.5")
        patch.setenv("KUAIBAN_SUPERVISION_REPORT_SECONDS", "1")
        launched = Launched(tmp_path_factory.mktemp("supervision") / "data", e2e_vhost_uri,
                            free_port())
        launched.start()
    yield launched
    if launched.process.poll() is None:
        launched.interrupt()


def login(platform, username, role, **scope):
    status, body = platform.request("POST", "/api/v1/users", {
        "username": username, "password": "password-12345", "display_name": username,
        "role": role, **scope})
    assert status == 201, body
    status, token = platform.request("POST", "/api/v1/auth/token",
                                     {"username": username, "password": "password-12345"},
                                     token=None)
    assert status == 200, token
    return token["access_token"]


def inbox(platform, token, kind, **data):
    status, page = platform.request("GET", "/api/v1/notifications?page_size=200", token=token)
    assert status == 200, page
    return [n for n in page["items"] if n["kind"] == kind
            and all(n["data"].get(k) == v for k, v in data.items())]


def problem_notices(platform, token, kind, problem_id):
    return [n for n in inbox(platform, token, kind)
            if n["data"]["problem"]["problem_id"] == problem_id]


def month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), CST).astimezone(timezone.utc)


def download(platform, path, token):
    request = urllib.request.Request(platform.url + path,
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


def test_problems_are_chased_and_the_months_faults_give_yellow_cards(platform):
    # Month M is next month; its first Monday 09:30 is T0.
    month = month_after(datetime.now(CST).date())
    first_monday = month + timedelta(days=(7 - month.weekday()) % 7)
    t0 = at_local(first_monday, 9, 30)
    month_key = f"{month.year}-{month.month:02d}"
    platform.clock.move_to(t0)

    power = login(platform, "gdgs", "department", department=POWER)
    housing = login(platform, "zjj", "department", department=HOUSING)
    land = login(platform, "zrj", "department", department=LAND)
    leader = login(platform, "chenguohua", "leader", team_id="new-energy")
    inspector = login(platform, "ducha", "inspector")
    status, found = platform.request("GET", "/api/v1/leads?q=" + quote("捷泰"))
    assert status == 200 and found["items"], found
    jietai = found["items"][0]["id"]

    # Two batches received 49 hours ago: past their 48 hours with land (and power) owing.
    for items in ([("land", "用地指标"), ("power", "双回路供电")], [("land", "临时用地")]):
        status, body = platform.request("POST", "/api/v1/policy-requests", {
            "lead_id": jietai, "enterprise": "捷泰新能源科技有限公司",
            "received_at": (t0 - timedelta(hours=49)).isoformat(),
            "items": [{"topic": topic, "category": category, "text": f"关于{topic}的诉求"}
                      for category, topic in items]})
        assert status == 201, body

    # A general problem raised today to the power company; a complex one raised 29 days ago
    # to the housing bureau, which answers and analyses it today.
    status, general = platform.request("POST", "/api/v1/problems", {
        "lead_id": jietai, "title": "双回路供电接入", "description": "试生产前需完成110千伏双回路供电接入",
        "owner_department": POWER, "complexity": "general"})
    assert status == 201, general
    status, complex_ = platform.request("POST", "/api/v1/problems", {
        "lead_id": jietai, "title": "安置房建设滞后", "description": "拆迁户安置房源不足",
        "owner_department": HOUSING, "complexity": "complex",
        "raised_at": (t0 - timedelta(days=29)).isoformat()})
    assert status == 201, complex_
    general_url, complex_url = (f"/api/v1/problems/{p['id']}" for p in (general, complex_))
    assert platform.request("POST", f"{complex_url}/feedback", {"text": "已收到"},
                            token=housing)[0] == 200
    assert platform.request("POST", f"{complex_url}/analysis", {
        "cause": "安置房源不足", "approach": "新建安置小区"}, token=housing)[0] == 200
    assert wait_until(lambda: problem_notices(platform, power, "problem_raised", general["id"]),
                      reason="problem_raised in the power company's inbox")

    # No feedback within its 3 days: the power company is told.
    def clock_of(url, slot):
        status, view = platform.request("GET", url)
        return view["deadlines"][slot].get("clock")
    feedback_due = datetime.fromisoformat(wait_until(
        lambda: clock_of(general_url, "feedback"), reason="the feedback clock")["due_at"])
    assert feedback_due >= t0 + timedelta(days=3)
    platform.clock.move_to(feedback_due + timedelta(minutes=1))
    [told] = wait_until(lambda: problem_notices(platform, power, "problem_deadline_missed",
                                                general["id"]),
                        reason="problem_deadline_missed in the power company's inbox")
    assert told["data"]["deadline"] == "feedback"

    # The complex problem is unsolved at a month: its department is told; it makes a plan,
    # which starts a monthly progress-report clock.
    assert wait_until(lambda: [
        n for n in problem_notices(platform, housing, "problem_deadline_missed", complex_["id"])
        if n["data"]["deadline"] == "solve"], reason="the missed solve deadline in the housing inbox")
    status, planned = platform.request("POST", f"{complex_url}/plan", {"steps": [
        {"step": "安置小区规划审批", "due_date": (month + timedelta(days=20)).isoformat()},
        {"step": "安置房主体完工", "due_date": (month + timedelta(days=120)).isoformat()}]},
        token=housing)
    assert status == 200, planned
    monthly = wait_until(lambda: clock_of(complex_url, "progress_report"),
                         reason="the monthly progress-report clock")
    assert datetime.fromisoformat(monthly["due_at"]) - datetime.fromisoformat(
        monthly["started_at"]) == timedelta(days=30)

    # Day 6 (later only if holidays pushed the feedback deadline past it): solved, on time.
    day6 = max(t0 + timedelta(days=6), feedback_due + timedelta(minutes=2))
    platform.clock.move_to(day6)
    for step, body in (("feedback", {"text": "已协调变电站间隔"}),
                       ("analysis", {"cause": "间隔不足", "approach": "调整间隔"}),
                       ("resolve", {"resolution": "双回路已送电"})):
        status, view = platform.request("POST", f"{general_url}/{step}", body, token=power)
        assert status == 200, (step, view)
    wait_until(lambda: platform.request("GET", general_url)[1]["deadlines"]["solve"]["state"]
               == "met", reason="the solve deadline to be met")
    status, late = platform.request("POST", f"{general_url}/feedback", {"text": "再次反馈"},
                                    token=power)
    assert status == 409 and late["allowed"] == []

    # The 1st of M+1, 09:00: the timer issues M's yellow cards; they reach units and leaders.
    platform.clock.move_to(at_local(month_after(month), 9) + timedelta(seconds=5))
    wait_until(lambda: inbox(platform, leader, "yellow_card_issued", month=month_key),
               reason="the month's yellow cards in the county leader's inbox")
    status, cards = platform.request("GET", f"/api/v1/yellow-cards?month={month_key}",
                                     token=inspector)
    assert status == 200, cards
    assert cards["generated_by"] == "timer"
    assert {c["unit_id"]: c["score"] for c in cards["cards"]} == {LAND: 4, POWER: 3, HOUSING: 3}
    reasons = {c["unit_id"]: sorted(r["rule"] for r in c["reasons"]) for c in cards["cards"]}
    assert reasons == {LAND: ["reply_breached", "reply_breached"],
                       POWER: ["problem_feedback_overdue", "reply_breached"],
                       HOUSING: ["problem_overdue"]}
    scores = {s["unit_id"]: s["score"] for s in cards["scores"]}
    assert scores.get("new-energy", 0) < 3  # Jietai's lagging trial production: no card
    assert wait_until(lambda: inbox(platform, land, "yellow_card_issued", unit_id=LAND),
                      reason="the land bureau's yellow card in its inbox")
    assert inbox(platform, land, "yellow_card_issued", unit_id=POWER) == []

    # Regenerated: the same cards. The workbook: the same rows.
    status, again = platform.request("POST", "/api/v1/reports/generate",
                                     {"report": "yellow_cards", "period": month_key},
                                     token=inspector)
    assert status == 200 and again["same_as_previous"] is True, again
    assert again["cards"] == cards["cards"]
    content_type, content = download(platform, f"/api/v1/yellow-cards.xlsx?month={month_key}",
                                     leader)
    assert content_type == exports.MEDIA_TYPE
    book = openpyxl.load_workbook(io.BytesIO(content))
    for title, key, columns in exports.SHEETS["yellow_cards"]:
        rows = list(book[title].values)
        assert rows[0] == tuple(header for _, header in columns)
        assert rows[1:] == [tuple(exports.cell(f, row.get(f)) for f, _ in columns)
                            for row in again[key]]

    # M+1's cards are not due until the 1st of M+2.
    following = month_after(month)
    status, problem = platform.request(
        "GET", f"/api/v1/yellow-cards?month={following.year}-{following.month:02d}",
        token=inspector)
    assert status == 422 and problem["errors"][0]["loc"] == ["query", "month"], problem
