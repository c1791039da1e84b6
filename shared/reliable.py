"""Event delivery that loses nothing: bounded retries with backoff, then a dead-letter queue.

nameko acks and drops a message whose handler raised. `ReliableEventHandler` instead sends a
failed message to `retry.<queue>`, where it waits (per-message TTL, doubling each attempt) and
then dead-letters back to the handler's queue; after EVENT_MAX_ATTEMPTS, or at once for input
that can never be valid, it goes to `dlq.<queue>`, where `kuaiban dlq` lists, shows and replays
it. The handler's queue is acked only after the message is safely elsewhere.

`declare_topology` declares every handler's queue, retry queue and dead-letter queue, bound to
its exchange, so an event published before its consumer first started is not lost: each
service declares the queues of its own events' consumers as it starts (shared.storage).
"""
from __future__ import annotations

import importlib
import logging
import traceback

from kombu import Exchange, Queue
from nameko.amqp.publish import Publisher, get_connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import SERVICE_POOL, EventHandler
from nameko.standalone.events import get_event_exchange

from shared.errors import InvalidInput

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-kuaiban-attempts"
ERROR_HEADER = "x-kuaiban-error"
QUEUE_HEADER = "x-kuaiban-queue"
DEFAULT_EXCHANGE = Exchange("", type="direct")

# Every service: the launcher, the topology and the dead-letter tool all read this one table.
SERVICES = {
    "leads": "services.leads.service:LeadsService",
    "teams": "services.teams.service:TeamsService",
    "branches": "services.branches.service:BranchesService",
    "policy": "services.policy.service:PolicyService",
    "sla": "services.sla.service:SlaService",
    "supervision": "services.supervision.service:SupervisionService",
    "notifier": "services.notifier.service:NotifierService",
    "gateway": "services.gateway.service:GatewayService",
}


def retry_queue_name(queue: str) -> str:
    return f"retry.{queue}"


def dead_letter_queue_name(queue: str) -> str:
    return f"dlq.{queue}"


def retry_queue(queue: str) -> Queue:
    # Expired messages dead-letter through the default exchange straight back to `queue`.
    return Queue(retry_queue_name(queue), exchange=DEFAULT_EXCHANGE,
                 routing_key=retry_queue_name(queue), durable=True,
                 queue_arguments={"x-dead-letter-exchange": "",
                                  "x-dead-letter-routing-key": queue})


def dead_letter_queue(queue: str) -> Queue:
    return Queue(dead_letter_queue_name(queue), exchange=DEFAULT_EXCHANGE,
                 routing_key=dead_letter_queue_name(queue), durable=True)


def is_permanent(exc: BaseException) -> bool:
    """Input that failed validation fails the same way every time: no point retrying it."""
    return isinstance(exc, InvalidInput)


class ReliableEventHandler(EventHandler):
    def setup(self):
        super().setup()
        config = self.container.config
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS") or 5)
        self.backoff_seconds = float(config.get("EVENT_RETRY_BACKOFF_SECONDS") or 1.0)
        self.publisher = Publisher(config[AMQP_URI_CONFIG_KEY])

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None:
            try:
                self.retry_or_dead_letter(message, exc_info[1])
            except Exception:  # broker trouble: put it back rather than lose it
                log.exception("could not park a failed message of %s; requeued", self.queue.name)
                self.settle(self.queue_consumer.requeue_message, message)
                return
        self.settle(self.queue_consumer.ack_message, message)

    def settle(self, ack_or_requeue, message) -> None:
        # nameko lets a socket error from an ack escape the worker, which kills the whole
        # service. The broker delivers an unacked message again, and handlers are idempotent.
        try:
            ack_or_requeue(message)
        except Exception:
            log.warning("%s: the broker connection dropped before the ack; the message will be "
                        "delivered again", self.queue.name, exc_info=True)

    def retry_or_dead_letter(self, message, exc: BaseException) -> None:
        attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 1))
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:1000]
        headers = {**(message.headers or {}), ATTEMPTS_HEADER: attempts + 1,
                   ERROR_HEADER: error, QUEUE_HEADER: self.queue.name}
        if is_permanent(exc) or attempts >= self.max_attempts:
            target = dead_letter_queue(self.queue.name)
            log.error("%s: message dead-lettered after %d attempt(s): %s",
                      self.queue.name, attempts, error)
            self.publisher.publish(message.payload, exchange=DEFAULT_EXCHANGE,
                                   routing_key=target.name, declare=[target], headers=headers)
        else:
            target = retry_queue(self.queue.name)
            delay = self.backoff_seconds * 2 ** (attempts - 1)
            log.warning("%s: attempt %d failed, retrying in %.2fs: %s",
                        self.queue.name, attempts, delay, error)
            self.publisher.publish(message.payload, exchange=DEFAULT_EXCHANGE,
                                   routing_key=target.name, declare=[target], headers=headers,
                                   expiration=delay)


def reliable_event_handler(source: str, event_type: str):
    return ReliableEventHandler.decorator(source, event_type, handler_type=SERVICE_POOL,
                                          reliable_delivery=True)


# --- the topology -----------------------------------------------------------------------

def service_classes() -> list:
    found = []
    for path in SERVICES.values():
        module, name = path.split(":")
        found.append(getattr(importlib.import_module(module), name))
    return found


def handler_bindings(classes=None) -> list[tuple[str, str, str]]:
    """(source, event type, queue name) of every reliable event handler of every service."""
    bindings = []
    for cls in classes or service_classes():
        for attr in dir(cls):
            for extension in getattr(getattr(cls, attr, None), "nameko_entrypoints", ()):
                if isinstance(extension, ReliableEventHandler):
                    queue = "evt-{}-{}--{}.{}".format(
                        extension.source_service, extension.event_type, cls.name, attr)
                    bindings.append((extension.source_service, extension.event_type, queue))
    return sorted(set(bindings))


def declare_topology(config: dict, classes=None, source: str | None = None) -> int:
    """Declare every handler's queue (as nameko declares it), retry and dead-letter queue;
    with `source`, only those of the handlers of that service's events."""
    bindings = [b for b in handler_bindings(classes) if source in (None, b[0])]
    with get_connection(config[AMQP_URI_CONFIG_KEY]) as connection:
        channel = connection.default_channel
        for source, event_type, name in bindings:
            exchange = get_event_exchange(source, config)
            main = Queue(name, exchange=exchange, routing_key=event_type, durable=True,
                         auto_delete=False, exclusive=False)
            for queue in (main, retry_queue(name), dead_letter_queue(name)):
                queue.maybe_bind(channel)
                queue.declare()
    return len(bindings)


def dead_letter_queues(config: dict) -> list[str]:
    return [dead_letter_queue_name(q) for _, _, q in handler_bindings()]
