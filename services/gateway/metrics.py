"""Prometheus metrics of the gateway: requests and latency per route, and its workers.

Each other service serves its own counters (workers per entrypoint and outcome, i.e. events
handled and failed per type, and events published) on METRICS_PORT, one scrape per pod."""
from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from werkzeug.wrappers import Response

from shared.observability import PROCESS_STATS

REGISTRY = CollectorRegistry()
REQUESTS = Counter("kuaiban_http_requests", "HTTP requests answered by the gateway",
                   ["route", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("kuaiban_http_request_duration_seconds", "Time to answer, per route",
                    ["route", "method"], registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def observe_request(route: str, method: str, status: int, started: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(time.monotonic() - started)


REGISTRY.register(PROCESS_STATS)  # the gateway's workers, as every service counts its own


def metrics_response() -> Response:
    return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
