"""Steady HTTP load: a few clients each taking in one lead after another, every answer kept."""
from __future__ import annotations

import itertools
import time

import eventlet

from tests.faults.harness import Answer, Api

MAJOR_CNY = 2_000_000_000  # above the green-channel threshold: the notifier has work too


def lead_body(title: str) -> dict:
    """A major solar project brought in by the Shanghai branch: every consumer has work."""
    return {"title": title, "company": {"name": f"{title}有限公司"}, "industry": "太阳能电池",
            "investment_cny": MAJOR_CNY, "source_branch_id": "shanghai"}


class Load:
    def __init__(self, api: Api, prefix: str, clients: int = 4, pause: float = 0.05):
        self.api, self.prefix, self.clients, self.pause = api, prefix, clients, pause
        self.answers: list[tuple[str, Answer]] = []
        self._running = False
        self._threads = []
        self._numbers = itertools.count(1)

    def __enter__(self):
        self._running = True
        self._threads = [eventlet.spawn(self._client) for _ in range(self.clients)]
        return self

    def __exit__(self, *exc):
        self._running = False
        for thread in self._threads:
            thread.wait()

    def _client(self):
        while self._running:
            title = f"{self.prefix}{next(self._numbers):05d}"
            answer = self.api.request("POST", "/api/v1/leads", lead_body(title), timeout=30)
            self.answers.append((title, answer))
            time.sleep(self.pause)

    def accepted(self) -> list[str]:
        return [title for title, a in self.answers if 200 <= a.status < 300]

    def failed(self) -> list[Answer]:
        return [a for _, a in self.answers if not 200 <= a.status < 300]

    def first_success_sent_after(self, moment: float) -> Answer | None:
        later = [a for _, a in self.answers if a.sent_at >= moment and 200 <= a.status < 300]
        return min(later, key=lambda a: a.sent_at, default=None)
