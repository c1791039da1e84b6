"""Domain errors shared by every service.

Each is registered with nameko's `deserialize_to_instance`, so an RPC caller (the gateway)
gets the same exception type back and can map it to an HTTP status in one table.
The arguments cross the broker as two strings, the message and the extra fields as JSON:
nameko turns any other argument into its str(), so True would arrive as "True".
"""
from __future__ import annotations

import json

from nameko.exceptions import deserialize_to_instance


class KuaibanError(Exception):
    """Base of every error a Kuaiban service raises on purpose."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str = "", extra: dict | str | None = None):
        if not isinstance(extra, str):
            extra = json.dumps(extra or {}, ensure_ascii=False, default=str)
        super().__init__(detail, extra)

    @property
    def detail(self) -> str:
        return self.args[0]

    @property
    def extra(self) -> dict:
        return json.loads(self.args[1]) if len(self.args) > 1 else {}


@deserialize_to_instance
class NotFound(KuaibanError):
    status = 404
    title = "Not found"


@deserialize_to_instance
class Conflict(KuaibanError):
    """A duplicate, or a transition the state machine forbids; `extra` says what exists or is allowed."""

    status = 409
    title = "Conflict"


@deserialize_to_instance
class InvalidInput(KuaibanError):
    """Input that fails validation; `extra["errors"]` is a list of {loc, msg}."""

    status = 422
    title = "Unprocessable content"


@deserialize_to_instance
class Unavailable(KuaibanError):
    status = 503
    title = "Service unavailable"


def field_error(loc: list, message: str) -> InvalidInput:
    """422 naming one field, e.g. field_error(["body", "note"], "a reason is required")."""
    return InvalidInput(message, {"errors": [{"loc": loc, "msg": message}]})


def invalid_from_pydantic(exc, prefix: tuple = ()) -> InvalidInput:
    """Turn a pydantic ValidationError into InvalidInput naming each field."""
    errors = [
        {"loc": [*prefix, *[str(p) for p in err["loc"]]], "msg": err["msg"]}
        for err in exc.errors(include_url=False)
    ]
    fields = ", ".join(".".join(e["loc"]) for e in errors)
    return InvalidInput(f"invalid input: {fields}", {"errors": errors})
