"""`on_event`: the one way a Kuaiban service subscribes to another's events.

It is a durable per-handler queue shared by all replicas of the service (SERVICE_POOL,
reliable delivery) whose failures are retried and then dead-lettered (shared.reliable), and
it validates the payload against the event's model before the handler sees it: the handler
receives `(envelope, data)`.
"""
from __future__ import annotations

import logging

from shared.errors import InvalidInput
from shared.events import event_model, parse_event
from shared.reliable import reliable_event_handler

log = logging.getLogger(__name__)


def on_event(source: str, event_type: str):
    event_model(source, event_type)  # fail at import time on an event nobody declared

    def decorator(handler):
        def entrypoint(self, payload):
            try:
                envelope, data = parse_event(source, event_type, payload)
            except InvalidInput as exc:
                # A malformed event can never succeed: it goes to the dead-letter queue at once.
                log.error("invalid %s.%s event: %s", source, event_type, exc.extra)
                raise
            return handler(self, envelope, data)

        # Copy the name but not __wrapped__: nameko checks the entrypoint's own signature.
        entrypoint.__name__ = handler.__name__
        entrypoint.__qualname__ = handler.__qualname__
        entrypoint.__doc__ = handler.__doc__
        return reliable_event_handler(source, event_type)(entrypoint)

    return decorator
