"""The retry path on quorum queues (EVENT_QUEUE_TYPE=quorum, as on the cluster of deploy/k8s),
on the suite's private RabbitMQ node: retry and dead-letter queues are quorum queues, a retry
dead-letters at least once (with reject-publish overflow, which that strategy needs), and a
message waiting out its backoff comes back to its handler's queue."""
from __future__ import annotations

import json
import subprocess
import time

from kombu import Connection, Producer

from services.teams.service import TeamsService
from shared.reliable import (
    DEFAULT_EXCHANGE, declare_topology, retry_queue, retry_queue_name,
)

QUEUE = "evt-leads-lead_created--teams.assign_lead"


def queues_of(broker, vhost: str) -> dict[str, dict]:
    listed = subprocess.run(
        ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", broker.nodename, "list_queues", "-p", vhost, "name",
         "type", "arguments", "--formatter", "json"],
        env=broker.environ(), capture_output=True, text=True, check=True, timeout=60).stdout
    return {q["name"]: q for q in json.loads(listed)}


def arguments(queue: dict) -> dict:
    """rabbitmqctl's JSON gives each argument as [name, type, value] (or a mapping)."""
    args = queue["arguments"]
    return dict(args) if isinstance(args, dict) else {a[0]: a[-1] for a in args}


def own_vhost(broker, name: str) -> str:
    """A vhost of this test's own: the other fault tests declared the same queue names as
    classic queues on this node, and a queue's type and arguments cannot change."""
    ctl = ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", broker.nodename]
    subprocess.run([*ctl, "delete_vhost", name], env=broker.environ(), capture_output=True,
                   timeout=60)
    for command in (["add_vhost", name], ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]):
        subprocess.run([*ctl, *command], env=broker.environ(), capture_output=True, check=True,
                       timeout=60)
    return f"{broker.amqp_uri.rstrip('/')}/{name}"


def test_a_retry_on_quorum_queues_comes_back_to_its_handler(broker):
    uri = own_vhost(broker, "quorum-retry")
    config = {"AMQP_URI": uri, "EVENT_QUEUE_TYPE": "quorum"}
    assert declare_topology(config, classes=[TeamsService]) == 4

    queues = queues_of(broker, "quorum-retry")
    retry, dead = queues[retry_queue_name(QUEUE)], queues[f"dlq.{QUEUE}"]
    assert retry["type"] == "quorum" and dead["type"] == "quorum"
    assert arguments(retry)["x-dead-letter-strategy"] == "at-least-once"
    assert arguments(retry)["x-overflow"] == "reject-publish"
    assert arguments(retry)["x-dead-letter-routing-key"] == QUEUE

    with Connection(uri) as connection:
        channel = connection.default_channel
        sent = time.monotonic()
        Producer(channel).publish({"event_id": "retry-me"}, exchange=DEFAULT_EXCHANGE,
                                  routing_key=retry_queue_name(QUEUE),
                                  declare=[retry_queue(QUEUE, quorum=True)],
                                  serializer="json", expiration=0.3,
                                  headers={"x-kuaiban-attempts": 2})
        message = None
        while message is None and time.monotonic() - sent < 10:
            message = channel.basic_get(QUEUE, no_ack=False)
            time.sleep(0.05)
        assert message is not None, "the retried message did not come back"
        waited = time.monotonic() - sent
        assert json.loads(message.body) == {"event_id": "retry-me"}
        assert message.headers["x-kuaiban-attempts"] == 2
        assert message.headers["x-death"][0]["queue"] == retry_queue_name(QUEUE)
        channel.basic_ack(message.delivery_tag)
    print(f"\nquorum retry: back in its handler's queue {waited:.2f}s after a 0.3 s backoff")
    assert waited >= 0.3
