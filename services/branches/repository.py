"""The branches database (`kuaiban_branches`).

Collections: `branches` (the six), `trips`, `visits`, `summaries` (one per trip day, `_id`
`<trip_id>:<day>`, which is what makes the nightly production happen once), `lead_claims`
(one per company key: the branch that reported a company first keeps the credit) and
`branch_leads` (a projection of the leads each branch sourced, kept from `leads` events).
Dates of trips and days are ISO strings (YYYY-MM-DD, local); moments are UTC datetimes.
"""
from __future__ import annotations


from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.branches import domain
from shared.change import Change
from shared.errors import Conflict, NotFound
from shared.events import make_event
from shared.storage import EPOCH, MongoRepository, update_of


def envelopes(events, at):
    """The branches' events (payloads) in their envelopes, occurred `at`."""
    return [make_event("branches", e, at) for e in events]


# A trip's status on a day (ISO date) as a filter on its dates.
def trip_status_filter(status: str | None, today: str) -> dict:
    return {
        "upcoming": {"start_date": {"$gt": today}},
        "ongoing": {"start_date": {"$lte": today}, "end_date": {"$gte": today}},
        # Bounded below: SecantusDB walks a range open below from the index's start.
        "finished": {"end_date": {"$gte": "0000-01-01", "$lt": today}},
    }.get(status or "", {})



def stored_instead(stored: dict | None, duplicate: DuplicateKeyError) -> dict:
    """What a retried insert answers: the document its first try stored under the same id."""
    if stored is None:  # the duplicate was of another unique key: not a retry
        raise duplicate
    return stored

