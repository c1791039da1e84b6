"""A rollout, simulated: two instances of a service share its queue on the test broker, and one
is stopped (SIGTERM, as the kubelet stops a pod) while clients keep calling. A client that
retries a failed call once sees no error: the stopping instance finishes what it took, and a
request it had in hand when its connection closed comes back to the other one."""
from __future__ import annotations

import signal
import time

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from shared import rpc
from tests.faults.harness import eventually

CLIENTS = 4


def consumers(rabbit_manager, vhost: str, queue: str) -> int:
    for entry in rabbit_manager.get_queues(vhost):
        if entry["name"] == queue:
            return entry.get("consumers", 0)
    return 0


def test_stopping_one_of_two_instances_mid_traffic_costs_a_retrying_client_nothing(
        run_service, rabbit_config, rabbit_manager):
    first, second = run_service("teams"), run_service("teams")
    eventually(lambda: consumers(rabbit_manager, rabbit_config["vhost"], "rpc-teams") == 2,
               within=90, what="both instances to consume rpc-teams")
    calls, retried, failed = [0], [], []
    running = [True]

    def client():
        with ClusterRpcProxy(rabbit_config, timeout=10) as cluster:
            while running[0]:
                try:
                    rpc.call(cluster.teams, "list_teams", timeout=5)
                except Exception as first_error:
                    retried.append(repr(first_error))
                    try:
                        rpc.call(cluster.teams, "list_teams", timeout=5)
                    except Exception as second_error:
                        failed.append(repr(second_error))
                calls[0] += 1

    clients = [eventlet.spawn(client) for _ in range(CLIENTS)]
    eventlet.sleep(2)
    before = calls[0]
    stopped_at = time.monotonic()
    first.process.send_signal(signal.SIGTERM)
    eventually(lambda: first.process.poll() is not None, within=30, what="the first to stop")
    stop_seconds = time.monotonic() - stopped_at
    eventlet.sleep(2)
    running[0] = False
    for greenthread in clients:
        greenthread.wait()

    print(f"\nrollout: {calls[0]} calls by {CLIENTS} clients ({before} before the stop), the "
          f"instance stopped in {stop_seconds:.1f}s, {len(retried)} first tries failed, "
          f"{len(failed)} failed after one retry")
    assert before > 20 and calls[0] > before + 20  # traffic went on through the stop
    assert failed == []
    assert second.process.poll() is None
    # The management API's figures lag by a few seconds.
    eventually(lambda: consumers(rabbit_manager, rabbit_config["vhost"], "rpc-teams") == 1,
               within=30, what="one consumer left")
