"""The one way a test waits for what happens a moment later (an event handled, a timer fired,
a process up): poll until it is there, or fail saying what never came.

Timeouts are generous on purpose: a loaded machine is slow, not wrong. A test that must show
something does NOT happen waits for a later thing that does, never sleeps.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")

TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.05


def wait_until(predicate: Callable[[], T], timeout: float = TIMEOUT_SECONDS, *,
               reason: str, poll: float = POLL_SECONDS) -> T:
    """Call `predicate` until it returns something true, and return that. After `timeout`
    seconds without it: AssertionError naming `reason` and the last answer seen."""
    deadline = time.monotonic() + timeout
    while True:
        answer = predicate()
        if answer:
            return answer
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"waited {timeout:g}s for {reason}; the last answer was {answer!r:.500}")
        time.sleep(poll)
