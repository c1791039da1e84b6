"""Health of one Kuaiban process, for container probes and for `make run`.

    python -m shared.healthcheck live SERVICE    exit 0 while this very process beats
    python -m shared.healthcheck ready SERVICE   ... and last found the broker and database answering
    python -m shared.healthcheck rpc SERVICE     exit 0 when some instance answers the `health` RPC

Each service process with HEALTH_FILE set writes a heartbeat there (`Heartbeat`): the time of
its last beat, whether its consumers still run, and whether the broker and the database
answered the last check. `live` and `ready` read that file inside the pod, so no sibling can
answer for a wedged process, and a broker or database outage fails readiness (no traffic)
without failing liveness (no restart of every pod at once). They import no nameko and no
eventlet: a probe costs a Python start and a file read.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# A beat older than this means the process is wedged (its event loop no longer runs).
LIVE_STALE_SECONDS = 30.0


def read_heartbeat(path: str | os.PathLike) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_problem(beat: dict, service: str, stale_seconds: float, now: float) -> str | None:
    """Why the process is not alive, or None."""
    if beat.get("service") != service:
        return f"the heartbeat is {beat.get('service')!r}'s, not {service!r}'s"
    if not process_exists(int(beat.get("pid", 0))):
        return f"process {beat.get('pid')} is gone"
    age = now - float(beat.get("beat_at", 0))
    if age > stale_seconds:
        return f"last beat {age:.0f}s ago (wedged?)"
    if not beat.get("consumers"):
        return "its consumers stopped"
    return None


def ready_problem(beat: dict, service: str, stale_seconds: float, now: float) -> str | None:
    """Why the process should get no traffic, or None."""
    problem = live_problem(beat, service, stale_seconds, now)
    if problem:
        return problem
    if now - float(beat.get("checked_at", 0)) > stale_seconds:
        return "no dependency check lately"
    down = [name for name in ("broker", "database") if not beat.get(name)]
    return f"unreachable: {', '.join(down)}" if down else None


# --- the writer, inside each service process ---------------------------------------------

class Heartbeat:
    """Beats every `interval` seconds into `path`; checks broker and database as often, in a
    greenthread of their own, so that a dependency that hangs never delays the beat."""

    def __init__(self, container, path: str, ping, interval: float = 5.0):
        self.container, self.path, self.ping = container, Path(path), ping
        self.interval = interval
        self.state = {"service": container.service_name, "pid": os.getpid(), "beat_at": 0.0,
                      "checked_at": 0.0, "consumers": False, "broker": False, "database": False}

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.container.spawn_managed_thread(self.beat_forever)
        self.container.spawn_managed_thread(self.check_forever)

    def consumer_threads(self) -> tuple[int, int]:
        """(running, all) of the container's queue consumers: nameko's one for RPC and events."""
        from nameko.messaging import QueueConsumer

        consumers = [e for e in self.container.extensions if isinstance(e, QueueConsumer)]
        running = [c for c in consumers if c._gt is not None and not c._gt.dead]
        return len(running), len(consumers)

    def write(self) -> None:
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.state), encoding="utf-8")
        os.replace(partial, self.path)  # a probe never reads half a file

    def beat_forever(self) -> None:
        import eventlet

        while True:
            running, existing = self.consumer_threads()
            self.state.update(beat_at=time.time(), consumers=running == existing,
                              consumer_threads=running)
            self.write()
            eventlet.sleep(self.interval)

    def check_forever(self) -> None:
        import eventlet
        from kombu import Connection

        def answers(check) -> bool:
            try:
                with eventlet.Timeout(3):
                    check()
                return True
            except BaseException:  # eventlet.Timeout is not an Exception
                return False

        def broker():
            with Connection(self.container.config["AMQP_URI"], connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0)

        while True:
            self.state.update(broker=answers(broker), database=answers(self.ping),
                              checked_at=time.time())
            eventlet.sleep(self.interval)


def start_heartbeat(container, ping) -> Heartbeat | None:
    """The process's heartbeat, when HEALTH_FILE is set (containers set it)."""
    path = container.config.get("HEALTH_FILE")
    if not path:
        return None
    beat = Heartbeat(container, path, ping,
                     float(container.config.get("HEALTH_INTERVAL_SECONDS") or 5))
    beat.start()
    return beat


# --- the RPC check (make run waits for every service with it) ------------------------------

def check(service: str, config: dict, timeout: float = 5.0) -> dict:
    """The `health` RPC of `service`, answered by any of its instances. Its reply queue is
    exclusive, auto-deleted and classic: gone with the connection, never a quorum queue."""
    from nameko.standalone.rpc import ServiceRpcProxy

    with ServiceRpcProxy(service, config, timeout=timeout,
                         reply_listener_cls=probe_reply_listener()) as proxy:
        return proxy.health()


def probe_reply_listener():
    import uuid

    from kombu import Queue
    from nameko.rpc import RPC_REPLY_QUEUE_TEMPLATE, get_rpc_exchange
    from nameko.standalone.rpc import SingleThreadedReplyListener

    class ProbeReplyListener(SingleThreadedReplyListener):
        """nameko's reply queue is durable and lives 5 minutes after use (a replicated quorum
        queue where quorum is the default type); a probe's dies with its connection."""

        def setup(self):
            reply_id = uuid.uuid4()
            self.routing_key = str(reply_id)
            self.queue = Queue(
                RPC_REPLY_QUEUE_TEMPLATE.format(self.container.service_name, reply_id),
                exchange=get_rpc_exchange(self.container.config), routing_key=self.routing_key,
                durable=False, exclusive=True, auto_delete=True,
                queue_arguments={"x-queue-type": "classic"})
            self.queue_consumer.register_provider(self)

    return ProbeReplyListener


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.healthcheck",
                                     description="health of a Kuaiban process")
    parser.add_argument("mode", choices=("live", "ready", "rpc"))
    parser.add_argument("service")
    parser.add_argument("--file", default=os.environ.get("KUAIBAN_HEALTH_FILE"),
                        help="the heartbeat file (default: KUAIBAN_HEALTH_FILE)")
    parser.add_argument("--stale", type=float, default=LIVE_STALE_SECONDS,
                        help="seconds after which a beat is too old")
    args = parser.parse_args(argv)
    if args.mode == "rpc":
        import eventlet

        eventlet.monkey_patch()
        from shared.config import load_config

        try:
            print(check(args.service, load_config()))
        except Exception as exc:  # any failure means not healthy
            print(f"{args.service} is not healthy: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        return 0
    if not args.file:
        print("no heartbeat file: set KUAIBAN_HEALTH_FILE or pass --file", file=sys.stderr)
        return 2
    try:
        beat = read_heartbeat(args.file)
    except (OSError, ValueError) as exc:
        print(f"{args.service}: no heartbeat yet ({exc})", file=sys.stderr)
        return 1
    judge = live_problem if args.mode == "live" else ready_problem
    problem = judge(beat, args.service, args.stale, time.time())
    if problem:
        print(f"{args.service} is not {args.mode}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
