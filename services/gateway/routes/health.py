from __future__ import annotations

import eventlet
from kombu import Connection

from services.gateway import problems
from services.gateway.http import api


class HealthRoutes:
    @api("GET", "/healthz", public=True, summary="The process is up")
    def healthz(self, request):
        return {"status": "ok"}

    @api("GET", "/readyz", public=True, summary="The broker and the database answer")
    def readyz(self, request):
        checks = {"broker": "ok", "database": "ok"}
        try:
            with eventlet.Timeout(3):
                with Connection(self.config["AMQP_URI"], connect_timeout=2) as conn:
                    conn.ensure_connection(max_retries=1)
        except BaseException as exc:  # eventlet.Timeout is not an Exception
            checks["broker"] = f"unreachable: {type(exc).__name__}"
        try:
            self.accounts.ping()
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        if any(v != "ok" for v in checks.values()):
            return problems.problem(503, "Not ready", "a dependency is unreachable",
                                    {"Retry-After": str(problems.RETRY_AFTER_SECONDS)},
                                    {"checks": checks})
        return {"status": "ready", "checks": checks}
