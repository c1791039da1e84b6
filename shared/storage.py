"""MongoDB for a service: a repository with named methods, an outbox, idempotent handling.

A service declares `storage = Storage(MyRepository)` and gets a `MyRepository` instance in
each worker, never the raw client. The repository writes a state change and the events it
causes in one transaction (`commit`), then the relay publishes them at once; a background
relay re-publishes whatever a crash or a broker outage left unsent. Handlers apply an event
at most once (`apply_once`): the applied event ids sit under the unique `_id` index.
"""
from __future__ import annotations

import logging
import os
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

import eventlet
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from pymongo import ASCENDING, IndexModel, MongoClient, ReturnDocument
from pymongo.errors import ConnectionFailure, PyMongoError

from shared.clock import utcnow
from shared.events import Envelope
from shared.observability import (
    CORRELATION_KEY, PROCESS_STATS, WorkerStats, current_correlation_id, serve_metrics,
    worker_finished, worker_started,
)
from shared.reliable import declare_topology
from shared.rpc import guard_rpc_entrypoints

log = logging.getLogger(__name__)

# Every service has a Storage, hence imports this module before its container is built.
guard_rpc_entrypoints()

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
CLAIM_FOR = timedelta(seconds=30)
# How long a transaction is retried. pymongo's with_transaction retries any transient error for
# 120 s, so a database outage held a worker for two minutes and could store a change long after
# its caller had been told 503: an unreachable database now fails the transaction within
# TRANSACTION_TIME_LIMIT_SECONDS. Write conflicts between concurrent workers are contention, not
# an outage: they are retried with growing random pauses for up to CONFLICT_TIME_LIMIT_SECONDS.
TRANSACTION_TIME_LIMIT_SECONDS = 3.0
CONFLICT_TIME_LIMIT_SECONDS = 30.0
# The exit status of a worker stopped by the FAULT_CRASH_AFTER_COMMIT fault injection.
CRASH_EXIT_STATUS = 70


def database_name(config: dict, service_name: str) -> str:
    return f"{config.get('MONGO_DB_PREFIX') or 'kuaiban_'}{service_name}"


def mongo_client(uri: str) -> MongoClient:
    # Short timeouts: a database outage must surface as a fast error, never a hang.
    return MongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        socketTimeoutMS=10000,
        appname="kuaiban",
    )


def run_transaction(client: MongoClient, work: Callable,
                    time_limit: float = TRANSACTION_TIME_LIMIT_SECONDS):
    """`work(session)` in one transaction, retried like pymongo's `with_transaction` on
    transient errors, but an unreachable database fails it within `time_limit` seconds."""
    started = time.monotonic()
    tries = 0

    def may_retry(exc: PyMongoError) -> bool:
        nonlocal tries
        tries += 1
        limit = time_limit if isinstance(exc, ConnectionFailure) else CONFLICT_TIME_LIMIT_SECONDS
        if time.monotonic() - started >= limit:
            log.warning("transaction given up after %d tries in %.1fs: %s", tries,
                        time.monotonic() - started, exc)
            return False
        if not isinstance(exc, ConnectionFailure):  # conflicting writers part ways
            eventlet.sleep(random.uniform(0, min(0.5, 0.005 * 2 ** tries)))
        return True

    with client.start_session() as session:
        while True:
            session.start_transaction()
            try:
                result = work(session)
            except BaseException as exc:
                if session.in_transaction:
                    session.abort_transaction()
                if (isinstance(exc, PyMongoError)
                        and exc.has_error_label("TransientTransactionError") and may_retry(exc)):
                    continue
                raise
            while True:
                try:
                    session.commit_transaction()
                    return result
                except PyMongoError as exc:
                    if exc.has_error_label("UnknownTransactionCommitResult") \
                            and getattr(exc, "code", None) != 50 and may_retry(exc):
                        continue  # 50: MaxTimeMSExpired
                    if exc.has_error_label("TransientTransactionError") and may_retry(exc):
                        break
                    raise


