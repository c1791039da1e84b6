"""The gateway database as the HTTP entrypoint itself needs it, before and after each handler:
the account behind a token (disabled? token revoked?) and the audit trail of every write.

A nameko SharedExtension: one MongoDB client for all routes of the gateway process.
"""
from __future__ import annotations

import logging

from nameko.extensions import SharedExtension

from services.gateway.repository import AccountsRepository
from shared.clock import clock_from_config
from shared.storage import database_name, mongo_client

log = logging.getLogger(__name__)
REDACTED = "***"


def redacted(value):
    """The body with every password-like field blanked, for the audit trail."""
    if isinstance(value, dict):
        return {k: REDACTED if "password" in k.lower() else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


class GatewayRecords(SharedExtension):
    def setup(self):
        config = self.container.config
        self.client = mongo_client(config["MONGO_URI"])
        self.accounts = AccountsRepository(
            self.client, self.client[database_name(config, self.container.service_name)]
        )
        self.clock = clock_from_config(config)

    def stop(self):
        self.client.close()

    def account(self, username: str) -> dict | None:
        return self.accounts.find(username)

    def record_write(self, *, principal: dict, method: str, rule: str, path: str,
                     object_id: str | None, body, after, status: int,
                     correlation_id: str) -> None:
        """Append one entry; `before` is the state the previous write of the object left."""
        try:
            self.accounts.append_audit({
                "at": self.clock.now(),
                "actor": principal["username"],
                "role": principal["role"],
                "method": method,
                "route": rule,
                "path": path,
                "object_id": object_id,
                "request": redacted(body),
                "after": redacted(after),
                "status": status,
                "correlation_id": correlation_id,
            })
        except Exception:  # the write itself succeeded; say loudly that its record did not
            log.error("audit entry for %s %s could not be stored", method, path, exc_info=True)
