"""One request's correlation id follows it through the gateway, RPC and events."""
import pytest

from services.gateway.service import GatewayService
from services.leads.service import LeadsService
from services.teams.service import TeamsService
from shared.observability import CorrelationFilter
from tests.waiting import wait_until


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, GatewayService, LeadsService, TeamsService)
    runner.start()
    return runner


def test_the_id_reaches_every_worker_the_request_caused(gateway, web_session, caplog, mongo,
                                                         db_prefix):
    caplog.handler.addFilter(CorrelationFilter())
    caplog.set_level("INFO", logger="kuaiban.worker")
    token = web_session.post("/api/v1/auth/token", json={
        "username": "admin", "password": "admin-password-for-tests"}).json()["access_token"]

    response = web_session.post("/api/v1/leads", headers={
        "Authorization": f"Bearer {token}", "X-Request-Id": "trace-16-requests"}, json={
        "title": "光伏组件项目", "company": {"name": "某光伏公司"}, "industry": "光伏",
        "investment_cny": 500_000_000})
    assert response.status_code == 201
    assert response.headers["X-Request-Id"] == "trace-16-requests"

    wanted = {"leads.create", "teams.assign_lead", "leads.record_team"}
    def traced():
        return {r.getMessage().split()[0] for r in caplog.records
                if getattr(r, "correlation_id", None) == "trace-16-requests"}

    wait_until(lambda: wanted <= traced(), reason=f"log lines of {sorted(wanted)} with the id")
    assert wanted <= traced()
    outbox = mongo[f"{db_prefix}leads"].outbox.find_one({"type": "lead_created"})
    assert outbox["correlation_id"] == "trace-16-requests"


def test_a_request_without_an_id_gets_one(gateway, web_session):
    first = web_session.get("/healthz").headers["X-Request-Id"]
    second = web_session.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert len(first) == 32 and second.headers["X-Request-Id"] != "bad id with spaces"
