"""The branches service: the six regional Party branches, their outbound trips, visit logs,
nightly summaries, the leads they source and their results. Entrypoints only, each
validate -> use case (usecases.py) -> view.

Every RPC that touches a branch's work takes the caller as `principal` (shared/scope.py
Principal, as a dict) and answers 404 for what the caller may not see (domain.may_read/may_write).
"""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.branches import domain
from services.branches.repository import BranchesRepository
from services.branches.schemas import (
    BranchUpdate, BranchView, LeadFromVisit, LeadSourcedView, PeriodQuery, SummaryAmend,
    SummaryView, TripCreate, TripQuery, TripUpdate, TripView, VisitCreate, VisitUpdate,
    VisitView,
)
from services.branches.usecases import BranchesUseCases
from services.leads.client import LeadsClient
from services.leads.domain import search_keys
from shared.clock import Clock
from shared.handlers import on_event
from shared.idempotency import IdempotencyKey, new_id
from shared.jsonable import jsonable
from shared.schemas import PageQuery, page_of, validated
from shared.scope import Principal
from shared.storage import Storage
from shared.timers import timer_from_config

BRANCHES_FILE = Path(__file__).with_name("data") / "branches.yaml"


def load_branches_file(path: Path = BRANCHES_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return domain.check_branches([{"_id": b.pop("id"), **b} for b in yaml.safe_load(f)])


def seed_from_file(repository: BranchesRepository, config: dict) -> None:
    repository.seed(load_branches_file())
    repository.add_search_keys("visits", {"company": 1}, lambda v: search_keys(v["company"]))


def shown_by(model):
    """A view of a stored document that sends only the fields `model` names (an allow-list)."""
    names = tuple(info.alias or name for name, info in model.model_fields.items() if name != "id")

    def view(document: dict, **extra) -> dict:
        return jsonable({"id": document["_id"], **{f: document[f] for f in names if f in document},
                         **extra})
    return view


branch_view = shown_by(BranchView)
trip_document_view = shown_by(TripView)
visit_view = shown_by(VisitView)
summary_view = shown_by(SummaryView)
SOURCED_FIELDS = tuple(LeadSourcedView.model_fields)


class BranchesService:
    name = "branches"

    storage = Storage(BranchesRepository, on_start=seed_from_file)
    clock = Clock()
    idempotency_key = IdempotencyKey()
    config = Config()
    leads = LeadsClient()

    @property
    def cases(self) -> BranchesUseCases:
        zone = ZoneInfo(self.config.get("BRANCH_TIMEZONE") or "Asia/Shanghai")
        summary_at = domain.parse_summary_time(self.config.get("BRANCH_SUMMARY_AT") or "21:00")
        return BranchesUseCases(self.storage, self.clock.now(), zone, summary_at, self.leads)

    def trip_view(self, trip: dict, today: str) -> dict:
        status = ("upcoming" if trip["start_date"] > today
                  else "finished" if trip["end_date"] < today else "ongoing")
        return trip_document_view(trip, status=status)

    def trips_shown(self, cases: BranchesUseCases, trips: list[dict]) -> list[dict]:
        return [self.trip_view(t, cases.today.isoformat()) for t in trips]

    # -- branches ---------------------------------------------------------------------------
    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def list_branches(self) -> list[dict]:
        return [branch_view(b) for b in self.storage.all()]

    @rpc
    def get_branch(self, branch_id: str) -> dict:
        return branch_view(self.storage.get(branch_id))

    @rpc
    def update_branch(self, branch_id: str, body: dict, principal: dict) -> dict:
        """An admin's edit of names, regions, members or secretary."""
        edit = validated(BranchUpdate, body)
        who = Principal.of(principal)
        return branch_view(self.cases.update_branch(branch_id, edit, who))

    # -- trips ------------------------------------------------------------------------------
    @rpc
    def create_trip(self, branch_id: str, body: dict, principal: dict) -> dict:
        trip_in = validated(TripCreate, body)
        who = Principal.of(principal)
        cases = self.cases
        trip = cases.create_trip(branch_id, trip_in, who, new_id(who.username, self.idempotency_key),
                                 bool(self.idempotency_key))
        return self.trips_shown(cases, [trip])[0]

    @rpc
    def list_trips(self, branch_id: str, query: dict, principal: dict) -> dict:
        q = validated(TripQuery, query, ("query",))
        who = Principal.of(principal)
        cases = self.cases
        trips, total = cases.list_trips(branch_id, q, who)
        return page_of(self.trips_shown(cases, trips), total, q)

    @rpc
    def get_trip(self, trip_id: str, principal: dict) -> dict:
        cases = self.cases
        trip = cases.readable_trip(trip_id, Principal.of(principal))
        return self.trips_shown(cases, [trip])[0]

    @rpc
    def update_trip(self, trip_id: str, body: dict, principal: dict) -> dict:
        """Adjust the plan: destination, dates, members, targets. Visits already logged must
        stay within the dates."""
        edit = validated(TripUpdate, body)
        who = Principal.of(principal)
        cases = self.cases
        return self.trips_shown(cases, [cases.update_trip(trip_id, edit, who)])[0]

    # -- visits -----------------------------------------------------------------------------
    @rpc
    def log_visit(self, trip_id: str, body: dict, principal: dict) -> dict:
        """A visit, from a phone: only `company` is required; `visited_at` defaults to now."""
        visit_in = validated(VisitCreate, body)
        who = Principal.of(principal)
        return visit_view(self.cases.log_visit(
            trip_id, visit_in, who, new_id(who.username, self.idempotency_key),
            bool(self.idempotency_key)))

    @rpc
    def list_visits(self, trip_id: str, query: dict, principal: dict) -> dict:
        q = validated(PageQuery, query, ("query",))
        visits, total = self.cases.list_visits(trip_id, q, Principal.of(principal))
        return page_of([visit_view(v) for v in visits], total, q)

    @rpc
    def search_visits(self, q: str, limit: int, principal: dict) -> dict:
        """Visits whose company matches `q`, of the branches the caller may read:
        {items (at most `limit`), total}."""
        visits, total = self.cases.search_visits(q, limit, Principal.of(principal))
        return {"items": [visit_view(v) for v in visits], "total": total}

    @rpc
    def get_visit(self, visit_id: str, principal: dict) -> dict:
        return visit_view(self.cases.readable_visit(visit_id,
                                                    Principal.of(principal)))

    @rpc
    def update_visit(self, visit_id: str, body: dict, principal: dict) -> dict:
        """Fill in a visit later: outcome, interest, next step, notes, who went."""
        edit = validated(VisitUpdate, body)
        who = Principal.of(principal)
        return visit_view(self.cases.update_visit(visit_id, edit, who))

    # -- a visit becomes a lead ---------------------------------------------------------------
    @rpc
    def source_lead(self, visit_id: str, body: dict, principal: dict) -> dict:
        """Turn a visit into a lead sourced by the branch. The first branch to report a company
        keeps the credit; a later report is 409 with the existing lead's id."""
        lead_in = validated(LeadFromVisit, body)
        claim = self.cases.source_lead(visit_id, lead_in, Principal.of(principal))
        return {f: claim[f] for f in SOURCED_FIELDS}

    # -- nightly summaries ------------------------------------------------------------------
    @rpc
    def trip_summaries(self, trip_id: str, principal: dict) -> list[dict]:
        return [summary_view(s) for s in self.cases.trip_summaries(
            trip_id, Principal.of(principal))]

    @rpc
    def amend_summary(self, trip_id: str, day: str, body: dict, principal: dict) -> dict:
        """Members add the next day's plan (or notes) to a day's summary, also before 21:00."""
        amend = validated(SummaryAmend, body)
        who = Principal.of(principal)
        return summary_view(self.cases.amend_summary(trip_id, day, amend, who))

    @timer_from_config("BRANCH_SUMMARY_INTERVAL", 60.0)
    def summarise_trip_days(self) -> int:
        """Every trip day past the summary time gets its summary, once across replicas; a day
        with no visits and nothing written raises `trip_day_unreported`. Days missed while the
        service was down are caught up within BRANCH_SUMMARY_LOOKBACK_DAYS."""
        return self.cases.summarise_trip_days(
            int(self.config.get("BRANCH_SUMMARY_LOOKBACK_DAYS") or 7))

    # -- results ----------------------------------------------------------------------------
    @rpc
    def results(self, branch_id: str, query: dict) -> dict:
        """Visits, leads sourced, signed, investment signed and conversion for a period."""
        return jsonable(self.cases.results(branch_id, validated(PeriodQuery, query, ("query",))))

    @rpc
    def ranking(self, query: dict) -> dict:
        """The six branches ranked by investment signed, then signed, sourced and visits."""
        return jsonable(self.cases.ranking(validated(PeriodQuery, query, ("query",))))

    # -- results kept current from the leads service's events ---------------------------------
    @on_event("leads", "lead_created")
    def count_sourced_lead(self, envelope, lead):
        if lead.source_branch_id:
            self.storage.record_lead_created(envelope, lead)

    @on_event("leads", "lead_stage_changed")
    def count_stage_change(self, envelope, changed):
        if changed.source_branch_id:
            self.storage.record_stage_change(envelope, changed)
