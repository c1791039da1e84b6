"""The branches service: the six regional Party branches, their outbound trips, visit logs,
nightly summaries, the leads they source and their results.

Every RPC that touches a branch's work takes the caller as `viewer` ({username, role,
branch_id}) and answers 404 for what the viewer may not see (domain.may_read/may_write).
"""
from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy, rpc

from services.branches import domain
from services.branches.repository import BranchesRepository, already_claimed
from services.branches.schemas import (
    BranchUpdate, LeadFromVisit, PeriodQuery, SummaryAmend, TripCreate, TripQuery, TripUpdate,
    VisitCreate, VisitUpdate, Viewer,
)
from shared.clock import Clock
from shared.company import company_keys
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import LeadSourced, TripDayUnreported, make_event
from shared.handlers import on_event
from shared.jsonable import jsonable
from shared.rpc import call
from shared.schemas import PageQuery, page_of, validated
from shared.storage import Storage
from shared.timers import timer_from_config

log = logging.getLogger(__name__)
BRANCHES_FILE = Path(__file__).with_name("data") / "branches.yaml"


def load_branches_file(path: Path = BRANCHES_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return domain.check_branches([{"_id": b.pop("id"), **b} for b in yaml.safe_load(f)])


def seed_from_file(repository: BranchesRepository, config: dict) -> None:
    repository.seed(load_branches_file())


def view(document: dict, **extra) -> dict:
    return jsonable({"id": document["_id"], **{k: v for k, v in document.items() if k != "_id"},
                     **extra})


def summary_id(trip_id: str, day) -> str:
    return f"{trip_id}:{day}"


class BranchesService:
    name = "branches"

    storage = Storage(BranchesRepository, on_start=seed_from_file)
    clock = Clock()
    config = Config()
    leads = RpcProxy("leads")

    # -- settings ---------------------------------------------------------------------------
    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.get("BRANCH_TIMEZONE") or "Asia/Shanghai")

    @property
    def summary_at(self):
        return domain.parse_summary_time(self.config.get("BRANCH_SUMMARY_AT") or "21:00")

    def today(self):
        return domain.local_day(self.clock.now(), self.zone)

    # -- branches ---------------------------------------------------------------------------
    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def list_branches(self) -> list[dict]:
        return [view(b) for b in self.storage.all()]

    @rpc
    def get_branch(self, branch_id: str) -> dict:
        return view(self.storage.get(branch_id))

    @rpc
    def update_branch(self, branch_id: str, body: dict, viewer: dict) -> dict:
        """An admin's edit of names, regions, members or secretary."""
        edit = validated(BranchUpdate, body)
        who = validated(Viewer, viewer, ("viewer",))
        if who.role != "admin":
            raise NotFound(f"no branch {branch_id}")
        branch = self.storage.get(branch_id)
        fields = edit.model_dump(exclude_none=True)
        members = fields.get("members", branch.get("members") or [])
        secretary = fields.get("secretary", branch.get("secretary"))
        problem = domain.secretary_problem(secretary, members)
        if problem:
            loc = "secretary" if "secretary" in fields else "members"
            raise InvalidInput(problem, {"errors": [{"loc": ["body", loc], "msg": problem}]})
        fields.update(updated_at=self.clock.now(), updated_by=who.username)
        return view(self.storage.update_branch(branch_id, fields))

    # -- trips ------------------------------------------------------------------------------
    @rpc
    def create_trip(self, branch_id: str, body: dict, viewer: dict) -> dict:
        trip_in = validated(TripCreate, body)
        who = self.writable_branch(branch_id, viewer)
        self.check_dates(trip_in.start_date, trip_in.end_date)
        now = self.clock.now()
        trip = {
            "_id": uuid.uuid4().hex, "branch_id": branch_id,
            **trip_in.model_dump(mode="json", exclude_none=True),
            "members": trip_in.members or [who.username],
            "created_at": now, "created_by": who.username, "updated_at": now,
        }
        return self.trip_view(self.storage.insert_trip(trip))

    @rpc
    def list_trips(self, branch_id: str, query: dict, viewer: dict) -> dict:
        q = validated(TripQuery, query, ("query",))
        self.readable_branch(branch_id, viewer)
        today = self.today().isoformat()
        filters = {"branch_id": branch_id, **{
            "upcoming": {"start_date": {"$gt": today}},
            "ongoing": {"start_date": {"$lte": today}, "end_date": {"$gte": today}},
            "finished": {"end_date": {"$lt": today}},
        }.get(q.status, {})}
        trips, total = self.storage.list_trips(filters, q.page, q.page_size)
        return page_of([self.trip_view(t) for t in trips], total, q)

    @rpc
    def get_trip(self, trip_id: str, viewer: dict) -> dict:
        return self.trip_view(self.readable_trip(trip_id, viewer))

    @rpc
    def update_trip(self, trip_id: str, body: dict, viewer: dict) -> dict:
        """Adjust the plan: destination, dates, members, targets. Visits already logged must
        stay within the dates."""
        edit = validated(TripUpdate, body)
        trip, who = self.writable_trip(trip_id, viewer)
        fields = edit.model_dump(mode="json", exclude_none=True)
        start = edit.start_date or date.fromisoformat(trip["start_date"])
        end = edit.end_date or date.fromisoformat(trip["end_date"])
        self.check_dates(start, end)
        span = self.storage.visit_day_span(trip_id)
        if span and (span[0] < start.isoformat() or span[1] > end.isoformat()):
            msg = f"visits are logged from {span[0]} to {span[1]}: the dates must include them"
            loc = "start_date" if span[0] < start.isoformat() else "end_date"
            raise InvalidInput(msg, {"errors": [{"loc": ["body", loc], "msg": msg}]})
        fields.update(updated_at=self.clock.now(), updated_by=who.username)
        return self.trip_view(self.storage.update_trip(trip_id, fields))

    # -- visits -----------------------------------------------------------------------------
    @rpc
    def log_visit(self, trip_id: str, body: dict, viewer: dict) -> dict:
        """A visit, from a phone: only `company` is required; `visited_at` defaults to now."""
        visit_in = validated(VisitCreate, body)
        trip, who = self.writable_trip(trip_id, viewer)
        now = self.clock.now()
        visited_at = visit_in.visited_at or now
        problem = domain.visit_time_problem(
            visited_at, now, date.fromisoformat(trip["start_date"]),
            date.fromisoformat(trip["end_date"]), self.zone)
        if problem:
            raise InvalidInput(problem, {"errors": [{"loc": ["body", "visited_at"], "msg": problem}]})
        visit = {
            "_id": uuid.uuid4().hex, "trip_id": trip_id, "branch_id": trip["branch_id"],
            **visit_in.model_dump(mode="json", exclude_none=True),
            "visited_at": visited_at.astimezone(timezone.utc),
            "day": domain.local_day(visited_at, self.zone).isoformat(),
            "visitors": visit_in.visitors or [who.username],
            "lead_id": None, "created_at": now, "created_by": who.username,
        }
        self.storage.insert_visit(visit)
        self.refresh_summary(trip, visit["day"])
        return view(visit)

    @rpc
    def list_visits(self, trip_id: str, query: dict, viewer: dict) -> dict:
        q = validated(PageQuery, query, ("query",))
        self.readable_trip(trip_id, viewer)
        visits, total = self.storage.page_of_visits(trip_id, q.page, q.page_size)
        return page_of([view(v) for v in visits], total, q)

    @rpc
    def get_visit(self, visit_id: str, viewer: dict) -> dict:
        return view(self.readable_visit(visit_id, viewer))

    @rpc
    def update_visit(self, visit_id: str, body: dict, viewer: dict) -> dict:
        """Fill in a visit later: outcome, interest, next step, notes, who went."""
        edit = validated(VisitUpdate, body)
        visit = self.readable_visit(visit_id, viewer)
        trip, who = self.writable_trip(visit["trip_id"], viewer)
        fields = edit.model_dump(mode="json", exclude_none=True)
        fields.update(updated_at=self.clock.now(), updated_by=who.username)
        updated = self.storage.update_visit(visit_id, fields)
        self.refresh_summary(trip, visit["day"])
        return view(updated)

    # -- a visit becomes a lead ---------------------------------------------------------------
    @rpc
    def source_lead(self, visit_id: str, body: dict, viewer: dict) -> dict:
        """Turn a visit into a lead sourced by the branch. The first branch to report a company
        keeps the credit; a later report is 409 with the existing lead's id."""
        lead_in = validated(LeadFromVisit, body)
        visit = self.readable_visit(visit_id, viewer)
        trip, who = self.writable_trip(visit["trip_id"], viewer)
        if visit.get("lead_id"):
            raise Conflict("this visit is already a lead", {"existing_id": visit["lead_id"]})
        company = lead_in.company_name or visit["company"]
        credit_code = lead_in.credit_code or visit.get("credit_code")
        keys = company_keys(company, credit_code)
        claimed = self.storage.find_claim(keys)
        if claimed:
            raise already_claimed(claimed)
        existing = self.existing_lead(credit_code, company)
        if existing:
            extra = {"existing_id": existing["id"]}
            if existing.get("source_branch_id"):
                extra["branch_id"] = existing["source_branch_id"]
            raise Conflict("a lead for this company exists already", extra)

        now = self.clock.now()
        lead_id = uuid.uuid4().hex
        sourced = LeadSourced(
            lead_id=lead_id, branch_id=trip["branch_id"], trip_id=trip["_id"],
            visit_id=visit_id, sourced_by=who.username, title=lead_in.title or company,
            company_name=company, credit_code=credit_code, industry=lead_in.industry,
            investment_cny=lead_in.investment_cny, land_mu=lead_in.land_mu,
            region=lead_in.region or trip["destination"],
            contact=(lead_in.contact.model_dump(exclude_none=True) if lead_in.contact
                     else visit.get("contact")),
            first_contact_at=visit["visited_at"], notes=lead_in.notes or visit.get("notes"),
        )
        claim = {"lead_id": lead_id, "branch_id": trip["branch_id"], "visit_id": visit_id,
                 "company_name": company, "credit_code": credit_code, "claimed_at": now,
                 "claimed_by": who.username}
        self.storage.claim_company(keys, claim, visit_id, [make_event(self.name, sourced, now)])
        return {"lead_id": lead_id, "visit_id": visit_id, "branch_id": trip["branch_id"],
                "company_name": company, "credit_code": credit_code}

    def existing_lead(self, credit_code, company_name) -> dict | None:
        """The leads service's lead for this company, if any (`leads.find_existing`)."""
        return call(self.leads, "find_existing", credit_code, company_name)  # or Unavailable

    # -- nightly summaries ------------------------------------------------------------------
    @rpc
    def trip_summaries(self, trip_id: str, viewer: dict) -> list[dict]:
        self.readable_trip(trip_id, viewer)
        return [view(s) for s in self.storage.summaries_of_trip(trip_id)]

    @rpc
    def amend_summary(self, trip_id: str, day: str, body: dict, viewer: dict) -> dict:
        """Members add the next day's plan (or notes) to a day's summary, also before 21:00."""
        amend = validated(SummaryAmend, body)
        trip, who = self.writable_trip(trip_id, viewer)
        on = self.trip_day(trip, day)
        if on > self.today():
            msg = f"{on} has not come yet: write tonight's plan on today's summary"
            raise InvalidInput(msg, {"errors": [{"loc": ["path", "day"], "msg": msg}]})
        fields = {**amend.model_dump(exclude_none=True),
                  "amended_at": self.clock.now(), "amended_by": who.username}
        on_insert = {"trip_id": trip_id, "branch_id": trip["branch_id"], "day": on.isoformat(),
                     "destination": trip["destination"]}
        return view(self.storage.amend_summary(summary_id(trip_id, on), on_insert, fields))

    @timer_from_config("BRANCH_SUMMARY_INTERVAL", 60.0)
    def summarise_trip_days(self) -> int:
        """Every trip day past the summary time gets its summary, once across replicas; a day
        with no visits and nothing written raises `trip_day_unreported`. Days missed while the
        service was down are caught up within BRANCH_SUMMARY_LOOKBACK_DAYS."""
        now = self.clock.now()
        today = domain.local_day(now, self.zone)
        first = today - timedelta(days=int(self.config.get("BRANCH_SUMMARY_LOOKBACK_DAYS") or 7))
        produced = 0
        for trip in self.storage.trips_with_days_between(first.isoformat(), today.isoformat()):
            days = [d for d in domain.days_due(
                date.fromisoformat(trip["start_date"]),
                date.fromisoformat(trip["end_date"]), now, self.summary_at, self.zone)
                if d >= first]
            existing = self.storage.summaries_by_id([summary_id(trip["_id"], d) for d in days])
            for day in days:
                found = existing.get(summary_id(trip["_id"], day))
                if found is None or "produced_at" not in found:
                    produced += self.produce_summary(trip, day, found, now)
        return produced

    def produce_summary(self, trip: dict, day, written: dict | None, now) -> bool:
        key = summary_id(trip["_id"], day)
        figures = self.figures(trip, day.isoformat())
        unreported = figures["visit_count"] == 0 and written is None
        summary = {"_id": key, "trip_id": trip["_id"], "branch_id": trip["branch_id"],
                   "destination": trip["destination"], "produced_at": now, **figures,
                   "unreported": unreported}
        events = []
        if unreported:
            events = [make_event(self.name, TripDayUnreported(
                branch_id=trip["branch_id"], trip_id=trip["_id"], day=day,
                destination=trip["destination"], secretary=self.secretary_of(trip["branch_id"]),
            ), now)]
        won = self.storage.produce_summary(summary, events)
        if not won and unreported:
            # Members wrote about the day meanwhile (or another replica produced it).
            won = self.storage.produce_summary({**summary, "unreported": False})
        if won:  # a visit logged while we built it is counted too
            self.storage.refresh_summary_figures(key, self.figures(trip, day.isoformat()))
        return won

    def figures(self, trip: dict, day: str) -> dict:
        so_far = self.storage.visits_of_trip(trip["_id"], up_to_day=day)
        return domain.summary_figures(
            date.fromisoformat(day), [v for v in so_far if v["day"] == day],
            trip.get("targets") or [], so_far)

    def refresh_summary(self, trip: dict, day: str) -> None:
        """A visit logged or edited after its day's summary was produced updates the figures."""
        summary = self.storage.get_summary(summary_id(trip["_id"], day))
        if summary and "produced_at" in summary:
            self.storage.refresh_summary_figures(summary["_id"], self.figures(trip, day))

    def secretary_of(self, branch_id: str) -> str:
        branch = self.storage.get(branch_id)
        secretary = branch.get("secretary") or (branch.get("members") or [{}])[0]
        return secretary.get("username") or ""

    # -- results ----------------------------------------------------------------------------
    @rpc
    def results(self, branch_id: str, query: dict) -> dict:
        """Visits, leads sourced, signed, investment signed and conversion for a period."""
        q = validated(PeriodQuery, query, ("query",))
        branch = self.storage.get(branch_id)
        period = domain.local_period(q.from_, q.to, self.zone)
        visits = self.storage.visit_counts(period, branch_id).get(branch_id, 0)
        figures = domain.branch_results(branch_id, visits, self.storage.sourced_leads(branch_id),
                                        period)
        return jsonable({**figures, "name_zh": branch["name_zh"], "from": q.from_, "to": q.to})

    @rpc
    def ranking(self, query: dict) -> dict:
        """The six branches ranked by investment signed, then signed, sourced and visits."""
        q = validated(PeriodQuery, query, ("query",))
        period = domain.local_period(q.from_, q.to, self.zone)
        visits = self.storage.visit_counts(period)
        leads_by_branch: dict[str, list] = {}
        for row in self.storage.sourced_leads():
            leads_by_branch.setdefault(row.get("branch_id"), []).append(row)
        branches = self.storage.all()
        names = {b["_id"]: b["name_zh"] for b in branches}
        rows = [domain.branch_results(b["_id"], visits.get(b["_id"], 0),
                                      leads_by_branch.get(b["_id"], []), period)
                for b in branches]
        ranked = [{**row, "name_zh": names[row["branch_id"]]} for row in domain.ranking(rows)]
        return jsonable({"from": q.from_, "to": q.to, "items": ranked})

    # -- results kept current from the leads service's events ---------------------------------
    @on_event("leads", "lead_created")
    def count_sourced_lead(self, envelope, lead):
        if lead.source_branch_id:
            self.storage.record_lead_created(envelope, lead)

    @on_event("leads", "lead_stage_changed")
    def count_stage_change(self, envelope, changed):
        if changed.source_branch_id:
            self.storage.record_stage_change(envelope, changed)

    # -- scope --------------------------------------------------------------------------------
    def readable_branch(self, branch_id: str, viewer: dict) -> Viewer:
        who = validated(Viewer, viewer, ("viewer",))
        if not domain.may_read(who.model_dump(), branch_id):
            raise NotFound(f"no branch {branch_id}")  # 404, not 403: ids leak nothing
        self.storage.get(branch_id)
        return who

    def writable_branch(self, branch_id: str, viewer: dict) -> Viewer:
        who = validated(Viewer, viewer, ("viewer",))
        if not domain.may_write(who.model_dump(), branch_id):
            raise NotFound(f"no branch {branch_id}")
        self.storage.get(branch_id)
        return who

    def readable_trip(self, trip_id: str, viewer: dict) -> dict:
        who = validated(Viewer, viewer, ("viewer",))
        trip = self.storage.get_trip(trip_id)
        if not domain.may_read(who.model_dump(), trip["branch_id"]):
            raise NotFound(f"no trip {trip_id}")
        return trip

    def writable_trip(self, trip_id: str, viewer: dict) -> tuple[dict, Viewer]:
        who = validated(Viewer, viewer, ("viewer",))
        trip = self.storage.get_trip(trip_id)
        if not domain.may_write(who.model_dump(), trip["branch_id"]):
            raise NotFound(f"no trip {trip_id}")
        return trip, who

    def readable_visit(self, visit_id: str, viewer: dict) -> dict:
        who = validated(Viewer, viewer, ("viewer",))
        visit = self.storage.get_visit(visit_id)
        if not domain.may_read(who.model_dump(), visit["branch_id"]):
            raise NotFound(f"no visit {visit_id}")
        return visit

    @staticmethod
    def check_dates(start, end) -> None:
        errors = domain.trip_date_problems(start, end)
        if errors:
            raise InvalidInput(errors[0]["msg"], {"errors": errors})

    @staticmethod
    def trip_day(trip: dict, day: str):
        """`day` as a date of the trip; 404 when it is not one of the trip's days."""
        try:
            on = date.fromisoformat(day)
        except ValueError:
            raise NotFound(f"no day {day} on this trip") from None
        if not trip["start_date"] <= on.isoformat() <= trip["end_date"]:
            raise NotFound(f"no day {day} on this trip ({trip['start_date']} to {trip['end_date']})")
        return on

    def trip_view(self, trip: dict) -> dict:
        today = self.today().isoformat()
        status = ("upcoming" if trip["start_date"] > today
                  else "finished" if trip["end_date"] < today else "ongoing")
        return view(trip, status=status)
