"""The session-end check finds a process the run started and left running (tests/leftovers.py)."""
import os
import subprocess
import sys
import time

from tests.leftovers import SESSION_MARKER, kill, leftovers, marked_processes


def test_a_process_started_by_the_run_is_found_until_it_is_gone():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        found = leftovers(os.environ[SESSION_MARKER], within=0)
        assert child.pid in [pid for pid, _ in found]
        assert "time.sleep(60)" in dict(found)[child.pid]
    finally:
        kill([child.pid])
        child.wait()
    assert child.pid not in [pid for pid, _ in marked_processes(os.environ[SESSION_MARKER])]


def test_a_process_of_another_run_is_not_ours():
    env = {**os.environ, SESSION_MARKER: "another-run"}
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)
    try:
        assert child.pid not in [pid for pid, _ in marked_processes(os.environ[SESSION_MARKER])]
        assert child.pid in [pid for pid, _ in marked_processes("another-run")]
    finally:
        kill([child.pid])
        child.wait()


def test_the_e2e_teardown_kills_a_platform_that_ignores_ctrl_c(tmp_path):
    """A launcher wedged past Ctrl-C, with a child of its own: both are gone after stop()."""
    from tests.e2e.conftest import Launched, pid_alive

    script = ("import signal, subprocess, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
              "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
              "print(child.pid, flush=True); time.sleep(120)")
    launched = Launched(tmp_path / "data", "amqp://unused", 0)
    launched.output = open(tmp_path / "out.log", "wb")
    launched.process = subprocess.Popen([sys.executable, "-c", script], stdout=launched.output,
                                        start_new_session=True)
    deadline = time.monotonic() + 20
    while not (tmp_path / "out.log").read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int((tmp_path / "out.log").read_text().split()[0])
    assert pid_alive(child)
    launched.stop(timeout=1)
    assert launched.process.returncode == -9
    deadline = time.monotonic() + 5
    while pid_alive(child) and time.monotonic() < deadline:  # init reaps the orphan
        time.sleep(0.05)
    assert not pid_alive(child)
