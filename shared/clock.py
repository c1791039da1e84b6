"""Time is a dependency: every service reads "now" from a Clock, which tests replace.

`SystemClock` is the real one. `SettableClock` is moved by unit and interface tests.
`OffsetFileClock` lets an end-to-end test move the time of every service process at once:
each process adds the offset (in seconds) written in a shared file to the real time.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class SettableClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime | None = None):
        self._now = start or utcnow()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("the clock keeps aware datetimes only")
        with self._lock:
            self._now = when

    def advance(self, **delta) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


class OffsetFileClock:
    """Real time plus an offset read from a file (missing or empty file: no offset)."""

    def __init__(self, path: str):
        self.path = path

    def offset(self) -> timedelta:
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read().strip()
        except FileNotFoundError:
            return timedelta(0)
        return timedelta(seconds=float(text or 0))

    def now(self) -> datetime:
        return utcnow() + self.offset()

    def move_to(self, when: datetime) -> None:
        """Write the offset that makes `now()` read `when` (used by e2e tests)."""
        seconds = (when - utcnow()).total_seconds()
        tmp = f"{self.path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(repr(seconds))
        os.replace(tmp, self.path)


def clock_from_config(config: dict):
    path = config.get("CLOCK_OFFSET_FILE") or ""
    return OffsetFileClock(path) if path else SystemClock()


class Clock(DependencyProvider):
    """Gives a worker the service's clock: `self.clock.now()` is an aware UTC datetime."""

    def setup(self):
        self.clock = clock_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.clock
