"""RPC between services that neither hangs, nor runs a request twice, nor dies with the broker.

nameko 2.14 has three holes here, closed in this module:

- A caller waits for a reply forever. `call()` gives up after `timeout` seconds and raises
  `Unavailable` (which crosses RPC as itself; the gateway answers it with 503 and Retry-After),
  and the request itself expires in the broker after the same time, so that a service coming
  back does not carry out requests whose callers were told 503 long ago.
- A service whose reply cannot be published (the broker went away while the worker ran) lets
  the error escape the worker, and the container, hence the service process, dies.
- A request whose worker's connection died before its ack is delivered again, and would be
  carried out a second time (a second lead for one POST).
- A timeout per call is no promise per request: an HTTP request making four calls of 4 s
  each could take 16 s. The gateway gives each request one deadline, carried to every RPC it
  causes (in nameko's context data, which each call passes on), and `call()` gives each call
  only what is left of it.

`GuardedRpcConsumer` takes the place of nameko's `RpcConsumer` for every `@rpc` entrypoint
(nameko has no setting for it, so `guard_rpc_entrypoints()` swaps the class attribute; every
service calls it through shared.storage before its container is built). It logs a reply it
cannot send instead of dying, and answers a redelivered request with `Unavailable` instead of
running it again: its caller has given up or hears "try again", and never gets a double effect.
"""
from __future__ import annotations

import logging
import time

import eventlet
from nameko import rpc as nameko_rpc
from nameko.exceptions import UnknownService
from nameko.rpc import MethodProxy, Rpc, RpcConsumer, ServiceProxy
from nameko.web.handlers import HttpRequestHandler

from shared.errors import Unavailable

log = logging.getLogger(__name__)

# The gateway's leaves room for its own work within the 5 s it promises an HTTP client; a
# service calling another uses a shorter one, so that its caller hears why it gave up.
GATEWAY_RPC_TIMEOUT_SECONDS = 4.0
SERVICE_RPC_TIMEOUT_SECONDS = 3.0
# What an HTTP request may spend on RPCs in all (the rest of the 5 s is the gateway's own work);
# `REQUEST_DEADLINE_SECONDS` in the configuration changes it.
REQUEST_DEADLINE_SECONDS = 4.5
# The context-data key of a request's deadline: seconds since the epoch (wall time, since it
# crosses processes).
DEADLINE_KEY = "deadline"


def seconds_left(worker_ctx) -> float | None:
    """What is left of the deadline of the request this worker serves; None without one.

    Only a worker answering a caller (an HTTP request, an RPC) has one: an event handler's
    work was caused by a request long answered, and its context's deadline is history."""
    if worker_ctx is None or not isinstance(worker_ctx.entrypoint, (Rpc, HttpRequestHandler)):
        return None
    deadline = (worker_ctx.context_data or {}).get(DEADLINE_KEY)
    return None if deadline is None else float(deadline) - time.time()


def call(proxy, method: str, *args, timeout: float = SERVICE_RPC_TIMEOUT_SECONDS,
         beyond_deadline: bool = False):
    """`proxy.method(*args)`, or `Unavailable` when no answer comes within `timeout` seconds.
    Errors the callee raised (NotFound, Conflict, ...) pass through unchanged.
    `beyond_deadline`: `timeout` stands on its own, for the few requests a client knowingly
    waits longer for (a ledger import's chunks)."""
    # ServiceProxy answers any attribute with a method proxy: read its own fields directly.
    service = vars(proxy).get("service_name", "a service")
    left = seconds_left(vars(proxy).get("worker_ctx"))
    if left is not None and not beyond_deadline:
        if left <= 0:
            raise Unavailable(f"the request ran out of time before {service} was asked to "
                              f"{method}; try again shortly")
        timeout = min(timeout, left)  # what is left of the request's deadline, no more
    if isinstance(proxy, ServiceProxy):
        # The request waits in the broker no longer than its caller waits for the answer.
        method_proxy = MethodProxy(proxy.worker_ctx, proxy.service_name, method,
                                   proxy.reply_listener, **{**proxy.options, "expiration": timeout})
    else:
        method_proxy = getattr(proxy, method)
    try:
        with eventlet.Timeout(timeout) as ours:
            return method_proxy(*args)
    except eventlet.Timeout as exc:
        if exc is not ours:  # an outer deadline: not ours to answer
            raise
        raise Unavailable(
            f"{service} 服务未在 {timeout:.3g} 秒内答复 {method}，请稍后重试") from None
    except UnknownService:
        raise Unavailable(f"{service} 服务未运行，请稍后重试") from None


class GuardedRpcConsumer(RpcConsumer):
    def handle_message(self, body, message):
        if message.delivery_info.get("redelivered"):
            # Handed to a worker before, whose connection then died: that worker may well
            # have done it. Say so rather than do it again.
            log.warning("refusing redelivered request %s (correlation id %s)",
                        message.delivery_info.get("routing_key"),
                        message.properties.get("correlation_id"))
            error = Unavailable("请求因服务重启而中断，可能已执行也可能未执行；"
                                "请先查看结果再决定是否重试")
            self.handle_result(message, None, (Unavailable, error, None))
            return
        super().handle_message(body, message)

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except Exception:
            # The broker is gone: the caller's timeout has answered it already. The request
            # stays unacked, comes back flagged as redelivered, and is refused then.
            log.warning("could not reply to %s (correlation id %s); the caller has timed out",
                        message.delivery_info.get("routing_key"),
                        message.properties.get("correlation_id"), exc_info=True)
            return result, exc_info


def guard_rpc_entrypoints() -> None:
    """Make every `@rpc` entrypoint built from now on use `GuardedRpcConsumer`."""
    if not isinstance(nameko_rpc.Rpc.rpc_consumer, GuardedRpcConsumer):
        nameko_rpc.Rpc.rpc_consumer = GuardedRpcConsumer()
