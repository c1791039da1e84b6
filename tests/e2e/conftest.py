"""End-to-end: `make run`'s launcher as a real process tree, driven over HTTP.

The launcher runs exactly as `make run` does, on a throwaway vhost and its own data folder,
with MONGO_URI unset so that it starts the embedded SecantusDB itself.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from shared.clock import OffsetFileClock
from shared.config import ROOT
from shared.embedded_db import free_port
from tests.waiting import wait_until


class Launched:
    def __init__(self, data_dir: Path, amqp_uri: str, port: int, sigint_ignored: bool = False):
        self.data_dir, self.amqp_uri, self.port = data_dir, amqp_uri, port
        # Started as a script's background job is: SIGINT ignored from the start.
        self.sigint_ignored = sigint_ignored
        self.process: subprocess.Popen | None = None
        self.token: str | None = None
        # Every service's clock reads real time plus this file's offset: tests move it.
        self.clock = OffsetFileClock(str(data_dir.parent / "clock_offset"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> float:
        env = {k: v for k, v in os.environ.items()
               if k not in ("MONGO_URI", "KUAIBAN_ADMIN_PASSWORD", "KUAIBAN_JWT_SECRET")}
        env.update(AMQP_URI=self.amqp_uri, KUAIBAN_PORT=str(self.port),
                   KUAIBAN_DATA_DIR=str(self.data_dir),
                   KUAIBAN_CLOCK_OFFSET_FILE=str(self.clock.path))
        started = time.monotonic()
        self.output = open(self.data_dir.parent / f"launcher-{time.time_ns()}.log", "wb")
        # Its own process group, so that the teardown can kill the whole tree if it must.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.launcher"], cwd=ROOT, env=env, stdout=self.output,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=ignore_sigint if self.sigint_ignored else None)

        def up() -> bool:
            assert self.process.poll() is None, self.log()
            return b"Kuaiban is up" in Path(self.output.name).read_bytes()
        try:
            wait_until(up, timeout, reason="the launcher to say 'Kuaiban is up'", poll=0.3)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log()}") from None
        self.token = self.login()
        return time.monotonic() - started

    def log(self) -> str:
        return Path(self.output.name).read_text(errors="replace")[-4000:]

    def pids(self) -> list[int]:
        return [int(p) for p in (self.data_dir / "pids").read_text().split()]

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C: SIGINT to the launcher; returns its exit code."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout)
        self.output.close()
        return code

    def stop(self, timeout: float = 30) -> None:
        """Teardown: Ctrl-C, and if the platform is not gone within `timeout`, SIGKILL of its
        whole process group (the launcher, every service and the embedded database)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.output.close()

    def request(self, method: str, path: str, body=None, token: str | None = "default",
                headers: dict | None = None):
        token = self.token if token == "default" else token
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def login(self) -> str:
        password = (self.data_dir / "admin_password").read_text().strip()
        status, body = self.request("POST", "/api/v1/auth/token",
                                    {"username": "admin", "password": password}, token=None)
        assert status == 200, body
        return body["access_token"]


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def e2e_vhost_uri(request, vhost_pipeline):
    base = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        yield f"{base.scheme}://{base.netloc}/{vhost}"


@pytest.fixture(scope="session")
def session_vhost_uri(request, vhost_pipeline):
    base = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        yield f"{base.scheme}://{base.netloc}/{vhost}"


@pytest.fixture(scope="session")
def platform(tmp_path_factory, session_vhost_uri):
    """The platform as `make run` starts it, shared by the modules that need no settings of
    their own (a start costs half a minute); test_platform.py's Ctrl-C test, which stops it,
    runs after the others (its module comes last of them)."""
    launched = Launched(tmp_path_factory.mktemp("run") / "data", session_vhost_uri, free_port())
    launched.startup_seconds = launched.start()
    yield launched
    launched.stop()
