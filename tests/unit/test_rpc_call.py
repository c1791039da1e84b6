"""`shared.rpc.call`: an RPC that gives up in time, and lets the callee's own errors through."""
import time

import eventlet
import pytest
from nameko.events import EventHandler
from nameko.exceptions import UnknownService
from nameko.rpc import Rpc

from shared.errors import NotFound, Unavailable
from shared.rpc import DEADLINE_KEY, call


class LeadsProxy:
    """Stands in for the broker and the leads service: outside what `call` is about."""

    def __init__(self, answer_after: float = 0.0, raises: Exception | None = None):
        self.service_name = "leads"
        self.answer_after, self.raises = answer_after, raises

    def get(self, lead_id):
        eventlet.sleep(self.answer_after)
        if self.raises is not None:
            raise self.raises
        return {"id": lead_id}


def test_an_answer_in_time_is_returned():
    assert call(LeadsProxy(0.01), "get", "jietai", timeout=1) == {"id": "jietai"}


def test_no_answer_within_the_timeout_is_unavailable_and_says_who():
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        call(LeadsProxy(answer_after=5), "get", "jietai", timeout=0.2)
    assert time.monotonic() - started < 1
    assert "leads 服务未在 0.2 秒内答复 get，请稍后重试" in caught.value.detail


def test_a_service_that_is_not_running_is_unavailable():
    with pytest.raises(Unavailable, match="leads 服务未运行，请稍后重试"):
        call(LeadsProxy(raises=UnknownService("leads")), "get", "jietai", timeout=1)


def test_the_callees_own_error_passes_through():
    with pytest.raises(NotFound):
        call(LeadsProxy(raises=NotFound("no lead jietai")), "get", "jietai", timeout=1)


def test_an_outer_deadline_is_not_taken_for_ours():
    with pytest.raises(eventlet.Timeout):
        with eventlet.Timeout(0.1):
            call(LeadsProxy(answer_after=5), "get", "jietai", timeout=3)


class Worker:
    """A worker's context as nameko makes it: its entrypoint and the context data it was sent."""

    def __init__(self, entrypoint, deadline_in: float):
        self.entrypoint = entrypoint
        self.context_data = {DEADLINE_KEY: time.time() + deadline_in}


def answering(worker, answer_after: float = 0.0) -> LeadsProxy:
    proxy = LeadsProxy(answer_after)
    proxy.worker_ctx = worker  # as nameko's ServiceProxy holds the worker it calls for
    return proxy


def test_a_call_gets_only_what_is_left_of_the_request_deadline():
    started = time.monotonic()
    with pytest.raises(Unavailable, match=r"在 0\.[23]\d* 秒内"):
        call(answering(Worker(Rpc(), deadline_in=0.3), answer_after=5), "get", "jietai",
             timeout=4)
    assert time.monotonic() - started < 1


def test_a_request_out_of_time_asks_nobody():
    proxy = answering(Worker(Rpc(), deadline_in=-0.1))
    proxy.get = None  # would fail if called
    with pytest.raises(Unavailable, match="ran out of time before leads was asked to get"):
        call(proxy, "get", "jietai", timeout=4)


def test_an_event_handler_is_not_held_to_the_deadline_of_the_request_that_caused_it():
    handler = EventHandler("leads", "lead_created")
    assert call(answering(Worker(handler, deadline_in=-60), 0.01), "get", "jietai",
                timeout=1) == {"id": "jietai"}
