"""One correlation id from the HTTP request through every RPC and event it causes, in JSON logs.

The gateway puts `correlation_id` in the nameko context data of each request's worker; nameko
carries context data in RPC and event headers (`nameko.correlation_id`), and the outbox stores
it beside each event so the relay publishes it too. Each worker's id sits in a greenlet-local
slot that the log filter reads, so every log line a worker writes names its request.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter

CORRELATION_KEY = "correlation_id"
_current = threading.local()  # green under eventlet's monkey patch: one slot per greenthread
log = logging.getLogger("kuaiban.worker")


def current_correlation_id() -> str | None:
    return getattr(_current, "correlation_id", None)


def set_correlation_id(value: str | None) -> None:
    _current.correlation_id = value


class WorkerStats:
    """Counts of finished workers per entrypoint and outcome (an event handler's entrypoint
    names the event it handles) and of events published, for Prometheus."""

    def __init__(self):
        self.finished: Counter = Counter()
        self.published: Counter = Counter()

    def collect(self):
        """prometheus_client's custom-collector protocol."""
        from prometheus_client.core import CounterMetricFamily

        workers = CounterMetricFamily("kuaiban_workers_finished",
                                      "Finished workers per entrypoint and outcome",
                                      labels=["entrypoint", "outcome"])
        for (entrypoint, outcome), count in sorted(self.finished.items()):
            workers.add_metric([entrypoint, outcome], count)
        published = CounterMetricFamily("kuaiban_events_published",
                                        "Events published from the outbox", labels=["type"])
        for event_type, count in sorted(self.published.items()):
            published.add_metric([event_type], count)
        return [workers, published]


# One per process: a deployed process runs one service.
PROCESS_STATS = WorkerStats()


def serve_metrics(port: int) -> None:
    """Serve this process's counters at http://0.0.0.0:<port>/metrics (services without HTTP)."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    registry.register(PROCESS_STATS)
    start_http_server(port, registry=registry)


def worker_started(worker_ctx) -> None:
    set_correlation_id(worker_ctx.context_data.get(CORRELATION_KEY))
    worker_ctx.data["_started_at"] = time.monotonic()


def worker_finished(worker_ctx, exc_info, stats: WorkerStats) -> None:
    elapsed_ms = (time.monotonic() - worker_ctx.data.get("_started_at", time.monotonic())) * 1000
    entrypoint = f"{worker_ctx.service_name}.{worker_ctx.entrypoint.method_name}"
    outcome = "ok" if exc_info is None else type(exc_info[1]).__name__
    stats.finished[(entrypoint, outcome)] += 1
    log.info("%s %s in %.1f ms", entrypoint, outcome, elapsed_ms)
    set_correlation_id(None)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current_correlation_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation_id (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None) or current_correlation_id(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
