"""Typed RPC clients (shared/client.py) over the real broker: a call reaches its service through
shared.rpc.call, and the caller's reply queue is a classic queue even where the broker makes
quorum queues by default (deploy/k8s/rabbitmq.yaml), since a reply queue needs no replicas."""
import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy

from shared.client import Calls, ServiceClient
from shared.errors import Unavailable
import shared.storage  # noqa: F401  (what every service imports: it guards @rpc entrypoints)


class Clerk:
    name = "clerk"

    @rpc
    def stamp(self, number):
        return f"县政府〔2026〕{number}号"


class ClerkCalls(Calls):
    def stamp(self, number: int) -> str:
        return self._call("stamp", number)


class ClerkClient(ServiceClient):
    service_name = "clerk"
    calls = ClerkCalls


class Office:
    name = "office"
    clerk = ClerkClient(timeout=2.0)

    @rpc
    def reply_number(self, number):
        return self.clerk.stamp(number)


def test_a_typed_client_calls_its_service(config, container_factory):
    for service in (Clerk, Office):
        container_factory(service, config).start()
    with ServiceRpcProxy("office", config, timeout=10) as office:
        assert office.reply_number(7) == "县政府〔2026〕7号"


def test_a_service_that_does_not_answer_is_unavailable_within_the_clients_timeout(
        config, container_factory):
    container_factory(Office, config).start()  # no clerk
    with ServiceRpcProxy("office", config, timeout=10) as office:
        with pytest.raises(Unavailable, match="clerk"):
            office.reply_number(7)


def test_the_callers_reply_queue_is_a_classic_queue(config, container_factory, rabbit_manager,
                                                     rabbit_config):
    container_factory(Office, config).start()
    vhost = rabbit_config["vhost"]
    replies = [q for q in rabbit_manager.get_queues(vhost)
               if q["name"].startswith("rpc.reply-office-")]
    assert len(replies) == 1, [q["name"] for q in rabbit_manager.get_queues(vhost)]
    assert replies[0]["arguments"].get("x-queue-type") == "classic"
    assert replies[0]["arguments"].get("x-expires")  # gone a while after its process
