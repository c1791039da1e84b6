"""One deadline per HTTP request, carried through every RPC it causes.

GET /problems/{id} asks supervision for the problem, then sla once per deadline of it. Each call
used to have a timeout of its own (4 s: 16 s in the worst case against the gateway's 5 s); now
each gets what is left of the request's deadline, so a slow sla makes the answer a timely 503.
"""
import time

import eventlet
import pytest
from nameko.rpc import rpc

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService
from tests.interface.helpers import login
from tests.waiting import wait_until

DEADLINE_SECONDS = 2.0  # the request's RPC budget in this test (4.5 s in production)
SOLAR = {"title": "捷泰新能源高效电池片项目", "company": {"name": "捷泰新能源科技有限公司"},
         "industry": "太阳能电池", "investment_cny": 13_000_000_000}


class SlowSla:
    """The sla service as seen through `get_clock`, answering after `delay` seconds (a busy sla:
    the gateway's deadline is what is tested here, not the sla service)."""

    name = "sla"
    delay = 0.0

    @rpc
    def get_clock(self, kind, subject_id):
        eventlet.sleep(SlowSla.delay)
        return {"due_at": "2026-11-19T09:30:00+08:00", "elapsed_pct": 12.5, "state": "on_track",
                "paused": False, "counted_hours": 9.0, "started_at": "2026-11-16T09:30:00+08:00"}


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config, "REQUEST_DEADLINE_SECONDS": DEADLINE_SECONDS},
                            GatewayService, LeadsService, TeamsService, SupervisionService, SlowSla)
    runner.start()
    yield runner
    SlowSla.delay = 0.0


def test_get_problem_answers_within_the_request_deadline_however_slow_sla_is(
        gateway, web_session):
    admin = login(web_session, "admin", "admin-password-for-tests")
    lead = web_session.post("/api/v1/leads", json=SOLAR, headers=admin).json()
    wait_until(lambda: web_session.get(f"/api/v1/leads/{lead['id']}", headers=admin)
               .json()["team_id"], reason="the lead's team")
    raised = web_session.post("/api/v1/problems", headers=admin, json={
        "lead_id": lead["id"], "title": "双回路供电接入", "owner_department": "县供电公司",
        "description": "项目试生产前需完成110千伏双回路供电接入", "complexity": "general"})
    assert raised.status_code == 201, raised.text
    url = f"/api/v1/problems/{raised.json()['id']}"

    # sla answers at once: the problem with both deadlines' live clocks.
    shown = web_session.get(url, headers=admin)
    assert shown.status_code == 200, shown.text
    assert {slot: d["clock"]["state"] for slot, d in shown.json()["deadlines"].items()} == {
        "feedback": "on_track", "solve": "on_track"}

    # sla takes 1.5 s an answer: the two clocks one after the other would take 3 s, past the
    # deadline. The second call gets only what is left, and the answer is a 503 in time.
    SlowSla.delay = 0.75 * DEADLINE_SECONDS
    started = time.monotonic()
    late = web_session.get(url, headers=admin)
    elapsed = time.monotonic() - started
    print(f"\nanswered {late.status_code} after {elapsed:.2f}s (deadline {DEADLINE_SECONDS:g}s)")
    assert late.status_code == 503 and late.headers["Retry-After"], late.text
    assert "sla 服务未在" in late.json()["detail"] and "秒内答复 get_clock" in late.json()["detail"]
    assert elapsed < 2 * SlowSla.delay  # less than the two calls in turn would have taken
