"""The sla database (`kuaiban_sla`): one clock per promise, and loaded holiday tables.

Handlers change a clock with field-level `$set`s only (a pause, a part done, the stop), so
that events arriving in any order compose, and mark the clock for evaluation by setting
`next_threshold_at` to now. Evaluation (`settle`) is the one place that fires thresholds:
it writes the outcome only if the clock's `version` is still the one it read, in the same
transaction as the event it sends, so two instances can never both fire a threshold.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from pymongo import ASCENDING, IndexModel

from services.sla.calendar import HolidayTable
from services.sla.domain import ClockFacts, ClockKind, ClockNotStarted, split_batch_clock
from shared.change import Change
from shared.events import make_event
from shared.storage import EPOCH, MongoRepository, update_of

SOURCE = "sla"


class StaleClock(Exception):
    """Another instance or handler changed the clock since it was read: its outcome wins."""


def clock_id(kind: str, subject_id: str) -> str:
    return f"{kind}:{subject_id}"


def facts_of(doc: dict) -> ClockFacts | None:
    """The clock as the domain sees it; None until its start is known."""
    if not doc.get("started_at"):
        return None
    holds = tuple((h["since"], h.get("until")) for h in (doc.get("holds") or {}).values()
                  if h.get("since"))
    return ClockFacts(
        started_at=doc["started_at"], target_seconds=doc["target_seconds"],
        working_days=doc["working_days"], thresholds=tuple(doc["thresholds"]), holds=holds,
        stopped_at=doc.get("stopped_at"), fired=doc.get("fired", 0),
    )


def list_hint(query: dict):
    """The index of a scoped list (SecantusDB's planner scans beside a second predicate)."""
    if "context.team_id" in query:
        return [("context.team_id", ASCENDING), ("due_at", ASCENDING)]
    if "context.departments" in query:
        return [("context.departments", ASCENDING), ("due_at", ASCENDING)]
    if "_id" in query:
        return [("_id", ASCENDING)]
    return None


MIGRATION_PER_ITEM = "policy_reply_per_item"
OWNER_FIELDS = ("departments", "team_id", "project_lead", "submitted_by")


def split_batch_clocks(repository: "SlaRepository", config: dict) -> int:
    """At start: turn the policy clocks kept one per batch into one per item (once; safe
    when two instances start together, or after a crash half-way)."""
    return repository.split_batch_clocks(datetime.now(timezone.utc))


class SlaRepository(MongoRepository):
    def indexes(self):
        # The timer scans on the next threshold time only: cost grows with the clocks due.
        return {
            "clocks": [
                IndexModel([("next_threshold_at", ASCENDING)]),
                IndexModel([("state", ASCENDING), ("kind", ASCENDING)]),
                IndexModel([("subject_id", ASCENDING), ("kind", ASCENDING)], unique=True),
                IndexModel([("kind", ASCENDING), ("started_at", ASCENDING)]),
                IndexModel([("estimated", ASCENDING), ("stopped_at", ASCENDING)]),
                # Scope (shared/scope.py): a team's and a department's clocks; a lead's, to
                # follow its reassignment.
                IndexModel([("context.lead_id", ASCENDING)]),
                # The list (started clocks, by due time), alone and after each filter.
                IndexModel([("started_at", ASCENDING)]),
                IndexModel([("due_at", ASCENDING)]),
                IndexModel([("kind", ASCENDING), ("due_at", ASCENDING)]),
                IndexModel([("state", ASCENDING), ("due_at", ASCENDING)]),
                IndexModel([("kind", ASCENDING), ("state", ASCENDING), ("due_at", ASCENDING)]),
                # Whose clocks they are (GET /me/work): the owing department, the team, the
                # project lead, the submitter.
                *[IndexModel([(f"context.{f}", ASCENDING), ("due_at", ASCENDING)])
                  for f in OWNER_FIELDS],
            ],
        }

    # -- changes from events ---------------------------------------------------------------
    def change_clock(self, envelope, kind: str, subject_id: str, fields: dict,
                     now: datetime) -> bool:
        """Apply an event's field changes once and mark the clock for evaluation."""
        _id = clock_id(kind, subject_id)

        def change(session):
            self.db.clocks.update_one(
                {"_id": _id},
                {"$set": {**fields, "next_threshold_at": now, "updated_at": now},
                 "$inc": {"version": 1},
                 "$setOnInsert": {"kind": kind, "subject_id": subject_id, "fired": 0,
                                  "state": "on_track", "created_at": now}},
                upsert=True, session=session,
            )
        return self.apply_once(envelope, change)

    def start_fields(self, kind: ClockKind, started_at: datetime, context: dict) -> dict:
        """The $set of a clock's start: target and thresholds are fixed at start."""
        return {
            "started_at": started_at,
            "target_seconds": kind.target.total_seconds(),
            "working_days": kind.working_days,
            "thresholds": list(kind.thresholds),
            "alerts": {str(t): list(a) for t, a in kind.alerts.items()},
            "label_zh": kind.label_zh,
            "context": context,
        }

    # -- evaluation ------------------------------------------------------------------------
    def due_clocks(self, now: datetime, limit: int) -> list[dict]:
        # Bounded below: a stopped clock keeps next_threshold_at None, which sorts first, and
        # SecantusDB walks a range open below through every one of them (3 s at 50,000).
        return list(self.db.clocks.find({"next_threshold_at": {"$gte": EPOCH, "$lte": now}})
                    .sort("next_threshold_at", ASCENDING).limit(limit))

    def get_by_id(self, _id: str) -> dict | None:
        return self.db.clocks.find_one({"_id": _id})

    def settle(self, doc: dict, outcome: Change, now: datetime) -> bool:
        """Store an evaluation's outcome and its events, unless the clock changed meanwhile."""
        def change(session):
            # A stale clock aborts the transaction: no event goes out.
            return self.update_at_version("clocks", doc["_id"], doc.get("version", 0),
                                          update_of(outcome), session, StaleClock(doc["_id"]))
        try:
            self.commit(change, [make_event(SOURCE, e, now) for e in outcome.events])
        except StaleClock:
            return False
        return True

    # -- reading ---------------------------------------------------------------------------
    def get(self, kind: str, subject_id: str) -> dict:
        doc = self.db.clocks.find_one({"_id": clock_id(kind, subject_id)})
        if doc is None or not doc.get("started_at"):
            raise ClockNotStarted(f"{subject_id} 没有 {kind} 时限")
        return doc

    def get_many(self, ids: list[str]) -> list[dict]:
        order = {i: k for k, i in enumerate(ids)}
        found = self.db.clocks.find({"_id": {"$in": ids}, "started_at": {"$gte": EPOCH}},
                                    hint=[("_id", ASCENDING)])
        return sorted(found, key=lambda d: order[d["_id"]])

    def open_clocks_of(self, field: str, value: str, limit: int) -> list[dict]:
        """Running clocks whose context names `value` under `field` (one of OWNER_FIELDS)."""
        return list(self.db.clocks.find({f"context.{field}": value, "stopped_at": None})
                    .hint([(f"context.{field}", ASCENDING), ("due_at", ASCENDING)])
                    .sort([(f"context.{field}", ASCENDING), ("due_at", ASCENDING)]).limit(limit))

    def list_clocks(self, query: dict, page: int, page_size: int):
        # "Started" as a range on the start date (any date is after EPOCH), which an index
        # serves; `$exists` would make SecantusDB scan.
        return self.page("clocks", {**query, "started_at": {"$gte": EPOCH}},
                         [("due_at", ASCENDING)], page, page_size, hint=list_hint(query))

    def record_team(self, lead_id: str, team_id: str, at: datetime) -> int:
        """The lead's current team in the context of each of its clocks (scope follows it)."""
        return self.follow_lead_team("clocks", "context.lead_id", lead_id,
                                     {"context.team_id": team_id}, at)

    def started_between(self, kind: str, start: datetime | None, end: datetime | None):
        when = {"$gte": EPOCH}  # started (a range an index serves, where `$exists` is a scan)
        if start:
            when["$gte"] = start
        if end:
            when["$lt"] = end
        return list(self.db.clocks.find({"kind": kind, "started_at": when}))

    # -- migrations ------------------------------------------------------------------------
    def split_batch_clocks(self, now: datetime) -> int:
        """Each batch clock of kind policy_reply (it has `parts`) becomes its items' clocks,
        in one transaction per batch: the batch clock goes as its items arrive, so a second
        run (or instance) finds nothing left to split."""
        if self.db.migrations.find_one({"_id": MIGRATION_PER_ITEM}):
            return 0
        split = 0
        batches = self.db.clocks.find({"kind": "policy_reply", "parts": {"$exists": True}},
                                      hint=[("kind", ASCENDING), ("started_at", ASCENDING)])
        for batch in list(batches):
            items = split_batch_clock(batch, now)

            def change(session, batch=batch, items=items):
                if self.db.clocks.delete_one({"_id": batch["_id"]},
                                             session=session).deleted_count != 1:
                    raise StaleClock(batch["_id"])  # another instance split it
                for item in items:
                    # An item's event that came after the upgrade and before this run is kept.
                    newer = self.db.clocks.find_one({"_id": item["_id"]}, session=session) or {}
                    item["holds"] = {**item["holds"], **(newer.get("holds") or {})}
                    item["stopped_at"] = newer.get("stopped_at") or item["stopped_at"]
                    self.db.clocks.replace_one({"_id": item["_id"]}, item, upsert=True,
                                               session=session)
            try:
                self.commit(change)
                split += 1
            except StaleClock:
                continue
        self.db.migrations.update_one({"_id": MIGRATION_PER_ITEM},
                                      {"$setOnInsert": {"at": now, "batches": split}},
                                      upsert=True)
        return split

    # -- holiday tables --------------------------------------------------------------------
    def holiday_tables(self) -> dict[int, HolidayTable]:
        return {
            doc["_id"]: HolidayTable(
                doc["_id"],
                frozenset(date.fromisoformat(d) for d in doc["holidays"]),
                frozenset(date.fromisoformat(d) for d in doc["workdays"]),
            )
            for doc in self.db.holiday_tables.find()
        }

    def save_holiday_table(self, table: HolidayTable, actor: str, now: datetime) -> int:
        """Store a year's table and mark the clocks counted on estimates for re-evaluation."""
        def change(session):
            self.db.holiday_tables.replace_one(
                {"_id": table.year},
                {"_id": table.year, "holidays": sorted(d.isoformat() for d in table.holidays),
                 "workdays": sorted(d.isoformat() for d in table.workdays),
                 "loaded_by": actor, "loaded_at": now},
                upsert=True, session=session,
            )
            return self.db.clocks.update_many(
                {"estimated": True, "stopped_at": None},
                {"$set": {"next_threshold_at": now}, "$inc": {"version": 1}}, session=session,
            ).modified_count
        return self.commit(change)

    def list_holiday_tables(self) -> list[dict]:
        return list(self.db.holiday_tables.find().sort("_id", ASCENDING))
