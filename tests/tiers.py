"""`make test`: the suite as two pytest sessions side by side, so it fits its 20 minutes on 2 cores.

The process-heavy tiers (browser, e2e, faults) spend most of their time waiting: on processes
starting, on timers, on outages they cause. The in-process tiers (unit, interface, deploy) keep
the cores busy meanwhile. Each session has its own marker, query log, database and vhosts
(tests/conftest.py), so neither sees the other's data or processes.

Each session's lines are printed as they come, prefixed with its name; the exit status is the
first non-zero one. Arguments after the script are passed to both sessions.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from tests.leftovers import LEFTOVER_GRACE_SECONDS, SESSION_MARKER, kill, leftovers

SESSIONS = {
    "processes": ["tests/browser", "tests/e2e", "tests/faults"],
    "in-process": ["tests/unit", "tests/interface", "tests/deploy"],
}


def stream(name: str, process: subprocess.Popen, lock: threading.Lock,
           summary: list[str]) -> None:
    # pytest's short summary (the FAILED and ERROR lines) is kept to be printed again at the
    # end: CI shows the tail of the output, where the other session's lines would bury it.
    in_summary = False
    for line in process.stdout:
        in_summary = in_summary or "short test summary info" in line
        if in_summary:
            summary.append(line)
        with lock:
            sys.stdout.write(f"[{name}] {line}")
            sys.stdout.flush()


def main(extra: list[str]) -> int:
    lock = threading.Lock()
    started = time.monotonic()
    running, markers = {}, {name: uuid.uuid4().hex for name in SESSIONS}
    for name, paths in SESSIONS.items():
        running[name] = subprocess.Popen(
            [sys.executable, "-m", "pytest", *paths, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            env={**os.environ, "PYTHONUNBUFFERED": "1", SESSION_MARKER: markers[name]},
            start_new_session=True)
    summaries: dict[str, list[str]] = {name: [] for name in running}
    readers = [threading.Thread(target=stream, args=(name, p, lock, summaries[name]), daemon=True)
               for name, p in running.items()]
    for reader in readers:
        reader.start()

    def stop(signum, _frame):
        # Each session runs in its own process group; pytest's own teardown stops what it started.
        for process in running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)

    # A background job inherits SIGINT ignored: install the handler explicitly.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    codes = {name: process.wait() for name, process in running.items()}
    for reader in readers:
        reader.join()
    for name, marker in markers.items():
        # A session's own end kills what it left; one that died before its end could not.
        left = leftovers(marker, within=LEFTOVER_GRACE_SECONDS)
        if left:
            kill(pid for pid, _ in left)
            codes[name] = codes[name] or 1
            print(f"tiers: {name} left {len(left)} processes running (now killed):\n" +
                  "\n".join(f"  {pid}: {cmdline[:200]}" for pid, cmdline in left))
    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    for name, code in codes.items():
        if code != 0:
            sys.stdout.write(f"tiers: {name} failed:\n" + "".join(summaries[name] or ["  (no summary)\n"]))
    summary = ", ".join(f"{name} {'passed' if code == 0 else f'failed ({code})'}"
                        for name, code in codes.items())
    print(f"tiers: {summary} in {minutes} min {seconds} s")
    return next((code for code in codes.values() if code != 0), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
