"""One correlation id from the HTTP request through every RPC and event it causes, in JSON logs.

The gateway puts `correlation_id` in the nameko context data of each request's worker; nameko
carries context data in RPC and event headers (`nameko.correlation_id`), and the outbox stores
it beside each event so the relay publishes it too. Each worker's id sits in a greenlet-local
slot that the log filter reads, so every log line a worker writes names its request.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from werkzeug.exceptions import HTTPException

from shared.errors import KuaibanError

CORRELATION_KEY = "correlation_id"
_current = threading.local()  # green under eventlet's monkey patch: one slot per greenthread
log = logging.getLogger("kuaiban.worker")


def current_correlation_id() -> str | None:
    return getattr(_current, "correlation_id", None)


def set_correlation_id(value: str | None) -> None:
    _current.correlation_id = value


class WorkerStats:
    """Counts of finished workers per entrypoint and outcome (an event handler's entrypoint
    names the event it handles), the time of each entrypoint's last success (a timer that
    stopped running shows as a growing lag) and events published, for Prometheus; and, read at
    each scrape, the service's unsent outbox entries and its dead-letter queues' depths."""

    def __init__(self):
        self.finished: Counter = Counter()
        self.last_success: dict[str, float] = {}
        self.published: Counter = Counter()
        self.service: str | None = None
        self.unsent_events: Callable[[], int] | None = None
        self.dead_letter_depths: Callable[[], dict[str, int]] | None = None

    def watch(self, service: str, unsent_events: Callable[[], int],
              dead_letter_depths: Callable[[], dict[str, int]]) -> None:
        self.service = service
        self.unsent_events, self.dead_letter_depths = unsent_events, dead_letter_depths

    def collect(self):
        """prometheus_client's custom-collector protocol."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        workers = CounterMetricFamily("kuaiban_workers_finished",
                                      "Finished workers per entrypoint and outcome",
                                      labels=["entrypoint", "outcome"])
        for (entrypoint, outcome), count in sorted(self.finished.items()):
            workers.add_metric([entrypoint, outcome], count)
        last = GaugeMetricFamily("kuaiban_worker_last_success_timestamp_seconds",
                                 "When a worker of the entrypoint last finished without error",
                                 labels=["entrypoint"])
        for entrypoint, stamp in sorted(self.last_success.items()):
            last.add_metric([entrypoint], stamp)
        published = CounterMetricFamily("kuaiban_events_published",
                                        "Events published from the outbox", labels=["type"])
        for event_type, count in sorted(self.published.items()):
            published.add_metric([event_type], count)
        return [workers, last, published, *self.collect_backlog()]

    def collect_backlog(self):
        from prometheus_client.core import GaugeMetricFamily

        families = []
        # A scrape while the database or the broker is away leaves the gauge out (the rules
        # alert on the outage itself), rather than failing the whole scrape.
        if self.unsent_events is not None:
            try:
                unsent = self.unsent_events()
            except Exception:
                log.warning("outbox backlog unreadable for the scrape", exc_info=True)
            else:
                outbox = GaugeMetricFamily("kuaiban_outbox_unsent",
                                           "Outbox entries not yet published", labels=["service"])
                outbox.add_metric([self.service], unsent)
                families.append(outbox)
        if self.dead_letter_depths is not None:
            try:
                depths = self.dead_letter_depths()
            except Exception:
                log.warning("dead-letter depths unreadable for the scrape", exc_info=True)
            else:
                dead = GaugeMetricFamily("kuaiban_dead_letters",
                                         "Messages in a dead-letter queue of this service",
                                         labels=["service", "queue"])
                for queue, depth in sorted(depths.items()):
                    dead.add_metric([self.service, queue], depth)
                families.append(dead)
        return families


# One per process: a deployed process runs one service.
PROCESS_STATS = WorkerStats()


def serve_metrics(port: int) -> None:
    """Serve this process's counters at http://0.0.0.0:<port>/metrics (services without HTTP)."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    registry.register(PROCESS_STATS)
    start_http_server(port, registry=registry)


def start_telemetry(container, repository) -> None:
    """Watch the service's outbox and dead-letter queues, serve its metrics on METRICS_PORT
    when set (the gateway serves the same at its own /metrics), and beat into HEALTH_FILE
    when set (the probes read it: shared.healthcheck)."""
    from shared.healthcheck import start_heartbeat
    from shared.reliable import dead_letter_depths

    config = container.config
    PROCESS_STATS.watch(container.service_name, repository.unsent_events,
                        lambda: dead_letter_depths(config, [container.service_cls]))
    if config.get("METRICS_PORT"):
        serve_metrics(int(config["METRICS_PORT"]))
    start_heartbeat(container, repository.ping)


def worker_started(worker_ctx) -> None:
    set_correlation_id(worker_ctx.context_data.get(CORRELATION_KEY))
    worker_ctx.data["_started_at"] = time.monotonic()


def worker_finished(worker_ctx, exc_info, stats: WorkerStats) -> None:
    elapsed_ms = (time.monotonic() - worker_ctx.data.get("_started_at", time.monotonic())) * 1000
    entrypoint = f"{worker_ctx.service_name}.{worker_ctx.entrypoint.method_name}"
    outcome = "ok" if exc_info is None else type(exc_info[1]).__name__
    stats.finished[(entrypoint, outcome)] += 1
    if exc_info is None:
        stats.last_success[entrypoint] = time.time()
    log.info("%s %s in %.1f ms", entrypoint, outcome, elapsed_ms)
    set_correlation_id(None)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current_correlation_id() or "-"
        return True


SERVICE_TARGET = re.compile(r"^services\.(\w+)\.service:\w+$")


def process_service_name(argv=None) -> str:
    """The service this process runs: KUAIBAN_SERVICE, else the `services.<name>.service:Class`
    argument of `nameko run`, else the program's name (the launcher, the CLI)."""
    if os.environ.get("KUAIBAN_SERVICE"):
        return os.environ["KUAIBAN_SERVICE"]
    argv = sys.argv if argv is None else argv
    for arg in argv:
        if match := SERVICE_TARGET.match(arg):
            return match.group(1)
    return Path(argv[0]).stem if argv else "kuaiban"


def client_error_status(exc: BaseException | None) -> int | None:
    """The HTTP status of an error that is the caller's (404, 409, 422, 401, ...), else None."""
    status = getattr(exc, "status", None) if isinstance(exc, KuaibanError) else None
    if status is None and isinstance(exc, HTTPException):
        status = exc.code
    return status if isinstance(status, int) and 400 <= status < 500 else None


class ClientErrorFilter(logging.Filter):
    """nameko logs every entrypoint that raised as ERROR with its traceback
    (nameko.containers: "error handling worker"), a 404 or a 422 as much as a real fault, in
    the service that raised it and again in the gateway that passed it on. An error that is
    the caller's becomes one INFO line with its status and no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.exc_info:
            status = client_error_status(record.exc_info[1])
            if status is not None:
                exc = record.exc_info[1] or Exception()
                worker = record.args[0] if isinstance(record.args, tuple) and record.args else "-"
                record.msg = "%s answered %d: %s"
                record.args = (worker, status, exc.args[0] if exc.args else exc)
                record.levelno, record.levelname = logging.INFO, "INFO"
                record.exc_info = record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: UTC time to the millisecond, service, level, logger, message,
    correlation_id (and exception)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = process_service_name()

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, timezone.utc)
        line = {
            "time": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
            "service": self.service,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None) or current_correlation_id(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
