"""A handler that keeps failing does not block its queue: retries with backoff, then the
dead-letter queue, where an operator can look at the message and replay it."""
import io
import uuid

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from nameko.amqp.publish import get_connection

from shared.cli import dlq_replay, dlq_show, main, queue_depth
from shared.clock import utcnow
from shared.events import LeadCreated, make_event
from shared.handlers import on_event
from shared.reliable import ATTEMPTS_HEADER, ERROR_HEADER, declare_topology

TAKEN: list[str] = []
FAILURES: dict[str, int] = {}
QUEUE = "evt-leads-lead_created--tolerant.take"


class TolerantConsumer:
    """Takes leads; 'poison' always fails, 'flaky-N' fails N times, then works."""

    name = "tolerant"
    healed = False

    @on_event("leads", "lead_created")
    def take(self, envelope, lead):
        if lead.title == "poison" and not TolerantConsumer.healed:
            raise RuntimeError("this lead breaks the handler")
        if lead.title.startswith("flaky-"):
            FAILURES[lead.title] = FAILURES.get(lead.title, 0) + 1
            if FAILURES[lead.title] <= int(lead.title.split("-")[1]):
                raise ConnectionError("database blinked")
        TAKEN.append(lead.title)


def event(title: str) -> dict:
    return make_event("leads", LeadCreated(
        lead_id=uuid.uuid4().hex, title=title, company_name="c", industry="光伏",
        investment_cny=1, major=False), utcnow()).model_dump(mode="json")


@pytest.fixture
def consumer(config, container_factory):
    TAKEN.clear()
    FAILURES.clear()
    TolerantConsumer.healed = False
    config = {**config, "EVENT_MAX_ATTEMPTS": 3, "EVENT_RETRY_BACKOFF_SECONDS": 0.05}
    container = container_factory(TolerantConsumer, config)
    container.start()
    return container, config


def wait_for(container, count: int):
    for _ in range(count):
        with entrypoint_waiter(container, "take", timeout=10):
            pass


def test_a_poison_message_is_dead_lettered_and_the_rest_flow_on(consumer):
    container, config = consumer
    dispatch = event_dispatcher(config)
    with entrypoint_waiter(container, "take", timeout=10,
                           callback=lambda *_: len(TAKEN) == 3 and _dead(config) == 1):
        dispatch("leads", "lead_created", event("poison"))
        for title in ("16 requests", "48 hours", "Jietai"):
            dispatch("leads", "lead_created", event(title))
    assert TAKEN == ["16 requests", "48 hours", "Jietai"]

    shown = dlq_show(config, f"dlq.{QUEUE}", 10, out=io.StringIO())
    assert len(shown) == 1
    assert shown[0]["payload"]["data"]["title"] == "poison"
    assert shown[0]["headers"][ATTEMPTS_HEADER] == 4  # three attempts were made
    assert "this lead breaks the handler" in shown[0]["headers"][ERROR_HEADER]
    assert _dead(config) == 1  # showing leaves it in place

    TolerantConsumer.healed = True  # the bug is fixed: replay it
    with entrypoint_waiter(container, "take", timeout=10):
        assert dlq_replay(config, f"dlq.{QUEUE}", None, out=io.StringIO()) == 1
    assert TAKEN[-1] == "poison" and _dead(config) == 0


def test_a_transient_failure_is_retried_until_it_works(consumer):
    container, config = consumer
    with entrypoint_waiter(container, "take", timeout=10, callback=lambda *_: bool(TAKEN)):
        event_dispatcher(config)("leads", "lead_created", event("flaky-2"))
    assert TAKEN == ["flaky-2"] and FAILURES["flaky-2"] == 3
    assert _dead(config) == 0


def test_a_malformed_event_goes_straight_to_the_dead_letters(consumer):
    container, config = consumer
    with entrypoint_waiter(container, "take", timeout=10):
        event_dispatcher(config)("leads", "lead_created", {"event_id": "not-a-uuid"})
    shown = dlq_show(config, f"dlq.{QUEUE}", 10, out=io.StringIO())
    assert [s["headers"][ATTEMPTS_HEADER] for s in shown] == [2]  # no retry
    assert TAKEN == []


def test_an_event_sent_before_its_consumer_ever_started_is_not_lost(config, container_factory):
    TAKEN.clear()
    assert declare_topology(config, classes=[TolerantConsumer]) == 1
    event_dispatcher(config)("leads", "lead_created", event("sent before start"))
    container = container_factory(TolerantConsumer, config)
    with entrypoint_waiter(container, "take", timeout=10):
        container.start()
    assert TAKEN == ["sent before start"]


def _dead(config) -> int:
    """How many messages wait in the consumer's dead-letter queue."""
    with get_connection(config["AMQP_URI"]) as connection:
        return queue_depth(connection.default_channel, f"dlq.{QUEUE}")


def test_the_operator_commands_declare_and_list_every_queue(config, monkeypatch, capsys):
    monkeypatch.setenv("AMQP_URI", config["AMQP_URI"])
    assert main(["declare"]) == 0
    assert "declared the queues of" in capsys.readouterr().out
    assert main(["dlq", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "dlq.evt-leads-lead_created--teams.assign_lead" in " ".join(listed)
    assert all(line.split()[0] == "0" for line in listed)
