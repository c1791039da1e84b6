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


RETRY_FOR_SECONDS = 60.0


class Load:
    """With `retry=True` each client sends its lead with an Idempotency-Key and repeats it
    after a 503 (or no answer), or a 409 saying the first try is still running (Retry-After),
    until it gets another answer, as a careful client would."""

    def __init__(self, api: Api, prefix: str, clients: int = 4, pause: float = 0.05,
                 retry: bool = False):
        self.api, self.prefix, self.clients, self.pause = api, prefix, clients, pause
        self.retry = retry
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
            number = next(self._numbers)
            title = f"{self.prefix}{number:05d}"
            headers = {"Idempotency-Key": f"lead-{number:05d}"} if self.retry else None
            given_up_at = time.monotonic() + RETRY_FOR_SECONDS
            while True:
                answer = self.api.request("POST", "/api/v1/leads", lead_body(title), timeout=30,
                                          headers=headers)
                self.answers.append((title, answer))
                time.sleep(self.pause)
                again = answer.status in (0, 503) or (
                    answer.status == 409 and answer.headers.get("Retry-After"))
                if not (self.retry and again) \
                        or time.monotonic() > given_up_at:
                    break

    def accepted(self) -> list[str]:
        return [title for title, a in self.answers if 200 <= a.status < 300]

    def titles(self) -> set[str]:
        return {title for title, _ in self.answers}

    def retried(self) -> set[str]:
        """Titles sent more than once (after a 503 or no answer)."""
        sent = [title for title, _ in self.answers]
        return {title for title in sent if sent.count(title) > 1}

    def failed(self) -> list[Answer]:
        return [a for _, a in self.answers if not 200 <= a.status < 300]

    def first_success_sent_after(self, moment: float) -> Answer | None:
        later = [a for _, a in self.answers if a.sent_at >= moment and 200 <= a.status < 300]
        return min(later, key=lambda a: a.sent_at, default=None)
