"""The leads database (`kuaiban_leads`): lead documents, with their outbox."""
from __future__ import annotations

import logging
import zlib
from datetime import timedelta

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from services.leads.errors import DuplicateLead
from services.leads import windows
from services.leads.progress import report_row
from shared.change import Change
from shared.clock import utcnow
from shared.errors import Conflict, NotFound
from shared.events import EventData, make_event
from shared.storage import MongoRepository, choose_hint, plain_indexes, update_of

log = logging.getLogger(__name__)

GREEN_FIRST = [("major", DESCENDING)]
OTHER_ORDERS = [("created_at", ASCENDING), ("updated_at", DESCENDING),
                ("investment_cny", DESCENDING), ("investment_cny", ASCENDING),
                ("stage_index", ASCENDING), ("stage_index", DESCENDING), ("title", ASCENDING)]


# The reports read every lead's plan at once: kept as compact rows in bucket documents
# (`report_rows`), written with each lead's change, because reading 10,000 whole lead documents
# takes seconds on the embedded database. SecantusDB rewrites a whole bucket on each change
# (3 ms at 16 rows, 64 ms at 1,560: what 64 buckets held at 100,000 leads), so there are many:
# about 24 rows each at 100,000 leads, and a report reads at most REPORT_BUCKETS documents. The
# first created_at is kept apart, in 64 small documents (`report_firsts`).
REPORT_BUCKETS = 4096
FIRST_BUCKETS = 64
MIGRATION_REPORT_ROWS = "report_rows_4096"


def bucket_of(lead_id: str) -> int:
    return zlib.crc32(lead_id.encode("utf-8")) % REPORT_BUCKETS


def first_bucket_of(lead_id: str) -> int:
    return zlib.crc32(lead_id.encode("utf-8")) % FIRST_BUCKETS


def build_report_rows(repository: "LeadsRepository", config: dict) -> int:
    """At start: the rows of leads taken in before the rows existed (once)."""
    return repository.build_report_rows()


# How long an import's events wait for the import to be committed whole and publish them: longer
# than the largest import takes; an import that breaks off has them sent by the relay after it.
IMPORT_HOLD = timedelta(minutes=5)

# A list's total is counted up to this many; past it the answer says `total_capped: true`.
TOTAL_CAP = 1000


def search_key_to_match(keys: list[str]) -> str:
    """The one search key the database matches (the others are checked on its candidates):
    a bigram rather than a single character (far rarer in Chinese text), the rarest-looking
    one first. SecantusDB scans on `$all`, and MongoDB too walks one key's entries only."""
    return min(keys, key=lambda k: (-len(k), k))


def envelopes(events, at):
    """The leads' events (payloads) in their envelopes, occurred `at`."""
    return [make_event("leads", e, at) for e in events]


