"""The Idempotency-Key of an HTTP POST, as the services that create documents see it.

The gateway answers a repeated key from its record of the first answer. When that record is
missing (the first try answered 503 after the service had stored the change, or the gateway
died in between), the request runs again: it reaches the service with the same key in its
context data, and the service names the new document by the caller and the key, so the unique
`_id` index keeps one document and the retry finds the one stored.
"""
from __future__ import annotations

import hashlib
import uuid

from nameko.contextdata import ContextDataProvider

IDEMPOTENCY_CONTEXT_KEY = "idempotency_key"


class IdempotencyKey(ContextDataProvider):
    """The caller's Idempotency-Key (None without one), passed on by the gateway."""

    context_key = IDEMPOTENCY_CONTEXT_KEY


def new_id(actor: str, key: str | None) -> str:
    """A new document's id: random without a key; with one, the same for the same caller and key."""
    if not key:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{actor}\n{key}".encode("utf-8")).hexdigest()[:32]
