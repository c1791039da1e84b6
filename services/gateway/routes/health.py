"""Liveness and readiness. /readyz answers within READY_CHECK_SECONDS (well inside the 5 s the
gateway promises) even when the broker or the database does not answer: both are checked at
once, each under its own deadline."""
from __future__ import annotations

import eventlet
from kombu import Connection

from services.gateway import problems
from services.gateway.http import api
from services.gateway.views import Alive, Ready

READY_CHECK_SECONDS = 3


def broker_check(amqp_uri: str) -> None:
    with Connection(amqp_uri, connect_timeout=2) as conn:
        # One try, no pause before giving up: a down broker is reported, not waited for.
        conn.ensure_connection(max_retries=1, interval_start=0)


def verdict(check, *args) -> str:
    try:
        with eventlet.Timeout(READY_CHECK_SECONDS):
            check(*args)
    except BaseException as exc:  # eventlet.Timeout is not an Exception
        return f"unreachable: {type(exc).__name__}"
    return "ok"


class HealthRoutes:
    @api("GET", "/healthz", public=True, response=Alive,
         summary="The process is up")
    def healthz(self, request):
        return {"status": "ok"}

    @api("GET", "/readyz", public=True, response=Ready,
         summary="The broker and the database answer")
    def readyz(self, request):
        broker = eventlet.spawn(verdict, broker_check, self.config["AMQP_URI"])
        database = eventlet.spawn(verdict, self.accounts.ping)
        checks = {"broker": broker.wait(), "database": database.wait()}
        if any(v != "ok" for v in checks.values()):
            return problems.problem(503, "Not ready", "a dependency is unreachable",
                                    {"Retry-After": str(problems.RETRY_AFTER_SECONDS)},
                                    {"checks": checks})
        return {"status": "ready", "checks": checks}