class BranchesRepository(MongoRepository):
    def indexes(self):
        return {
            "trips": [IndexModel([("branch_id", ASCENDING), ("start_date", DESCENDING)]),
                      IndexModel([("end_date", ASCENDING), ("start_date", ASCENDING)]),
                      # The list's order after its filter.
                      IndexModel([("branch_id", ASCENDING), ("start_date", DESCENDING),
                                  ("_id", ASCENDING)])],
            "visits": [IndexModel([("trip_id", ASCENDING), ("day", ASCENDING)]),
                       IndexModel([("branch_id", ASCENDING), ("visited_at", ASCENDING)]),
                       IndexModel([("trip_id", ASCENDING), ("visited_at", ASCENDING),
                                   ("_id", ASCENDING)]),
                       IndexModel([("visited_at", ASCENDING)]),
                       IndexModel([("search_keys", ASCENDING)], name="search_keys")],
            "summaries": [IndexModel([("trip_id", ASCENDING), ("day", ASCENDING)])],
            "branch_leads": [IndexModel([("branch_id", ASCENDING)])],
        }

    # -- branches -------------------------------------------------------------------------
    def seed(self, branches: list[dict]) -> int:
        """Insert the branches that are not there yet; edits made since are kept."""
        created = 0
        for branch in branches:
            result = self.db.branches.update_one(
                {"_id": branch["_id"]}, {"$setOnInsert": branch}, upsert=True
            )
            created += result.upserted_id is not None
        return created

    def all(self) -> list[dict]:
        return list(self.db.branches.find().sort("_id", ASCENDING))

    def get(self, branch_id: str) -> dict:
        branch = self.db.branches.find_one({"_id": branch_id})
        if branch is None:
            raise NotFound(f"没有党支部 {branch_id}")
        return branch

    def update_branch(self, branch_id: str, fields: dict) -> dict:
        branch = self.db.branches.find_one_and_update(
            {"_id": branch_id}, {"$set": fields}, return_document=ReturnDocument.AFTER)
        if branch is None:
            raise NotFound(f"没有党支部 {branch_id}")
        return branch

    # -- trips ----------------------------------------------------------------------------
    def insert_trip(self, trip: dict) -> dict:
        """The trip, or the one stored under its id: ids come from the caller and the POST's
        Idempotency-Key, so the same id is the same POST, retried while its first try was
        still on its way (the look before the insert missed it)."""
        try:
            self.db.trips.insert_one(trip)
        except DuplicateKeyError as duplicate:
            return stored_instead(self.find_trip(trip["_id"]), duplicate)
        return trip

    def find_trip(self, trip_id: str) -> dict | None:
        return self.db.trips.find_one({"_id": trip_id})

    def get_trip(self, trip_id: str) -> dict:
        trip = self.db.trips.find_one({"_id": trip_id})
        if trip is None:
            raise NotFound(f"没有行程 {trip_id}")
        return trip

    def list_trips(self, branch_id: str, status: str | None, today: str, page: int,
                   page_size: int):
        """A page of the branch's trips, latest first; `status` as of `today`."""
        query = {"branch_id": branch_id, **trip_status_filter(status, today)}
        return self.page("trips", query, [("start_date", DESCENDING), ("_id", ASCENDING)],
                         page, page_size)

    def update_trip(self, trip_id: str, fields: dict) -> dict:
        return self.update_by_id("trips", trip_id, {"$set": fields})

    def trips_with_days_between(self, first: str, last: str) -> list[dict]:
        """Trips that have at least one day from `first` to `last` (ISO dates)."""
        # One range on the index (trips ending on or after `first`: the recent ones), the other
        # checked here: SecantusDB scans for two ranges.
        return [t for t in self.db.trips.find({"end_date": {"$gte": first}})
                if t["start_date"] <= last]

    def visit_day_span(self, trip_id: str) -> tuple[str, str] | None:
        """The first and last day with a visit on this trip, or None."""
        first = self.db.visits.find_one({"trip_id": trip_id}, sort=[("day", ASCENDING)])
        if first is None:
            return None
        last = self.db.visits.find_one({"trip_id": trip_id}, sort=[("day", DESCENDING)])
        return first["day"], last["day"]

    # -- visits ---------------------------------------------------------------------------
    def insert_visit(self, visit: dict) -> dict:
        """The visit, or the one stored under its id (the same POST retried, as insert_trip)."""
        try:
            self.db.visits.insert_one(visit)
        except DuplicateKeyError as duplicate:
            return stored_instead(self.find_visit(visit["_id"]), duplicate)
        return visit

    def find_visit(self, visit_id: str) -> dict | None:
        return self.db.visits.find_one({"_id": visit_id})

    def get_visit(self, visit_id: str) -> dict:
        visit = self.db.visits.find_one({"_id": visit_id})
        if visit is None:
            raise NotFound(f"没有拜访记录 {visit_id}")
        return visit

    def update_visit(self, visit_id: str, fields: dict) -> dict:
        return self.update_by_id("visits", visit_id, {"$set": fields})

    def visits_of_trip(self, trip_id: str, up_to_day: str | None = None) -> list[dict]:
        query = {"trip_id": trip_id}
        if up_to_day:
            query["day"] = {"$lte": up_to_day}
        return list(self.db.visits.find(query).sort([("visited_at", ASCENDING), ("_id", ASCENDING)]))

    def search_visits(self, keys: list[str], branch_id: str | None,
                      limit: int) -> tuple[list[dict], int]:
        """Visits whose `search_keys` hold all of `keys` (of one branch, unless None); at most
        `limit`, latest first, and how many match."""
        query: dict = {"search_keys": {"$all": keys}}
        if branch_id is not None:
            query["branch_id"] = branch_id
        found = list(self.db.visits.find(query, hint="search_keys").limit(limit))
        found.sort(key=lambda v: v["visited_at"], reverse=True)
        return found, self.db.visits.count_documents(query, hint="search_keys")

    def page_of_visits(self, trip_id: str, page: int, page_size: int):
        return self.page("visits", {"trip_id": trip_id},
                         [("visited_at", ASCENDING), ("_id", ASCENDING)], page, page_size)

    def visit_counts(self, period: domain.Period, branch_id: str | None = None) -> dict[str, int]:
        """Visits per branch within the period."""
        match: dict = {}
        if branch_id:
            match["branch_id"] = branch_id
        when = {}
        if period.start:
            when["$gte"] = period.start
        if period.end:
            when["$lt"] = period.end
        # Always a range on the visit date (from EPOCH when the period is open), which an index
        # serves, never an empty match (a scan).
        when.setdefault("$gte", EPOCH)
        match["visited_at"] = when
        rows = self.db.visits.aggregate([
            {"$match": match}, {"$group": {"_id": "$branch_id", "n": {"$sum": 1}}}])
        return {row["_id"]: row["n"] for row in rows}

    # -- nightly summaries ----------------------------------------------------------------
    def summaries_of_trip(self, trip_id: str) -> list[dict]:
        return list(self.db.summaries.find({"trip_id": trip_id}).sort("day", ASCENDING))

    def summaries_by_id(self, ids: list[str]) -> dict[str, dict]:
        return {s["_id"]: s for s in self.db.summaries.find({"_id": {"$in": ids}})}

    def get_summary(self, summary_id: str) -> dict | None:
        return self.db.summaries.find_one({"_id": summary_id})

    def produce_summary(self, summary: dict, events=(), at=None) -> bool:
        """Store a day's nightly summary unless one was produced already; True for the producer.

        Members may have written their plan for the day before: that document is completed,
        not replaced. The unique `_id` makes this happen once across replicas: the loser of a
        race gets a duplicate key and produces nothing, events included.
        """
        key = summary["_id"]
        figures = {k: v for k, v in summary.items() if k != "_id"}

        def change(session):
            if events:  # only for a day nobody wrote about: the document must not exist yet
                self.db.summaries.insert_one(summary, session=session)
            elif not self.update_one_where(
                    "summaries", {"_id": key, "produced_at": {"$exists": False}},
                    {"$set": figures}, session, upsert=True):
                raise DuplicateKeyError(f"summary {key} produced already")

        try:
            self.commit(change, envelopes(events, at))
        except DuplicateKeyError:
            return False
        return True

    def refresh_summary_figures(self, summary_id: str, figures: dict) -> None:
        """Bring a produced summary's figures up to date (a visit logged or edited late)."""
        self.update_one_where("summaries", {"_id": summary_id, "produced_at": {"$exists": True}},
                              {"$set": figures})

    def amend_summary(self, summary_id: str, on_insert: dict, fields: dict) -> dict:
        return self.update_by_id("summaries", summary_id,
                                 {"$set": fields, "$setOnInsert": on_insert}, upsert=True)

    # -- sourced leads --------------------------------------------------------------------
    def find_claim(self, keys: list[str]) -> dict | None:
        return self.db.lead_claims.find_one({"_id": {"$in": keys}})

    def claim_company(self, keys: list[str], claim: dict, visit_change: Change, at) -> None:
        """Record that this branch reported the company (under each key) and the visit's change
        (the lead it became) with its `lead_sourced` event; 409 when another report got there
        first."""
        def change(session):
            self.db.lead_claims.insert_many([{"_id": key, **claim} for key in keys],
                                            session=session)
            self.db.visits.update_one({"_id": claim["visit_id"]}, update_of(visit_change),
                                      session=session)

        try:
            self.commit(change, envelopes(visit_change.events, at))
        except DuplicateKeyError:
            existing = self.find_claim(keys)
            raise already_claimed(existing) from None


    # -- results projection ---------------------------------------------------------------
    def record_lead_created(self, envelope, lead) -> bool:
        def change(session):
            self.db.branch_leads.update_one(
                {"_id": lead.lead_id},
                {"$set": {"branch_id": lead.source_branch_id, "title": lead.title,
                          "company_name": lead.company_name,
                          "sourced_at": envelope.occurred_at},
                 # A stage change seen first already knows the stage and the investment.
                 "$setOnInsert": {"stage": "lead", "investment_cny": lead.investment_cny,
                                  "signed_at": None}},
                upsert=True, session=session)
        return self.apply_once(envelope, change)

    def record_stage_change(self, envelope, changed) -> bool:
        def change(session):
            row = self.db.branch_leads.find_one({"_id": changed.lead_id}, session=session)
            fields = domain.apply_stage_change(row, changed.to_stage, changed.at)
            if not fields:
                return
            fields.update(branch_id=changed.source_branch_id, title=changed.title,
                          investment_cny=changed.investment_cny)
            self.db.branch_leads.update_one({"_id": changed.lead_id}, {"$set": fields},
                                            upsert=True, session=session)
        return self.apply_once(envelope, change)

    def sourced_leads(self, branch_id: str | None = None) -> list[dict]:
        # Every branch: all strings sort from "" on, a range the branch index serves.
        query = {"branch_id": branch_id} if branch_id else {"branch_id": {"$gte": ""}}
        return list(self.db.branch_leads.find(query))


def already_claimed(claim: dict | None) -> Conflict:
    if claim is None:  # cannot happen short of a claim deleted by hand
        return Conflict("这家企业已被报为线索")
    return Conflict(
        f"这家企业已由党支部 {claim['branch_id']} 报为线索",
        {"existing_id": claim["lead_id"], "branch_id": claim["branch_id"]},
    )
