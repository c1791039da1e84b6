"""RPC that runs a request at most once: a request redelivered after its worker's connection died
is refused, not run again; a request whose caller gave up expires in the broker instead of being
run when the service comes back. Real broker, real nameko containers."""
import time

import eventlet
import pytest
from eventlet.event import Event
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy

from shared.errors import Unavailable
from shared.rpc import GuardedRpcConsumer, call
import shared.storage  # noqa: F401  (what every service imports: it guards @rpc entrypoints)
from tests.waiting import wait_until

CALLS: list[str] = []


class Registry:
    """Records each lead it is asked to register; holds the worker until released."""

    name = "registry"
    release = Event()

    @rpc
    def register(self, title):
        CALLS.append(title)
        Registry.release.wait()
        return title


@pytest.fixture(autouse=True)
def fresh():
    CALLS.clear()
    Registry.release = Event()
    yield
    if not Registry.release.ready():
        Registry.release.send(None)


def test_every_rpc_entrypoint_uses_the_guarded_consumer(config, container_factory):
    container = container_factory(Registry, config)
    [entrypoint] = container.entrypoints
    assert isinstance(entrypoint.rpc_consumer, GuardedRpcConsumer)


def test_a_request_redelivered_after_its_worker_died_is_refused_not_run_twice(
        config, container_factory):
    first = container_factory(Registry, config)
    first.start()
    with ServiceRpcProxy("registry", config, timeout=20) as registry:
        reply = registry.register.call_async("捷泰新能源")
        wait_until(lambda: CALLS == ["捷泰新能源"], reason="the first worker to take the call")
        # The process dies with the worker inside: the broker gets the request back.
        first.kill()
        second = container_factory(Registry, config)
        second.start()
        with pytest.raises(Unavailable, match="may or may not have been carried out"):
            reply.result()
    assert CALLS == ["捷泰新能源"]  # carried out once, by the worker that died


def test_a_request_whose_caller_gave_up_expires_before_the_service_returns(
        config, container_factory):
    Registry.release.send(None)  # answers at once from now on
    stopped = container_factory(Registry, config)
    stopped.start()
    stopped.stop()  # its queue stays; nobody consumes it
    with ServiceRpcProxy("registry", config) as registry:
        started = time.monotonic()
        with pytest.raises(Unavailable, match="registry did not answer register within 0.5s"):
            call(registry, "register", "已放弃的请求", timeout=0.5)
        assert time.monotonic() - started < 2
        eventlet.sleep(1)  # past its expiry
        back = container_factory(Registry, config)
        back.start()
        assert call(registry, "register", "新的请求", timeout=10) == "新的请求"
    # The queue is first in, first out: the abandoned request would have come first.
    assert CALLS == ["新的请求"]
