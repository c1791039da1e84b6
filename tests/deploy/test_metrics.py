"""Every service serves its metrics on METRICS_PORT (a setting of config.yaml), the outbox
backlog and dead-letter depths among them, read at each scrape."""
from __future__ import annotations

import time
import urllib.request

from kombu import Connection, Producer
from nameko.standalone.rpc import ServiceRpcProxy

from shared.config import load_config
from shared.embedded_db import free_port
from shared.reliable import DEFAULT_EXCHANGE, dead_letter_queue
from tests.faults.harness import eventually

TEAMS_DLQ = "dlq.evt-leads-lead_created--teams.assign_lead"


def scrape(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as answer:
            return answer.read().decode()
    except OSError:
        return None


def sample(text: str, name: str, **labels) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_port_is_a_setting(monkeypatch):
    monkeypatch.setenv("METRICS_PORT", "9100")
    assert str(load_config()["METRICS_PORT"]) == "9100"
    monkeypatch.delenv("METRICS_PORT")
    assert not load_config()["METRICS_PORT"]


def test_a_worker_serves_its_backlog_and_dead_letter_depth(run_service, rabbit_config):
    port = free_port()
    run_service("teams", METRICS_PORT=str(port))
    text = eventually(lambda: scrape(port), within=60, what="teams' /metrics")
    assert sample(text, "kuaiban_outbox_unsent", service="teams") == 0
    assert sample(text, "kuaiban_dead_letters", service="teams", queue=TEAMS_DLQ) == 0

    # A message parked in one of teams' dead-letter queues shows at the next scrape.
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        Producer(connection.default_channel).publish(
            {"poison": True}, exchange=DEFAULT_EXCHANGE, routing_key=TEAMS_DLQ,
            declare=[dead_letter_queue(TEAMS_DLQ.removeprefix("dlq."))], serializer="json")
    depth = eventually(lambda: sample(scrape(port) or "", "kuaiban_dead_letters",
                                      service="teams", queue=TEAMS_DLQ) == 1,
                       within=10, what="the dead letter to be counted")
    assert depth

    # Each entrypoint's last success is exported: a timer that stops shows as a growing lag.
    with ServiceRpcProxy("teams", rabbit_config, timeout=5) as proxy:
        proxy.health()
    stamp = sample(scrape(port), "kuaiban_worker_last_success_timestamp_seconds",
                   entrypoint="teams.health")
    assert stamp is not None and abs(stamp - time.time()) < 30
