"""Typed RPC clients: each service's `client.py` names its RPCs as methods with their arguments
and result types, so a caller never calls a method by string and a renamed RPC fails lint, not
production. Every call goes through `shared.rpc.call` (timeout, the request's deadline, 503 when
the service does not answer).

    class LeadsCalls(Calls):
        def get(self, lead_id: str) -> LeadRecord:
            return self._call("get", lead_id)

    class LeadsClient(ServiceClient):
        service_name = "leads"
        calls = LeadsCalls

A service declares `leads = LeadsClient()` as it would `RpcProxy("leads")`.

A method that acts for a caller takes it as `principal: Principal` (shared/scope.py) and sends
`sent(principal)`, never a username or a role apart (tests/unit/test_principal_rpcs.py).
"""
from __future__ import annotations

from kombu import Queue
from nameko.rpc import RPC_REPLY_QUEUE_TTL, ReplyListener, RpcProxy

from shared.rpc import SERVICE_RPC_TIMEOUT_SECONDS, call
from shared.scope import Principal


def sent(principal: Principal | None) -> dict | None:
    """The caller as an RPC carries it: the principal's JSON dict (services parse it again with
    `Principal.of`); None for a service's own call, which reads everything."""
    return None if principal is None else Principal.of(principal).model_dump()


class ClassicReplyListener(ReplyListener):
    """nameko's reply queue, declared as a classic queue. On a broker whose default queue type
    is quorum (deploy/k8s/rabbitmq.yaml) nameko's would be a replicated quorum queue per process,
    made again at every restart and kept 5 minutes: a reply queue serves one process and needs
    no replicas (a lost reply is a timeout its caller already handles)."""

    def setup(self):
        super().setup()
        self.queue = Queue(self.queue.name, exchange=self.queue.exchange,
                           routing_key=self.routing_key,
                           queue_arguments={"x-expires": RPC_REPLY_QUEUE_TTL,
                                            "x-queue-type": "classic"})


class Calls:
    """The RPCs of one service, bound to one worker's proxy."""

    def __init__(self, proxy, timeout: float = SERVICE_RPC_TIMEOUT_SECONDS):
        self._proxy = proxy
        self._timeout = timeout

    def _call(self, method: str, *args, beyond_deadline: bool = False):
        return call(self._proxy, method, *args, timeout=self._timeout,
                    beyond_deadline=beyond_deadline)


class ServiceClient(RpcProxy):
    """A nameko dependency like `RpcProxy`, whose worker-side object is the service's `Calls`."""

    service_name: str
    calls: type[Calls] = Calls
    rpc_reply_listener = ClassicReplyListener()

    def __init__(self, timeout: float = SERVICE_RPC_TIMEOUT_SECONDS, **options):
        super().__init__(self.service_name, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        return self.calls(super().get_dependency(worker_ctx), self.timeout)
