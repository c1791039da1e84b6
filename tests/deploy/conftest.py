"""A Kuaiban service as the image runs it: `nameko run --config config.yaml ...` as its own
process, on this test's vhost and databases, its stdout and stderr kept apart."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.config import ROOT
from shared.reliable import SERVICES
from tests.leftovers import SESSION_MARKER


class ServiceProcess:
    def __init__(self, name: str, env: dict, folder: Path):
        self.name, self.env, self.folder = name, env, folder
        self.stdout_path = folder / f"{name}.stdout"
        self.stderr_path = folder / f"{name}.stderr"
        self.process: subprocess.Popen | None = None

    def start(self) -> "ServiceProcess":
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", "config.yaml",
                 SERVICES[self.name]],
                cwd=ROOT, env=self.env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                start_new_session=True)
        return self

    def stdout_records(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout_path.read_text().splitlines()
                if line.strip()]

    def wait_for_line(self, text: str, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while text not in self.stdout_path.read_text(errors="replace"):
            assert self.process.poll() is None, self.stderr_path.read_text()[-3000:]
            assert time.monotonic() < deadline, f"{self.name}: no {text!r} within {within}s"
            time.sleep(0.2)

    def stop(self, timeout: float = 20) -> None:
        if self.process is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.process.wait()


@pytest.fixture
def service_env(rabbit_config, mongo_uri, db_prefix):
    return {
        # The machine's settings without Kuaiban's own (the run's process marker stays).
        **{k: v for k, v in os.environ.items()
           if not k.startswith("KUAIBAN_") or k == SESSION_MARKER},
        "AMQP_URI": rabbit_config["AMQP_URI"], "MONGO_URI": mongo_uri,
        "MONGO_DB_PREFIX": db_prefix, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def run_service(service_env, tmp_path):
    """run_service(name, **env) starts the service and returns it once its consumers run."""
    started = []

    def run(name: str, **env) -> ServiceProcess:
        service = ServiceProcess(name, {**service_env, **env}, tmp_path).start()
        started.append(service)
        return service

    yield run
    for service in started:
        service.stop()