class LeadsRepository(MongoRepository):
    def indexes(self):
        return {
            "leads": [
                # The same company (by credit code) and title is one lead: 409 on a second.
                IndexModel(
                    [("company.credit_code", ASCENDING), ("title", ASCENDING)],
                    unique=True,
                    name="credit_code_title_unique",
                    partialFilterExpression={"company.credit_code": {"$type": "string"}},
                ),
                # The lists: each filter, then the default order (major first, newest, _id) so
                # that MongoDB serves the sort from the index.
                IndexModel([("team_id", ASCENDING), ("stage", ASCENDING), ("major", DESCENDING),
                            ("created_at", DESCENDING), ("_id", ASCENDING)], name="team_stage_order"),
                # A team's list without a stage (every team member's): its windows (windows.py).
                IndexModel([("team_id", ASCENDING), ("major", DESCENDING),
                            ("created_at", DESCENDING), ("_id", ASCENDING)], name="team_order"),
                IndexModel([("source_branch_id", ASCENDING), ("major", DESCENDING),
                            ("created_at", DESCENDING), ("_id", ASCENDING)],
                           name="source_branch_order"),
                IndexModel([("routing", ASCENDING), ("major", DESCENDING),
                            ("created_at", DESCENDING), ("_id", ASCENDING)], name="routing_order"),
                # Exactly the default order: SecantusDB walks it for an unfiltered list too.
                IndexModel([("major", DESCENDING), ("created_at", DESCENDING), ("_id", ASCENDING)],
                           name="green_channel_order"),
                # The other orders of an unfiltered list (schemas.SORTS), each its own walk.
                *[IndexModel([("major", DESCENDING), (field, direction), ("_id", ASCENDING)],
                             name=f"green_channel_by_{field}_{'desc' if direction < 0 else 'asc'}")
                  for field, direction in OTHER_ORDERS],
                IndexModel([("company.name_key", ASCENDING)], name="company_name_key"),
                # Lookups by credit code alone: the unique index above is partial, and a query
                # that does not repeat its filter may not use it.
                IndexModel([("company.credit_code", ASCENDING)], name="credit_code"),
                IndexModel([("search_keys", ASCENDING)], name="search_keys"),
                # A person's projects (GET /me/work): as project lead, in the service group.
                IndexModel([("four_ones.project_lead.username", ASCENDING)], name="project_lead"),
                IndexModel([("four_ones.service_group.members.username", ASCENDING)],
                           name="service_group"),
            ]
        }

    def find_duplicate(self, credit_code: str | None, title: str) -> dict | None:
        if not credit_code:
            return None
        # By credit code alone (few leads per company), the title compared here: SecantusDB's
        # planner scans on a second predicate.
        return next((d for d in self.db.leads.find({"company.credit_code": credit_code},
                                                   {"title": 1})
                     if d["title"] == title), None)

    def same_company(self, name_key: str, credit_code: str | None, limit: int = 20) -> list[dict]:
        """Leads whose company has this folded name or this credit code."""
        projection = {"title": 1, "company": 1, "source_branch_id": 1, "team_id": 1, "stage": 1,
                      "status": 1, "created_at": 1, "team_name": 1, "county_leader": 1}
        found = {d["_id"]: d for d in self.db.leads.find(
            {"company.name_key": name_key}, projection).limit(limit)}
        if credit_code:
            for d in self.db.leads.find({"company.credit_code": credit_code},
                                        projection).limit(limit):
                found.setdefault(d["_id"], d)
        return sorted(found.values(), key=lambda d: d["created_at"])

    def add_search_keys(self, keys_of) -> None:
        """Once: the search keys of the leads stored before credit codes and contacts were
        searchable (`keys_of(lead)` -> keys)."""
        def migrate():
            for lead in self.db.leads.find({}, {"title": 1, "company": 1, "contact": 1}):
                self.db.leads.update_one({"_id": lead["_id"]},
                                         {"$set": {"search_keys": keys_of(lead)}})
        self.migrate_once("lead-search-keys-v2", migrate)

    def exists(self, lead_id: str) -> bool:
        return self.db.leads.find_one({"_id": lead_id}, {"_id": 1}) is not None

    def insert(self, lead: dict, events: tuple[EventData, ...], at) -> dict:
        def change(session):
            self.db.leads.insert_one(lead, session=session)
            self.save_report_row(lead, session, new=True)
        try:
            self.commit(change, envelopes(events, at))
        except DuplicateKeyError:
            # Lost a race with an identical lead: report the one that won.
            existing = self.find_duplicate(lead["company"].get("credit_code"), lead["title"])
            raise DuplicateLead(existing["_id"] if existing else None) from None
        return lead

    def existing_ids(self, ids: list[str]) -> set[str]:
        """Which of these lead ids exist (a ledger row imported before has its key as id)."""
        return {d["_id"] for d in self.db.leads.find({"_id": {"$in": ids}}, {"_id": 1})}

    def companies(self, name_keys: list[str], credit_codes: list[str]) -> list[dict]:
        """Leads of any of these companies (by folded name or credit code): two queries for a
        whole chunk of a ledger, each an `$in` on its index (point lookups: explain() shows
        IXSCAN with one key examined per match). No hint: SecantusDB walks the whole hinted
        index for an `$in`, so each chunk cost as much as the leads stored (a 5,000-row import
        grew quadratically); the planner's own choice is the same index, looked up per value."""
        projection = {"title": 1, "company": 1, "source_branch_id": 1, "team_id": 1, "stage": 1,
                      "status": 1, "created_at": 1}
        found = {d["_id"]: d for d in self.db.leads.find(
            {"company.name_key": {"$in": name_keys}}, projection)} if name_keys else {}
        if credit_codes:
            for d in self.db.leads.find({"company.credit_code": {"$in": credit_codes}},
                                        projection):
                found.setdefault(d["_id"], d)
        return sorted(found.values(), key=lambda d: d["created_at"])

    def insert_many(self, leads: list[dict], events: list[EventData], at) -> list[str]:
        """Leads imported from one chunk of a ledger, with their events, all or nothing (one
        transaction: one insert of the leads, one of their outbox entries; a DuplicateKeyError,
        a concurrent import of the same rows, leaves nothing written). The events are held
        until the whole import is in (`release_held`, bench/ledger.py): on SecantusDB the
        transactions of the ten or so handlers each lead sets off wait behind the import's
        and the import's behind theirs, so a fan-out beside the import slowed both severalfold.
        Returns the held events' ids."""
        stored = envelopes(events, at)

        def change(session):
            self.db.leads.insert_many(leads, ordered=True, session=session)
            # Their report rows come with their assignment (record_assignment): a chunk's
            # hundred leads fall in a hundred buckets.
            self.save_first_created_at(leads, session)

        self.commit_held(change, stored, IMPORT_HOLD)
        return [str(e.event_id) for e in stored]

    def insert_sourced(self, envelope, lead: dict, events: tuple[EventData, ...]) -> bool:
        """Create a lead a branch sourced, once per event; False when it was not created."""
        try:
            def change(session):
                self.db.leads.insert_one(lead, session=session)
                self.save_report_row(lead, session, new=True)
            return self.apply_once(envelope, change, envelopes(events, envelope.occurred_at))
        except DuplicateKeyError:
            # Same id (created already) or same credit code and title: record the event as
            # applied without a lead, so that a redelivery does not try again.
            log.warning("sourced lead %s duplicates an existing lead; not created", lead["_id"])
            self.apply_once(envelope, lambda session: None)
            return False

    def get(self, lead_id: str) -> dict:
        lead = self.db.leads.find_one({"_id": lead_id})
        if lead is None:
            raise NotFound(f"没有线索 {lead_id}")
        return lead

    def list(self, query: dict, sort: list, page: int, page_size: int,
             projection: dict | None = None, keys: list[str] | None = None,
             after: str | None = None) -> tuple[list[dict], int, bool, str | None]:
        """One page, major projects first (the green channel), then `sort`; the total, and
        True when there are more than it says; and the cursor of the next page (lists by
        creation only, else None). `keys`: the leads holding every one of those search keys.
        `after`: a cursor from an earlier page (then `page` is not used).

        In order of creation a page is read window by window (windows.py) and its total
        counts the leads up to this page's end (`True` when more follow). Other orders read
        their range at once and count up to TOTAL_CAP."""
        order = GREEN_FIRST + sort + [("_id", ASCENDING)]
        if keys:
            return (*self._search(query, keys, order, page, page_size, projection), None)
        plan = windows.plan_for(query, sort)
        if plan is not None:
            return self._list_in_windows(plan, page, page_size, projection, after)
        hint = choose_hint(plain_indexes(self.indexes()["leads"]), query, order)
        cursor = self.db.leads.find(query, projection)
        if hint:
            cursor = cursor.hint(hint)
        cursor = cursor.sort(order).skip((page - 1) * page_size).limit(page_size)
        # `major` ranges over both booleans: every lead, read by the green channel's index
        # rather than by a scan when no other filter is given.
        counted = query or {"major": {"$gte": False}}
        total = self.db.leads.count_documents(counted, limit=TOTAL_CAP + 1,
                                              **({"hint": hint} if hint else {}))
        return list(cursor), min(total, TOTAL_CAP), total > TOTAL_CAP, None

    def _list_in_windows(self, plan: windows.Plan, page: int, page_size: int,
                         projection: dict | None, after: str | None):
        start = windows.position_of(after) if after else None
        skip = 0 if start else (page - 1) * page_size
        before = start.before if start else 0  # the leads of the pages before
        wanted = skip + page_size + 1  # one more: is there a next page?
        found: list[dict] = []
        for major in plan.majors:
            if start and major and not start.major:  # the cursor is past the green channel
                continue
            found += self._walk_windows(plan, major, wanted - len(found), projection,
                                        start if start and start.major == major else None)
            if len(found) >= wanted:
                break
        items = found[skip:skip + page_size]
        more = len(found) > skip + page_size
        total = before + min(len(found), skip + page_size)
        return items, total, more, windows.cursor_of(items[-1], total) if more else None

    def _walk_windows(self, plan: windows.Plan, major: bool, wanted: int,
                      projection: dict | None, start) -> list[dict]:
        """Up to `wanted` leads of one `major` value in the list's order, after `start`
        (a windows.Position) when given, reading one window of created_at after another."""
        fixed = {**plan.fixed, "major": major}
        newest = plan.newest_first
        # The edge of the first window: the cursor's created_at, or now / the first lead's.
        edge = start.created_at if start else (utcnow() if newest else self.first_created_at())
        if edge is None:
            return []
        width, found, first = windows.FIRST_WIDTH, [], True
        while len(found) < wanted:
            far = edge - width if newest else edge + width
            last = far < windows.FLOOR if newest else far > utcnow() + timedelta(days=1)
            # This window, exactly: from the edge (kept when it is the cursor's, else the last
            # window's far side and not ours) to the far side (ours); open at the line's ends.
            near_open = first and not start
            window = windows.Window(None if near_open else edge, bool(first and start),
                                    None if last else far, newest)
            leads = [d for d in self.db.leads.find({**fixed, **window.query()}, projection)
                     if window.holds(d["created_at"]) and plan.keeps(d)]
            leads.sort(key=lambda d: windows.order_key(d, newest))
            if start and first:
                after_key = windows.order_key({"created_at": start.created_at,
                                               "_id": start.lead_id}, newest)
                leads = [d for d in leads if windows.order_key(d, newest) > after_key]
            found += leads
            if last:
                break
            width = windows.next_width(width, len(leads), wanted - len(found))
            edge, first = far, False
        return found[:wanted]

    def _search(self, query: dict, keys: list[str], order: list, page: int, page_size: int,
                projection: dict | None):
        """The work is bounded by the leads holding one key: they are read by the index on
        that key, and the other keys and filters checked here."""
        wanted = set(keys)
        key = search_key_to_match(keys)
        found = [d for d in self.db.leads.find({"search_keys": key}, projection)
                 if wanted <= set(d.get("search_keys", ()))
                 and all(d.get(f) == v for f, v in query.items())]
        for field, direction in reversed(order):
            found.sort(key=lambda d: (d.get(field) is not None, d.get(field)),
                       reverse=direction < 0)
        start = (page - 1) * page_size
        return found[start:start + page_size], len(found), False

    def projects_of(self, username: str, limit: int = 100) -> list[tuple[str, dict]]:
        """(role, lead) for the leads this person leads or serves in the service group."""
        found = [("project_lead", d) for d in self.db.leads.find(
            {"four_ones.project_lead.username": username}).hint("project_lead").limit(limit)]
        found += [("service_group", d) for d in self.db.leads.find(
            {"four_ones.service_group.members.username": username}).hint("service_group")
            .limit(limit)]
        return found

    # -- the reports' rows ------------------------------------------------------------------
    def save_report_row(self, lead: dict, session=None, new: bool = False) -> None:
        """A lead's row in its bucket; with the first created_at when the lead is `new` (it
        never changes after)."""
        self.db.report_rows.update_one({"_id": bucket_of(lead["_id"])},
                                       {"$set": {f"rows.{lead['_id']}": report_row(lead)}},
                                       upsert=True, session=session)
        if new:
            self.db.report_firsts.update_one({"_id": first_bucket_of(lead["_id"])},
                                             {"$min": {"first_created_at": lead["created_at"]}},
                                             upsert=True, session=session)

    def save_report_rows(self, leads: list[dict], session=None) -> None:
        """Rows of many leads at once, a bucket per write (the first build, the bench's seed),
        and their first created_at."""
        if not leads:
            return
        by_bucket: dict[int, list[dict]] = {}
        for lead in leads:
            by_bucket.setdefault(bucket_of(lead["_id"]), []).append(lead)
        for bucket, members in by_bucket.items():
            self.db.report_rows.update_one(
                {"_id": bucket},
                {"$set": {f"rows.{lead['_id']}": report_row(lead) for lead in members}},
                upsert=True, session=session)
        self.save_first_created_at(leads, session)

    def save_first_created_at(self, leads: list[dict], session=None) -> None:
        """The least created_at of `leads`, in one of the `report_firsts` (their least is read)."""
        self.db.report_firsts.update_one(
            {"_id": first_bucket_of(leads[0]["_id"])},
            {"$min": {"first_created_at": min(lead["created_at"] for lead in leads)}},
            upsert=True, session=session)

    def report_rows(self) -> tuple[list[dict], object]:
        """Every lead's row (the buckets hold them all) and the first lead's created_at."""
        rows = []
        for bucket in self.db.report_rows.find(batch_size=1000):
            rows.extend(bucket.get("rows", {}).values())
        return rows, self.first_created_at()

    def first_created_at(self):
        """The first lead's created_at, from one small document per bucket (`report_firsts`)."""
        return min((d["first_created_at"] for d in self.db.report_firsts.find()
                    if d.get("first_created_at")), default=None)

    def build_report_rows(self) -> int:
        if self.db.migrations.find_one({"_id": MIGRATION_REPORT_ROWS}):
            return 0
        # The 64 buckets of before go; the leads' scan that follows writes every lead's row
        # again, also of a lead changed meanwhile by another replica.
        self.db.report_rows.delete_many({})
        built, batch = 0, []
        for lead in self.db.leads.find({}):
            batch.append(lead)
            if len(batch) == 1000:
                self.save_report_rows(batch)
                built, batch = built + len(batch), []
        if batch:
            self.save_report_rows(batch)
            built += len(batch)
        self.db.migrations.update_one({"_id": MIGRATION_REPORT_ROWS},
                                      {"$setOnInsert": {"leads": built}}, upsert=True)
        return built

    def update(self, lead: dict, change: Change, at) -> dict:
        """Store `change` and its events (occurred `at`) if the lead is still at the version
        read; else 409 (changed meanwhile). Returns the lead as written (no second read)."""
        def write(session):
            after = self.update_at_version(
                "leads", lead["_id"], lead["version"], update_of(change), session,
                Conflict("线索已被他人修改，请刷新后重试",
                         {"lead_id": lead["_id"]}))
            self.save_report_row(after, session)
            return after

        try:
            return self.commit(write, envelopes(change.events, at))
        except DuplicateKeyError:
            existing = self.find_duplicate(
                change.set.get("company", lead["company"]).get("credit_code"),
                change.set.get("title", lead["title"]))
            raise DuplicateLead(existing["_id"] if existing else None) from None

    def record_assignment(self, envelope, lead_id: str, change: Change) -> bool:
        """Store the team the teams service chose, unless a later assignment is already there
        (a reassignment can overtake the first assignment on the broker)."""
        at = envelope.occurred_at
        stored_at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # BSON keeps ms

        def apply(session):
            # Read and write by `_id` alone (SecantusDB scans on a second predicate); the
            # transaction makes the check and the write one.
            current = self.db.leads.find_one({"_id": lead_id}, {"team_assigned_at": 1},
                                             session=session)
            if current is None:
                return
            if current.get("team_assigned_at") is not None and current["team_assigned_at"] > stored_at:
                return
            after = self.update_by_id("leads", lead_id, update_of(change), session)
            self.save_report_row(after, session)

        return self.apply_once(envelope, apply)