def crash_if_injected(config: dict, events: list[Envelope]) -> None:
    """Fault injection, off by default: when FAULT_CRASH_AFTER_COMMIT names the type of one of
    `events`, end the process at once, as a power cut would between the commit and the publish.
    The fault tests use it to show that the outbox relay still delivers the event."""
    crash_on = config.get("FAULT_CRASH_AFTER_COMMIT")
    if crash_on and any(e.type == crash_on for e in events):
        log.critical("FAULT_CRASH_AFTER_COMMIT=%s: exiting after the commit", crash_on)
        os._exit(CRASH_EXIT_STATUS)


class MongoRepository:
    """Base of each service's repository. Subclasses add `indexes()` and named methods."""

    def __init__(self, client: MongoClient, db, relay: "OutboxRelay | None" = None):
        self.client = client
        self.db = db
        self.relay = relay
        self.transaction_time_limit = float(
            (relay.config.get("TRANSACTION_TIME_LIMIT_SECONDS") if relay else None)
            or TRANSACTION_TIME_LIMIT_SECONDS)

    # -- set-up ------------------------------------------------------------------------
    def indexes(self) -> dict[str, list[IndexModel]]:
        """Collection name -> indexes; created at service start."""
        return {}

    def ensure_indexes(self) -> None:
        wanted = {
            "outbox": [IndexModel([("sent_at", ASCENDING), ("claimed_until", ASCENDING)])],
            **self.indexes(),
        }
        for collection, models in wanted.items():
            if models:
                self.db[collection].create_indexes(models)

    def ping(self) -> bool:
        self.db.command("ping")
        return True

    # -- writes with their events ----------------------------------------------------------
    def commit(self, change: Callable, events: Iterable[Envelope] = ()):
        """Run `change(session)` and store `events` in the outbox, all or nothing; then publish."""
        events = list(events)

        def work(session):
            result = change(session)
            self._store_in_outbox(events, session)
            return result

        result = run_transaction(self.client, work, self.transaction_time_limit)
        self._publish(events)
        return result

    def apply_once(self, envelope: Envelope, change: Callable, events: Iterable[Envelope] = ()):
        """Apply an incoming event's effect once; a redelivered event returns False and does nothing."""
        event_id = str(envelope.event_id)
        events = list(events)

        def work(session):
            # Inside the transaction, so a retried transaction checks again.
            if self.db.applied_events.find_one({"_id": event_id}, session=session):
                return False
            self.db.applied_events.insert_one(
                {"_id": event_id, "type": envelope.type, "source": envelope.source,
                 "applied_at": utcnow()},
                session=session,
            )
            change(session)
            self._store_in_outbox(events, session)
            return True

        applied = run_transaction(self.client, work, self.transaction_time_limit)
        if applied:
            self._publish(events)
        return applied

    def _store_in_outbox(self, events: list[Envelope], session) -> None:
        if events:
            self.db.outbox.insert_many([outbox_document(e) for e in events], session=session)

    def _publish(self, events: list[Envelope]) -> None:
        if events and self.relay is not None:
            crash_if_injected(self.relay.config, events)
            self.relay.publish_pending(events)

    def page(self, collection: str, query: dict, sort: list, page: int, page_size: int):
        """One page of `collection` matching `query`, and the total count."""
        cursor = (
            self.db[collection].find(query).sort(sort).skip((page - 1) * page_size).limit(page_size)
        )
        return list(cursor), self.db[collection].count_documents(query)


def outbox_document(envelope: Envelope) -> dict:
    return {
        "_id": str(envelope.event_id),
        "source": envelope.source,
        "type": envelope.type,
        "payload": envelope.model_dump(mode="json"),
        "created_at": utcnow(),
        "sent_at": None,
        "claimed_until": EPOCH,
        # The request that caused this event: published as a header so consumers log it too.
        CORRELATION_KEY: current_correlation_id(),
    }


