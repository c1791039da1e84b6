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
from pymongo import ASCENDING, IndexModel, MongoClient
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from shared import query_log
from shared.change import Change
from shared.clock import utcnow
from shared.events import Envelope
from shared.observability import (
    CORRELATION_KEY, PROCESS_STATS, WorkerStats, current_correlation_id, start_telemetry,
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
        event_listeners=query_log.listeners(),  # KUAIBAN_QUERY_LOG: the query guard's record
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


def update_of(change: Change) -> dict:
    """The MongoDB update document of a `Change` (the one place that writes it)."""
    update: dict = {}
    if change.set:
        update["$set"] = dict(change.set)
    if change.append:
        update["$push"] = {name: entries[0] if len(entries) == 1 else {"$each": list(entries)}
                           for name, entries in change.append.items() if entries}
    if change.add:
        update["$inc"] = dict(change.add)
    if change.remove:
        update["$pull"] = dict(change.remove)
    return update


def _key_of(model: IndexModel) -> list[tuple[str, int]]:
    return [(field, direction) for field, direction in model.document["key"].items()]


def plain_indexes(models: Iterable[IndexModel]) -> list[list[tuple[str, int]]]:
    """The key patterns a hint may name: not partial (MongoDB refuses a hint to a partial index
    whose filter the query does not repeat), not sparse; and the `_id` index every collection has."""
    keys = [_key_of(m) for m in models
            if not {"partialFilterExpression", "sparse"} & set(m.document)]
    return [[("_id", 1)], *keys]


def equality_fields(query: dict) -> list[str]:
    """The query's fields fixed to one value or a few (`$eq`, `$in`), in the query's order."""
    return [f for f, v in query.items() if not f.startswith("$")
            and (not isinstance(v, dict) or set(v) <= {"$eq", "$in"})]


def choose_hint(patterns: list[list[tuple[str, int]]], query: dict, sort: list | None = None):
    """The index to name for `query`, or None when SecantusDB's planner finds one itself.

    SecantusDB uses an index only when every field of the filter is in it, and scans the
    collection otherwise (a filter of team and owner, where MongoDB would use the team index and
    check the owner). So when no index holds every field, name the one MongoDB would pick: the
    longest run of the filter's equality fields at its start; failing that, the one that gives
    the `sort` order. On SecantusDB a hinted query walks that whole index; on MongoDB it is a
    bounded scan of the named index."""
    fields = [f for f in query if not f.startswith("$")]
    if not fields or any(set(fields) <= {f for f, _ in p} and p[0][0] in fields
                         for p in patterns):
        return None
    fixed = set(equality_fields(query))

    def leading(pattern) -> int:
        n = 0
        while n < len(pattern) and pattern[n][0] in fixed:
            n += 1
        return n

    best = max(patterns, key=leading)
    if leading(best) > 0:
        return best
    wanted = [(f, int(d)) for f, d in (sort or []) if f != "_id"]
    for pattern in patterns:
        if wanted and pattern[:len(wanted)] == wanted:
            return pattern
    return None


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
        wanted = {**history_indexes(), **self.indexes()}
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

        seen_before = False

        def work(session):
            nonlocal seen_before
            # No find first: the unique `_id` index refuses a second insert, inside the
            # transaction, so a retried transaction checks again.
            try:
                self.db.applied_events.insert_one(
                    {"_id": event_id, "type": envelope.type, "source": envelope.source,
                     "applied_at": utcnow()},
                    session=session,
                )
            except DuplicateKeyError:
                seen_before = True
                raise
            change(session)
            self._store_in_outbox(events, session)
            return True

        try:
            run_transaction(self.client, work, self.transaction_time_limit)
        except DuplicateKeyError:
            if seen_before:
                return False
            raise
        self._publish(events)
        return True

    def update_at_version(self, collection: str, doc_id, version: int, update: dict, session,
                          conflict: Exception) -> dict:
        """Apply `update` (and +1 to `version`) to the document still at `version`, within
        `session`'s transaction; raise `conflict` (aborting the transaction) if it has moved on.
        Returns the document as written. The match is on `_id` alone, because SecantusDB's
        planner scans the collection when a second predicate stands beside `_id`."""
        update = {**update, "$inc": {**update.get("$inc", {}), "version": 1}}
        # An update and a read of it (update_by_id), not a findAndModify, which SecantusDB
        # writes through a scan. Should another writer have moved the document on, the version
        # read back is not ours: raising aborts the transaction and with it this write.
        after = self.update_by_id(collection, doc_id, update, session)
        if after is None or after.get("version", 0) != (version or 0) + 1:
            raise conflict
        return after

    def update_by_id(self, collection: str, doc_id, update: dict, session=None, *,
                     upsert: bool = False, before: bool = False) -> dict | None:
        """What `find_one_and_update({"_id": doc_id}, update)` answers (the document after the
        update, or before it with `before`; None when there is none), as an update and a find
        by `_id`. SecantusDB's findAndModify writes through `{_id, $and: [filter]}`, a second
        predicate beside `_id`, which its planner scans: 668 ms at 30,000 leads. A before-image
        is exact only inside a transaction (`session`), whose snapshot the update must match."""
        documents = self.db[collection]
        if before:
            found = documents.find_one({"_id": doc_id}, session=session)
            if found is not None or upsert:
                documents.update_one({"_id": doc_id}, update, upsert=upsert, session=session)
            return found
        result = documents.update_one({"_id": doc_id}, update, upsert=upsert, session=session)
        if not result.matched_count and result.upserted_id is None:
            return None
        return documents.find_one({"_id": doc_id}, session=session)

    def _store_in_outbox(self, events: list[Envelope], session,
                         held_until: datetime = EPOCH) -> None:
        if events:
            self.db.outbox.insert_many([outbox_document(e, held_until) for e in events],
                                       session=session)

    def commit_held(self, change: Callable, events: Iterable[Envelope], hold: timedelta):
        """`commit`, but the events are held (claimed for `hold`) instead of published: the
        caller releases them with `release_held` once a larger whole is committed (the
        chunks of an import), so that the work they cause follows the whole instead of
        competing with it. Should that never come, the relay sends them after `hold`."""
        events = list(events)

        def work(session):
            result = change(session)
            self._store_in_outbox(events, session, held_until=utcnow() + hold)
            return result

        return run_transaction(self.client, work, self.transaction_time_limit)

    def release_held(self, event_ids: list[str]) -> int:
        """End the hold on events `commit_held` stored: the relay loop sends them from its next
        pass on, a batch per claim like any straggler, so the writer answers without waiting
        for thousands of publishes (an import's 5,000 took over a minute). Returns how many
        entries were released: one write per STRAGGLER_BATCH, because on the embedded database
        an `$in` costs its length for every entry it matches (100 ids: 0.1 s; 1,000: 3.9 s)."""
        event_ids = list(event_ids)
        return sum(self.db.outbox.update_many(
            {"_id": {"$in": event_ids[at:at + STRAGGLER_BATCH]}},
            {"$set": {"claimed_until": EPOCH}}).modified_count
            for at in range(0, len(event_ids), STRAGGLER_BATCH))

    def _publish(self, events: list[Envelope]) -> None:
        if events and self.relay is not None:
            crash_if_injected(self.relay.config, events)
            self.relay.publish_pending(events)

    def page(self, collection: str, query: dict, sort: list, page: int, page_size: int,
             hint=None):
        """One page of `collection` matching `query`, and the total count (of the whole
        collection from its metadata when `query` is empty, rather than by reading it);
        `hint`: the index, where SecantusDB's planner would not pick it (chosen from the
        collection's indexes when not given: `choose_hint`)."""
        hint = hint or choose_hint(plain_indexes(self.indexes().get(collection, [])), query, sort)
        cursor = self.db[collection].find(query)
        if hint:
            cursor = cursor.hint(hint)
        cursor = cursor.sort(sort).skip((page - 1) * page_size).limit(page_size)
        if not query:
            return list(cursor), self.db[collection].estimated_document_count()
        count = {"hint": hint} if hint else {}
        return list(cursor), self.db[collection].count_documents(query, **count)

    def update_one_where(self, collection: str, where: dict, update: dict, session=None,
                         upsert: bool = False):
        """`update_one(where, update)` where `where` holds `_id` and further conditions: the
        document is read and written by `_id` alone (SecantusDB's planner scans when a second
        predicate stands beside `_id`), the conditions checked here, in one transaction.
        Returns whether the document matched (and was updated)."""
        def work(session):
            current = self.db[collection].find_one({"_id": where["_id"]}, session=session)
            if current is None and upsert:
                self.db[collection].update_one({"_id": where["_id"]}, update, upsert=True,
                                               session=session)
                return True
            if current is None or not matches_simple(current, where):
                return False
            self.db[collection].update_one({"_id": where["_id"]}, update, session=session)
            return True

        if session is not None:
            return work(session)
        return run_transaction(self.client, work, self.transaction_time_limit)

    def follow_lead_team(self, collection: str, lead_field: str, lead_id: str, fields: dict,
                         at: datetime) -> int:
        """`fields` (a lead's team) on each document of `collection` whose `lead_field` is the
        lead, unless a later assignment is there already (`team_assigned_at`). Setting the same
        fields again, or an older assignment's, changes nothing, so a redelivered event needs
        no applied-event record: a lead with nothing here (every new lead) costs one indexed
        find and no write. Each document is checked and written in one transaction, by `_id`
        alone, so two assignments racing cannot leave the older. Returns how many changed."""
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # BSON keeps ms
        documents = self.db[collection]

        def later_than_stored(doc: dict | None) -> bool:
            stored = (doc or {}).get("team_assigned_at")
            return doc is not None and (stored is None or stored <= at)

        changed = 0
        for doc in documents.find({lead_field: lead_id}, {"team_assigned_at": 1}):
            if not later_than_stored(doc):
                continue

            def write(session, doc_id=doc["_id"]):
                if not later_than_stored(documents.find_one(
                        {"_id": doc_id}, {"team_assigned_at": 1}, session=session)):
                    return 0
                documents.update_one({"_id": doc_id},
                                     {"$set": {**fields, "team_assigned_at": at}}, session=session)
                return 1

            changed += run_transaction(self.client, write, self.transaction_time_limit)
        return changed

    def unsent_events(self) -> int:
        """The outbox backlog (a metric): unsent entries, read by the `unsent` index; capped,
        since a count reads what it counts."""
        return self.db.outbox.count_documents({"sent_at": None}, limit=10_000)

    def claim_once(self, job: str, period: str, holder: str = "") -> bool:
        """True for the first caller only (the unique `_id`): a migration recorded as done."""
        try:
            self.db.claims.insert_one(
                {"_id": f"{job}:{period}", "job": job, "period": period, "holder": holder,
                 "claimed_at": utcnow()}
            )
        except DuplicateKeyError:
            return False
        return True

    def migrate_once(self, name: str, migrate: Callable[[], object]) -> bool:
        """Run `migrate()` unless it completed before (recorded in `claims`); False if it had.
        Only for idempotent migrations: replicas starting together may both run it."""
        if self.db.claims.find_one({"_id": f"migration:{name}"}) is not None:
            return False
        migrate()
        self.claim_once("migration", name)
        return True

    def add_search_keys(self, collection: str, fields: dict, keys_of: Callable) -> None:
        """Once: `search_keys` (indexed under that name) for the documents of `collection`
        stored before they had them; `keys_of(document with fields)` computes them."""
        def migrate():
            for doc in self.db[collection].find({"search_keys": None}, fields, hint="search_keys"):
                self.db[collection].update_one({"_id": doc["_id"]},
                                               {"$set": {"search_keys": keys_of(doc)}})
        self.migrate_once(f"{collection}-search-keys", migrate)


# How long a sent outbox entry stays (for an operator's look), and how long an applied event id
# is remembered. docs/reliability.md says why these windows outlast any redelivery.
OUTBOX_KEEP_SENT = timedelta(days=1)
APPLIED_EVENTS_KEEP = timedelta(days=30)
# How often the relay forgets what is past its window, and how many documents at most per pass.
FORGET_EVERY_SECONDS = 60.0
FORGET_BATCH = 1000
# Unsent entries the relay reads a pass, and claims (then marks sent) a transaction.
STRAGGLER_READ = 1000
STRAGGLER_BATCH = 100


def history_indexes() -> dict[str, list[IndexModel]]:
    """The outbox and applied-event indexes of every service database: the unsent entries by
    age (the relay's straggler query), and the dates by which history past its window goes.
    Not TTL indexes: SecantusDB's TTL monitor reads every document of the collection each
    minute, under its storage lock; `OutboxRelay.forget_history` deletes by a range instead."""
    return {
        "outbox": [IndexModel([("sent_at", ASCENDING), ("created_at", ASCENDING)], name="unsent")],
        "applied_events": [IndexModel([("applied_at", ASCENDING)], name="applied_at")],
    }


def _path_value(doc: dict, path: str):
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


_MISSING = object()


def matches_simple(doc: dict, where: dict) -> bool:
    """Whether `doc` meets `where`'s conditions: equality, `$exists`, `$ne`, `$in`, `$nin` on
    (dotted) fields, as MongoDB reads them (a missing field equals None)."""
    for path, condition in where.items():
        value = _path_value(doc, path)
        present = value is not _MISSING
        value = None if value is _MISSING else value
        if not isinstance(condition, dict):
            if value != condition:
                return False
            continue
        for op, arg in condition.items():
            if op == "$exists":
                ok = present == bool(arg)
            elif op == "$ne":
                ok = value != arg
            elif op == "$eq":
                ok = value == arg
            elif op == "$in":
                ok = value in arg
            elif op == "$nin":
                ok = value not in arg
            else:
                raise ValueError(f"matches_simple does not know {op}")
            if not ok:
                return False
    return True


def outbox_document(envelope: Envelope, held_until: datetime = EPOCH) -> dict:
    """`held_until`: a claim the writer keeps on the entry to publish it itself later (a bulk
    import, once all of it is committed); should the writer never do it, the relay sends the
    entry when the claim runs out."""
    return {
        "_id": str(envelope.event_id),
        "source": envelope.source,
        "type": envelope.type,
        "payload": envelope.model_dump(mode="json"),
        "created_at": utcnow(),
        "sent_at": None,
        "claimed_until": held_until,
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

    def publish_pending(self, only: Iterable[Envelope] | None = None) -> int:
        """Publish unsent entries (`only` these events, else every straggler); returns how
        many were sent. Never raises: what fails stays in the outbox for the loop."""
        try:
            if only is not None:
                return self._publish_own(list(only))
            return self._publish_stragglers()
        except Exception:  # broker or database down: the background loop tries again
            log.warning("outbox relay could not publish; will retry", exc_info=True)
            return 0

    def _publish_own(self, events: list[Envelope]) -> int:
        """The events a worker has just committed: sent at once, then marked sent in one write.
        No claim first: the loop leaves an entry alone for `grace`, and should it still send
        one of these meanwhile, consumers ignore the repeat."""
        if not events:
            return 0
        correlation_id = current_correlation_id()
        for envelope in events:
            self._send(envelope.source, envelope.type, envelope.model_dump(mode="json"),
                       correlation_id)
        self._mark_sent([str(e.event_id) for e in events])
        return len(events)

    def _publish_stragglers(self) -> int:
        """What a crash or a broker outage left unsent, a batch per claim: one read of the
        unsent entries past their grace (index `unsent`), then for each STRAGGLER_BATCH of them
        one claim transaction, the publishes, and one write marking them sent. Returns how many
        were sent; STRAGGLER_READ or more means more may be waiting (`run_forever` goes on)."""
        now = utcnow()
        # On SecantusDB a read costs every entry of its index range whatever the limit (on
        # MongoDB the limit bounds it), so the range is read once a pass, not once a batch.
        unclaimed = [entry["_id"] for entry in self.db.outbox.find(
            {"sent_at": None, "created_at": {"$lt": now - self.grace}},
            {"_id": 1, "claimed_until": 1}).limit(STRAGGLER_READ)
            if entry.get("claimed_until", EPOCH) < now]
        return sum(self._send_entries(self._claim(unclaimed[at:at + STRAGGLER_BATCH], now))
                   for at in range(0, len(unclaimed), STRAGGLER_BATCH))

    def _send_entries(self, entries: list[dict]) -> int:
        """Publish outbox entries, then mark them sent in one write."""
        published = []
        try:
            for entry in entries:
                self._send(entry["source"], entry["type"], entry["payload"],
                           entry.get(CORRELATION_KEY))
                published.append(entry["_id"])
        except Exception:
            # The broker went away mid-batch: the rest are free for the next pass at once,
            # rather than after the claim (or an import's hold) runs out.
            self.db.outbox.update_many({"_id": {"$in": [e["_id"] for e in entries
                                                        if e["_id"] not in published]}},
                                       {"$set": {"claimed_until": EPOCH}})
            raise
        finally:
            self._mark_sent(published)
        return len(published)

    def _claim(self, entry_ids: list[str], now: datetime) -> list[dict]:
        """Those of the entries still unsent and unclaimed, claimed for CLAIM_FOR in one
        transaction (read and written by `_id` alone: SecantusDB scans on a second predicate
        beside `_id`). Two claimers of the same entries conflict, and the retry sees the other's
        claim, so an entry goes to one of them."""
        def work(session):
            free = [entry for entry in self.db.outbox.find({"_id": {"$in": entry_ids}},
                                                           session=session)
                    if entry["sent_at"] is None and entry.get("claimed_until", EPOCH) < now]
            if free:
                self.db.outbox.update_many({"_id": {"$in": [entry["_id"] for entry in free]}},
                                           {"$set": {"claimed_until": now + CLAIM_FOR}},
                                           session=session)
            return free

        return run_transaction(self.db.client, work) if entry_ids else []

    def _mark_sent(self, entry_ids: list[str]) -> None:
        if entry_ids:
            self.db.outbox.update_many({"_id": {"$in": entry_ids}},
                                       {"$set": {"sent_at": utcnow()}})

    def _send(self, source: str, event_type: str, payload: dict, correlation_id) -> None:
        exchange = self._exchange(source)
        self.publisher.publish(
            payload,
            exchange=exchange,
            routing_key=event_type,
            declare=[exchange],
            headers={f"nameko.{CORRELATION_KEY}": correlation_id} if correlation_id else {},
        )
        self.stats.published[event_type] += 1

    def forget_history(self, now: datetime | None = None) -> dict[str, int]:
        """Delete sent outbox entries older than OUTBOX_KEEP_SENT and applied event ids older
        than APPLIED_EVENTS_KEEP, at most FORGET_BATCH of each: a range on an index, so the
        pass costs what it deletes, not what the collections hold. Unsent entries stay
        (`sent_at` None is outside any date range)."""
        now = now or utcnow()
        forgotten = {}
        for collection, field, keep in (("outbox", "sent_at", OUTBOX_KEEP_SENT),
                                        ("applied_events", "applied_at", APPLIED_EVENTS_KEEP)):
            # Bounded below too: SecantusDB walks a range open below through the unsent
            # entries (`sent_at` None sorts first).
            old = [d["_id"] for d in self.db[collection].find(
                {field: {"$gte": EPOCH, "$lt": now - keep}}, {"_id": 1}).limit(FORGET_BATCH)]
            if old:
                self.db[collection].delete_many({"_id": {"$in": old}})
            forgotten[collection] = len(old)
        return forgotten

    def run_forever(self):
        self._running = True
        last_forget = 0.0
        while self._running:
            backlog = self.publish_pending() >= STRAGGLER_READ  # more may wait: no pause
            if time.monotonic() - last_forget >= FORGET_EVERY_SECONDS:
                last_forget = time.monotonic()
                try:
                    self.forget_history()
                except Exception:  # the database is away: the next pass tries again
                    log.warning("could not forget old outbox entries and event ids",
                                exc_info=True)
            eventlet.sleep(0 if backlog else self.interval)

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
        start_telemetry(self.container, self.repository)
        self._relay_thread = self.container.spawn_managed_thread(self.relay.run_forever)

    def stop(self):
        self.relay.stop()
        if getattr(self, "_relay_thread", None) is not None:  # None if killed before start
            self._relay_thread.kill()
        self.client.close()

    def kill(self):
        # Closing the client ends its sessions on the server, so that a transaction a killed
        # worker could not abort does not outlive the service (SecantusDB reaps one after 60 s).
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.repository

    def worker_setup(self, worker_ctx):
        worker_started(worker_ctx)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        worker_finished(worker_ctx, exc_info, self.stats)
