"""`python -m tests.faults.database_server`: SecantusDB's own command line, with the lifetime
of an abandoned transaction cut from 60 s to TRANSACTION_LIFETIME_SECONDS.

A worker killed inside a transaction leaves it open on the server, holding the documents it
wrote until the server drops it (mongod: transactionLifetimeLimitSeconds, 60 s by default and
settable; SecantusDB: a constructor argument its command line does not expose). The message
the dead worker held comes back at once and conflicts with that transaction until then; the
fault tests would spend a minute waiting for it (docs/reliability.md).
"""
from __future__ import annotations

import functools
import sys

import secantus.cli
import secantus.server

TRANSACTION_LIFETIME_SECONDS = 10.0

if __name__ == "__main__":
    secantus.cli.SecantusDBServer = functools.partial(
        secantus.server.SecantusDBServer, transaction_lifetime_seconds=TRANSACTION_LIFETIME_SECONDS)
    sys.exit(secantus.cli.main())
