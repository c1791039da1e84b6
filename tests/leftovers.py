"""Processes a test run left behind, found by a marker in their environment.

Each process started during the run inherits the run's marker variable (tests/conftest.py sets
it first thing), whoever started it; processes of other runs, and the machine's own broker,
carry another marker or none."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

SESSION_MARKER = "KUAIBAN_TEST_SESSION"
LEFTOVER_GRACE_SECONDS = 10.0
# Erlang's port mapper daemon is shared by every node on the machine and meant to outlive them.
SHARED_DAEMONS = {"epmd"}
# A RabbitMQ node is ours when it is the fault suite's private one; another may be the machine's
# broker that the launcher started because it was down (`rabbitmq-server -detached`).
ERLANG = {"beam.smp", "erl_child_setup", "inet_gethost", "rabbitmq-server", "sh"}
PRIVATE_NODE = "kuaiban-faults-"


def marked_processes(marker: str) -> list[tuple[int, str]]:
    """(pid, command line) of live processes whose environment carries SESSION_MARKER=marker."""
    wanted = f"{SESSION_MARKER}={marker}".encode()
    mine = {os.getpid(), os.getppid()}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            if wanted not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().split(") ")[-1].startswith("Z"):
                continue  # a zombie: exited, not yet reaped
            comm = (entry / "comm").read_text().strip()
            if comm in SHARED_DAEMONS:
                continue
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if b"RABBITMQ_" in environ and comm in ERLANG and PRIVATE_NODE not in cmdline \
                    and PRIVATE_NODE.encode() not in environ:
                continue
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        found.append((int(entry.name), cmdline.strip()))
    return found


def leftovers(marker: str, within: float) -> list[tuple[int, str]]:
    """Marked processes still there after `within` seconds (those stopping are given the time)."""
    deadline = time.monotonic() + within
    while (found := marked_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def kill(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