class OutboxRelay:
    """Publishes outbox entries to `<source>.events` and marks them sent.

    An entry is claimed for a while before publishing so that two workers or two replicas
    do not both send it; if the publisher dies with the claim, the claim runs out and the
    entry is sent again. Consumers are idempotent, so a rare repeat is harmless.
    """

    def __init__(self, db, config: dict, interval: float = 2.0, stats: WorkerStats | None = None):
        self.db = db
        self.config = config
        self.interval = interval
        # How old an unsent entry must be before the loop sends it in its worker's stead.
        self.grace = timedelta(seconds=float(config.get("OUTBOX_RELAY_GRACE") or 5 * interval))
        self.stats = stats or WorkerStats()
        # One quick reconnect, no long retries: a worker publishing its own events after its
        # commit must not be held while the broker is away; the loop sends them later.
        self.publisher = Publisher(config[AMQP_URI_CONFIG_KEY], retry_policy={
            "max_retries": 1, "interval_start": 0, "interval_step": 1, "interval_max": 1})
        self._exchanges: dict = {}
        self._running = False

    def _exchange(self, source: str):
        if source not in self._exchanges:
            self._exchanges[source] = get_event_exchange(source, self.config)
        return self._exchanges[source]

    def _claim_next(self, only: list[str] | None):
        now = utcnow()
        if only is None:
            # The loop takes stragglers only: a fresh entry is its own worker's to send.
            wanted = {"created_at": {"$lt": now - self.grace}}
        else:
            wanted = {"_id": {"$in": only}}
        return self.db.outbox.find_one_and_update(
            {"sent_at": None, "claimed_until": {"$lt": now}, **wanted},
            {"$set": {"claimed_until": now + CLAIM_FOR}},
            sort=[("created_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    def publish_pending(self, only: Iterable[Envelope] | None = None) -> int:
        """Publish unsent entries (`only` these events, else every straggler); returns how
        many were sent. Never raises: what fails stays in the outbox for the loop."""
        ids = None if only is None else [str(e.event_id) for e in only]
        sent = 0
        try:
            while (entry := self._claim_next(ids)) is not None:
                exchange = self._exchange(entry["source"])
                correlation_id = entry.get(CORRELATION_KEY)
                self.publisher.publish(
                    entry["payload"],
                    exchange=exchange,
                    routing_key=entry["type"],
                    declare=[exchange],
                    headers={f"nameko.{CORRELATION_KEY}": correlation_id} if correlation_id else {},
                )
                self.db.outbox.update_one({"_id": entry["_id"]}, {"$set": {"sent_at": utcnow()}})
                self.stats.published[entry["type"]] += 1
                sent += 1
        except Exception:  # broker or database down: the background loop tries again
            log.warning("outbox relay could not publish; will retry", exc_info=True)
        return sent

    def run_forever(self):
        self._running = True
        while self._running:
            self.publish_pending()
            eventlet.sleep(self.interval)

    def stop(self):
        self._running = False


class Storage(DependencyProvider):
    """Gives each worker the service's repository over its own database `kuaiban_<service>`.

    Every service has one, so it also carries each worker's correlation id (which the outbox
    stamps on the events the worker causes) and logs and counts each finished worker.
    """

    def __init__(self, repository_cls: type[MongoRepository], on_start: Callable | None = None,
                 **kwargs):
        """`on_start(repository, config)` runs once the indexes exist, e.g. to load reference data."""
        self.repository_cls = repository_cls
        self.on_start = on_start
        super().__init__(**kwargs)

    def setup(self):
        config = self.container.config
        self.client = mongo_client(config["MONGO_URI"])
        db = self.client[database_name(config, self.container.service_name)]
        interval = float(config.get("OUTBOX_RELAY_INTERVAL", 2.0))
        self.stats = PROCESS_STATS
        self.relay = OutboxRelay(db, config, interval=interval, stats=self.stats)
        self.repository = self.repository_cls(self.client, db, self.relay)
        # Every consumer of this service's events has its queue before the first event goes
        # out: none is published into an exchange with nothing bound to it.
        declare_topology(config, source=self.container.service_name)
        # Here, not in start(): nameko starts all extensions at once, so a consumer or the web
        # server could take work before indexes and reference data (teams, the admin) exist.
        self.repository.ensure_indexes()
        if self.on_start is not None:
            self.on_start(self.repository, self.container.config)

    def start(self):
        if self.container.config.get("METRICS_PORT"):
            serve_metrics(int(self.container.config["METRICS_PORT"]))
        self._relay_thread = self.container.spawn_managed_thread(self.relay.run_forever)

    def stop(self):
        self.relay.stop()
        self._relay_thread.kill()
        self.client.close()

    def kill(self):
        self.relay.stop()

    def get_dependency(self, worker_ctx):
        return self.repository

    def worker_setup(self, worker_ctx):
        worker_started(worker_ctx)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        worker_finished(worker_ctx, exc_info, self.stats)
