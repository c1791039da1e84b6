"""Reports that take longer than an HTTP request may wait: produced in a managed thread of the
service's container, one job per report and period at a time, so that the caller can be told
"being produced, ask again" (202) instead of being refused while the report is stored anyway."""
from __future__ import annotations

from typing import Callable

import time

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider

NOT_YET = object()


class Background(DependencyProvider):
    def setup(self):
        self.jobs: dict[str, Event] = {}
        self.results: dict[str, tuple[float, object]] = {}  # key -> (finished at, result)

    def recent(self, key: str, seconds: float):
        """A job's result if it finished less than `seconds` ago, else NOT_YET."""
        finished_at, result = self.results.get(key, (0.0, NOT_YET))
        return result if time.monotonic() - finished_at < seconds else NOT_YET

    def get_dependency(self, worker_ctx):
        return self

    def running(self, key: str) -> bool:
        return key in self.jobs

    def run_once(self, key: str, work: Callable[[], object]) -> Event:
        """The running job for `key`, or a new one running `work`."""
        job = self.jobs.get(key)
        if job is not None:
            return job
        job = self.jobs[key] = Event()

        def run():
            try:
                result = work()
                self.results[key] = (time.monotonic(), result)
                job.send(result)
            except Exception as exc:  # handed to whoever waits; the next ask starts again
                job.send_exception(exc)
            finally:
                self.jobs.pop(key, None)
        self.container.spawn_managed_thread(run, identifier=f"background:{key}")
        return job

    @staticmethod
    def wait(job: Event, seconds: float):
        """The job's result within `seconds`, else NOT_YET (it goes on)."""
        with eventlet.Timeout(max(seconds, 0.0), False):
            return job.wait()
        return NOT_YET
