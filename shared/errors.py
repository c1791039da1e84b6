"""Domain errors shared by every service.

Each is registered with nameko's `deserialize_to_instance`, so an RPC caller (the gateway)
gets the same exception type back and can map it to an HTTP status in one table.
The arguments cross the broker as two strings, the message and the extra fields as JSON:
nameko turns any other argument into its str(), so True would arrive as "True".
"""
from __future__ import annotations

import functools
import json

from nameko.exceptions import deserialize_to_instance

from shared import messages_zh


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
    """422 naming one field by its Chinese label, e.g. field_error(["body", "note"], "必填")."""
    return field_invalid(loc, message)


def invalid_from_pydantic(exc, prefix: tuple = ()) -> InvalidInput:
    """Turn a pydantic ValidationError into InvalidInput naming each field, in Chinese."""
    errors = []
    for err in exc.errors(include_url=False):
        loc = [*prefix, *[str(p) for p in err["loc"]]]
        errors.append({"loc": loc, "msg": messages_zh.field_message(loc, messages_zh.reason(err))})
    return InvalidInput(messages_zh.detail_of(errors), {"errors": errors})


def field_invalid(loc: list, text: str) -> InvalidInput:
    """A 422 about one field, worded like validation's: "计划投资（元）：应为整数"."""
    errors = [{"loc": loc, "msg": messages_zh.field_message(loc, text)}]
    return InvalidInput(messages_zh.detail_of(errors), {"errors": errors})


@deserialize_to_instance
class NotAllowed(KuaibanError):
    """The caller sees the object but may not act on it (a leader on another team's project)."""

    status = 403
    title = "Forbidden"


class Refusal(Exception):
    """A domain rule refused a request. Not a KuaibanError: it never crosses RPC itself; a use
    case decorated with `refusals_as_rpc_errors` turns it into `rpc_error()` (a 409 or a 422)."""

    def rpc_error(self) -> KuaibanError:
        raise NotImplementedError


def refusals_as_rpc_errors(case):
    """A domain refusal crosses RPC as the error it stands for (its `rpc_error()`)."""
    @functools.wraps(case)
    def run(*args, **kwargs):
        try:
            return case(*args, **kwargs)
        except Refusal as refusal:
            raise refusal.rpc_error() from None
    return run
