"""What the fault tests break, and how they look at the damage.

`PrivateBroker` is a RabbitMQ node of the tests' own (its own node name, ports and data under a
temporary folder), so that stopping it disturbs no other test and leaves the machine's broker at
5672 alone. `PrivateDatabase` is a SecantusDB on a fixed port and storage path that can be
stopped and started again on the same data. `FaultPlatform` is the launcher's `Platform` (what
`make run` starts: each service its own `nameko run` process) on those two, so a `kill -9` is a
real one. `Api` drives the gateway over HTTP and times every answer.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from kombu import Connection
from pymongo import MongoClient

from shared.clock import OffsetFileClock
from shared.embedded_db import EmbeddedMongo, free_port
from shared.healthcheck import check
from shared.launcher import Platform
from tests.waiting import wait_until

RABBITMQ_SERVER_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server",
                              "/usr/lib/rabbitmq/sbin/rabbitmq-server")


def rabbitmq_server() -> str:
    """The server script itself, not the Debian wrapper in /usr/sbin (which `su`s to the
    rabbitmq user, who could not write our temporary folder)."""
    for candidate in RABBITMQ_SERVER_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("rabbitmq-server")
    if found is None:
        raise RuntimeError("the fault tests start their own RabbitMQ node: install rabbitmq-server")
    return found


def holds_within(check, within: float, every: float = 0.5) -> bool:
    """True as soon as `check()` holds, False if it still does not after `within` seconds: for a
    figure reported either way (a test that just needs to wait uses tests/waiting.wait_until)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


class PrivateBroker:
    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.dist_port = free_port()
        self.nodename = f"kuaiban-faults-{os.getpid()}@localhost"
        self.process: subprocess.Popen | None = None
        base.mkdir(parents=True, exist_ok=True)
        # No plugins, our own config file and env file: nothing of /etc/rabbitmq applies.
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "disk_free_limit.absolute = 1MB\n")
        (base / "rabbitmq-env.conf").write_text("")

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def environ(self) -> dict:
        return {
            **os.environ,
            "HOME": str(self.base),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbitmq.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def answers(self) -> bool:
        try:
            with Connection(self.amqp_uri, connect_timeout=1) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0)
            return True
        except Exception:
            return False

    def start(self, timeout: float = 90) -> float:
        """Start the node; returns the seconds until it accepted an AMQP connection."""
        started = time.monotonic()
        log = open(self.base / "server.out", "ab")
        self.process = subprocess.Popen([rabbitmq_server()], env=self.environ(), stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        log.close()
        while not self.answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"private rabbitmq-server exited: see {self.base}/server.out")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"private rabbitmq-server not up within {timeout}s")
            time.sleep(0.1)
        return time.monotonic() - started

    def stop(self, timeout: float = 30) -> float:
        """A clean stop of the whole node (its script, the Erlang VM and its helpers)."""
        started = time.monotonic()
        if self.process is None or self.process.poll() is not None:
            return 0.0
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        # The VM may outlive its script for a moment: wait until the port is free.
        wait_until(lambda: not self.answers(), timeout, reason="the broker to stop", poll=0.2)
        return time.monotonic() - started


class PrivateDatabase:
    def __init__(self, base: Path):
        self.server = EmbeddedMongo(base / "data", port=free_port(), log_path=base / "secantus.log",
                                    module="tests.faults.database_server")

    @property
    def uri(self) -> str:
        return self.server.uri

    def start(self) -> float:
        started = time.monotonic()
        self.server.start()
        return time.monotonic() - started

    def stop(self) -> None:
        self.server.stop()

    def client(self) -> MongoClient:
        return MongoClient(self.uri, tz_aware=True, serverSelectionTimeoutMS=10000)


@dataclass
class Answer:
    status: int
    body: object
    seconds: float
    headers: dict = field(default_factory=dict)
    sent_at: float = 0.0


class Api:
    def __init__(self, url: str, password: str):
        self.url, self.password = url, password
        self.token: str | None = None

    def request(self, method: str, path: str, body=None, token: str | None = "default",
                timeout: float = 30) -> Answer:
        token = self.token if token == "default" else token
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        sent_at = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw, headers = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            status, raw, headers = exc.code, exc.read(), dict(exc.headers)
        except OSError as exc:  # refused, reset, timed out: no HTTP answer at all
            return Answer(0, repr(exc), time.monotonic() - sent_at, {}, sent_at)
        try:
            parsed = json.loads(raw or b"null")
        except ValueError:
            parsed = raw
        return Answer(status, parsed, time.monotonic() - sent_at, headers, sent_at)

    def login(self) -> str:
        answer = self.request("POST", "/api/v1/auth/token",
                              {"username": "admin", "password": self.password}, token=None)
        assert answer.status == 200, answer
        self.token = answer.body["access_token"]
        return self.token

    def ready(self) -> bool:
        return self.request("GET", "/readyz", token=None, timeout=10).status == 200


class FaultPlatform(Platform):
    """Every service as its own process on the private broker and database; the tests kill,
    restart and reconfigure single services."""

    def __init__(self, data_dir: Path, broker: PrivateBroker, database: PrivateDatabase,
                 settings: dict[str, str]):
        self.clock = OffsetFileClock(str(data_dir.parent / "clock_offset"))
        environ = {k: v for k, v in os.environ.items()
                   if k not in ("KUAIBAN_ADMIN_PASSWORD", "KUAIBAN_JWT_SECRET")}
        environ.update(AMQP_URI=broker.amqp_uri, MONGO_URI=database.uri,
                       KUAIBAN_CLOCK_OFFSET_FILE=self.clock.path, **settings)
        super().__init__(data_dir, free_port(), demo=False, environ=environ)
        # (not `self.database`: the launcher keeps the database it started itself there)
        self.broker, self.private_database = broker, database

    def start(self) -> None:
        super().start()
        self.api = Api(self.base_url, self.admin_password)
        self.api.login()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        process = self.processes[name]
        process.send_signal(sig)
        return process.wait(30)

    def answers(self, name: str) -> bool:
        """`name` answers its health RPC (the gateway: /readyz)."""
        if name == "gateway":
            return self.api.ready()
        try:
            check(name, self.config, timeout=2)
            return True
        except Exception:
            return False

    def restart(self, name: str, within: float = 60, **settings: str) -> float:
        """Start `name` again (with `settings` in its environment); seconds until it answers."""
        started = time.monotonic()
        self.spawn(name, **settings)
        wait_until(lambda: self.answers(name), within, reason=f"{name} to answer", poll=0.2)
        return time.monotonic() - started

    def healthy(self, within: float = 60) -> None:
        """Every service process alive and answering, the gateway ready."""
        self.check_alive()
        for name in self.processes:
            wait_until(lambda: self.answers(name), within, reason=f"{name} to answer", poll=0.2)

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.data_dir / "logs" / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def figures_line(test: str, figures: dict) -> str:
    return f"[faults] {test}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
