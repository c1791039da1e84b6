"""The embedded default database: a SecantusDB server (MongoDB wire protocol) in a child process.

Used by `make run` and the test fixtures when MONGO_URI is unset.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedMongo:
    def __init__(self, storage_path: str | Path, port: int | None = None, log_path=None,
                 module: str = "secantus"):
        """`module`: what `python -m` runs with SecantusDB's command line (the fault tests pass
        one that also sets what that command line lacks)."""
        self.module = module
        self.storage_path = Path(storage_path)
        self.port = port or free_port()
        self.log_path = Path(log_path) if log_path else self.storage_path.parent / "secantus.log"
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        # retryWrites=false: SecantusDB keeps each retryable write's reply for 30 minutes (up
        # to 10,000) and walks them all, sorting them once full, on every write; that bookkeeping
        # was 80% of its CPU under load. A local single server has no failover for a retry to
        # ride out; a write that fails surfaces as the fast error a database outage gives.
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true&retryWrites=false"

    def start(self, timeout: float = 30.0) -> str:
        self.storage_path.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, "--host", "127.0.0.1", "--port", str(self.port),
             "--storage-path", str(self.storage_path), "--log-level", "WARNING"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"SecantusDB exited with {self.process.returncode}; see {self.log_path}")
            try:
                with MongoClient(self.uri, serverSelectionTimeoutMS=500) as client:
                    client.admin.command("ping")
                return self.uri
            except PyMongoError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"SecantusDB did not answer on port {self.port} within {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
