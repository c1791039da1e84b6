"""The session-end check finds a process the run started and left running (tests/leftovers.py)."""
import os
import subprocess
import sys

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
