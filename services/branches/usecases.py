"""The branches' use cases: each loads, checks the caller's scope, asks the domain (domain.py)
and saves through the repository. No nameko here: service.py validates the RPC's arguments,
calls one of these and shows the result. Scope: a caller (shared/scope.py Principal) who may
not see a branch's work gets 404 (domain.may_read / may_write)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from services.branches import domain
from services.branches.domain import summary_id
from services.branches.repository import BranchesRepository, already_claimed
from services.branches.schemas import (
    BranchUpdate, LeadFromVisit, PeriodQuery, SummaryAmend, TripCreate, TripQuery, TripUpdate,
    VisitCreate, VisitUpdate,
)
from services.leads.client import LeadsCalls
from services.leads.domain import query_keys, search_keys
from shared.company import company_keys
from shared.errors import Conflict, InvalidInput, NotFound, field_invalid, refusals_as_rpc_errors
from shared.messages_zh import detail_of
from shared.scope import Principal


class BranchesUseCases:
    """The use cases of one RPC, event or timer run, at `now` in the county's `zone`."""

    def __init__(self, repository: BranchesRepository, now: datetime, zone: tzinfo,
                 summary_at: time, leads: LeadsCalls | None = None):
        self.repository = repository
        self.now = now
        self.zone = zone
        self.summary_at = summary_at
        self.leads = leads

    @property
    def today(self) -> date:
        return domain.local_day(self.now, self.zone)

    # -- branches ---------------------------------------------------------------------------
    def update_branch(self, branch_id: str, edit: BranchUpdate, who: Principal) -> dict:
        """An admin's edit of names, regions, members or secretary."""
        if who.role != "admin":
            raise NotFound(f"没有党支部 {branch_id}")
        branch = self.repository.get(branch_id)
        fields = edit.model_dump(exclude_none=True)
        members = fields.get("members", branch.get("members") or [])
        secretary = fields.get("secretary", branch.get("secretary"))
        problem = domain.secretary_problem(secretary, members)
        if problem:
            loc = "secretary" if "secretary" in fields else "members"
            raise field_invalid(["body", loc], problem)
        fields.update(updated_at=self.now, updated_by=who.username)
        return self.repository.update_branch(branch_id, fields)

    # -- trips ------------------------------------------------------------------------------
    def create_trip(self, branch_id: str, trip_in: TripCreate, who: Principal, trip_id: str,
                    may_be_retry: bool) -> dict:
        self.writable_branch(branch_id, who)
        check_dates(trip_in.start_date, trip_in.end_date)
        if may_be_retry and self.repository.find_trip(trip_id):
            return self.repository.find_trip(trip_id)  # a retry of the same POST
        return self.repository.insert_trip({
            "_id": trip_id, "branch_id": branch_id,
            **trip_in.model_dump(mode="json", exclude_none=True),
            "members": trip_in.members or [who.username],
            "created_at": self.now, "created_by": who.username, "updated_at": self.now,
        })

    def list_trips(self, branch_id: str, q: TripQuery, who: Principal):
        self.readable_branch(branch_id, who)
        return self.repository.list_trips(branch_id, q.status, self.today.isoformat(), q.page,
                                          q.page_size)

    def update_trip(self, trip_id: str, edit: TripUpdate, who: Principal) -> dict:
        """Adjust the plan: destination, dates, members, targets. Visits already logged must
        stay within the dates."""
        trip = self.writable_trip(trip_id, who)
        fields = edit.model_dump(mode="json", exclude_none=True)
        start = edit.start_date or date.fromisoformat(trip["start_date"])
        end = edit.end_date or date.fromisoformat(trip["end_date"])
        check_dates(start, end)
        span = self.repository.visit_day_span(trip_id)
        if span and (span[0] < start.isoformat() or span[1] > end.isoformat()):
            msg = f"已记录 {span[0]} 至 {span[1]} 的拜访：行程日期须包含这些天"
            loc = "start_date" if span[0] < start.isoformat() else "end_date"
            raise field_invalid(["body", loc], msg)
        fields.update(updated_at=self.now, updated_by=who.username)
        return self.repository.update_trip(trip_id, fields)

    # -- visits -----------------------------------------------------------------------------
    def log_visit(self, trip_id: str, visit_in: VisitCreate, who: Principal, visit_id: str,
                  may_be_retry: bool) -> dict:
        """A visit, from a phone: only `company` is required; `visited_at` defaults to now."""
        trip = self.writable_trip(trip_id, who)
        visited_at = visit_in.visited_at or self.now
        problem = domain.visit_time_problem(
            visited_at, self.now, date.fromisoformat(trip["start_date"]),
            date.fromisoformat(trip["end_date"]), self.zone)
        if problem:
            raise field_invalid(["body", "visited_at"], problem)
        if may_be_retry and self.repository.find_visit(visit_id):
            return self.repository.find_visit(visit_id)  # a phone that sent it again
        visit = {
            "_id": visit_id, "trip_id": trip_id, "branch_id": trip["branch_id"],
            **visit_in.model_dump(mode="json", exclude_none=True),
            "visited_at": visited_at.astimezone(timezone.utc),
            "day": domain.local_day(visited_at, self.zone).isoformat(),
            "visitors": visit_in.visitors or [who.username],
            "lead_id": None, "created_at": self.now, "created_by": who.username,
            "search_keys": search_keys(visit_in.company),
        }
        visit = self.repository.insert_visit(visit)
        self.refresh_summary(trip, visit["day"])
        return visit

    def list_visits(self, trip_id: str, q, who: Principal):
        self.readable_trip(trip_id, who)
        return self.repository.page_of_visits(trip_id, q.page, q.page_size)

    def search_visits(self, q: str, limit: int, who: Principal) -> tuple[list[dict], int]:
        """Visits whose company matches `q`, of the branches the caller may read."""
        keys = query_keys(q)
        if not keys:
            raise field_invalid(["query", "q"], "至少输入一个字")
        # a branch member: the own branch only
        branch_id = None if who.role in domain.READ_ALL_ROLES else (who.branch_id or "-")
        visits, total = self.repository.search_visits(keys, branch_id, max(1, min(int(limit), 50)))
        viewer = who.model_dump()
        return [v for v in visits if domain.may_read(viewer, v["branch_id"])], total

    def update_visit(self, visit_id: str, edit: VisitUpdate, who: Principal) -> dict:
        """Fill in a visit later: outcome, interest, next step, notes, who went."""
        visit = self.readable_visit(visit_id, who)
        trip = self.writable_trip(visit["trip_id"], who)
        fields = edit.model_dump(mode="json", exclude_none=True)
        fields.update(updated_at=self.now, updated_by=who.username)
        updated = self.repository.update_visit(visit_id, fields)
        self.refresh_summary(trip, visit["day"])
        return updated

    # -- a visit becomes a lead ---------------------------------------------------------------
    @refusals_as_rpc_errors
    def source_lead(self, visit_id: str, lead_in: LeadFromVisit, who: Principal) -> dict:
        """Turn a visit into a lead sourced by the branch. The first branch to report a company
        keeps the credit; a later report is 409 with the existing lead's id."""
        visit = self.readable_visit(visit_id, who)
        trip = self.writable_trip(visit["trip_id"], who)
        claim, visit_change = domain.lead_sourced(visit, trip, lead_in, uuid.uuid4().hex,
                                                  who.username, self.now)
        keys = company_keys(claim["company_name"], claim["credit_code"])
        claimed = self.repository.find_claim(keys)
        if claimed:
            raise already_claimed(claimed)
        assert self.leads is not None, "source_lead asks the leads service"
        existing = self.leads.find_existing(claim["credit_code"], claim["company_name"])
        if existing:  # the leads service's lead for this company (or Unavailable)
            extra = {"existing_id": existing["id"]}
            if existing.get("source_branch_id"):
                extra["branch_id"] = existing["source_branch_id"]
            raise Conflict("这家企业已有线索", extra)
        self.repository.claim_company(keys, claim, visit_change, self.now)
        return claim

    # -- nightly summaries ------------------------------------------------------------------
    def trip_summaries(self, trip_id: str, who: Principal) -> list[dict]:
        self.readable_trip(trip_id, who)
        return self.repository.summaries_of_trip(trip_id)

    def amend_summary(self, trip_id: str, day: str, amend: SummaryAmend, who: Principal) -> dict:
        """Members add the next day's plan (or notes) to a day's summary, also before 21:00."""
        trip = self.writable_trip(trip_id, who)
        on = trip_day(trip, day)
        if on > self.today:
            raise field_invalid(["path", "day"], f"{on} 还没到：今晚的安排请写在今天的小结里")
        fields = {**amend.model_dump(exclude_none=True),
                  "amended_at": self.now, "amended_by": who.username}
        on_insert = {"trip_id": trip_id, "branch_id": trip["branch_id"], "day": on.isoformat(),
                     "destination": trip["destination"]}
        return self.repository.amend_summary(summary_id(trip_id, on), on_insert, fields)

    def summarise_trip_days(self, lookback_days: int) -> int:
        """Every trip day past the summary time gets its summary, once across replicas; days
        missed while the service was down are caught up within `lookback_days`."""
        first = self.today - timedelta(days=lookback_days)
        produced = 0
        for trip in self.repository.trips_with_days_between(first.isoformat(),
                                                            self.today.isoformat()):
            days = [d for d in domain.days_due(
                date.fromisoformat(trip["start_date"]),
                date.fromisoformat(trip["end_date"]), self.now, self.summary_at, self.zone)
                if d >= first]
            existing = self.repository.summaries_by_id([summary_id(trip["_id"], d) for d in days])
            for day in days:
                found = existing.get(summary_id(trip["_id"], day))
                if found is None or "produced_at" not in found:
                    produced += self.produce_summary(trip, day, found)
        return produced

    def produce_summary(self, trip: dict, day: date, written: dict | None) -> bool:
        summary, events = domain.day_summary(trip, day, self.figures(trip, day.isoformat()),
                                             written, self.secretary_of(trip["branch_id"]),
                                             self.now)
        won = self.repository.produce_summary(summary, events, self.now)
        if not won and events:
            # Members wrote about the day meanwhile (or another replica produced it).
            won = self.repository.produce_summary({**summary, "unreported": False})
        if won:  # a visit logged while we built it is counted too
            self.repository.refresh_summary_figures(summary["_id"],
                                                    self.figures(trip, day.isoformat()))
        return won

    def figures(self, trip: dict, day: str) -> dict:
        so_far = self.repository.visits_of_trip(trip["_id"], up_to_day=day)
        return domain.summary_figures(
            date.fromisoformat(day), [v for v in so_far if v["day"] == day],
            trip.get("targets") or [], so_far)

    def refresh_summary(self, trip: dict, day: str) -> None:
        """A visit logged or edited after its day's summary was produced updates the figures."""
        summary = self.repository.get_summary(summary_id(trip["_id"], day))
        if summary and "produced_at" in summary:
            self.repository.refresh_summary_figures(summary["_id"], self.figures(trip, day))

    def secretary_of(self, branch_id: str) -> str:
        branch = self.repository.get(branch_id)
        secretary = branch.get("secretary") or (branch.get("members") or [{}])[0]
        return secretary.get("username") or ""

    # -- results ----------------------------------------------------------------------------
    def results(self, branch_id: str, q: PeriodQuery) -> dict:
        """Visits, leads sourced, signed, investment signed and conversion for a period."""
        branch = self.repository.get(branch_id)
        period = domain.local_period(q.from_, q.to, self.zone)
        visits = self.repository.visit_counts(period, branch_id).get(branch_id, 0)
        figures = domain.branch_results(branch_id, visits,
                                        self.repository.sourced_leads(branch_id), period)
        return {**figures, "name_zh": branch["name_zh"], "from": q.from_, "to": q.to}

    def ranking(self, q: PeriodQuery) -> dict:
        """The six branches ranked by investment signed, then signed, sourced and visits."""
        period = domain.local_period(q.from_, q.to, self.zone)
        visits = self.repository.visit_counts(period)
        leads_by_branch: dict[str, list] = {}
        for row in self.repository.sourced_leads():
            leads_by_branch.setdefault(row.get("branch_id"), []).append(row)
        branches = self.repository.all()
        names = {b["_id"]: b["name_zh"] for b in branches}
        rows = [domain.branch_results(b["_id"], visits.get(b["_id"], 0),
                                      leads_by_branch.get(b["_id"], []), period)
                for b in branches]
        ranked = [{**row, "name_zh": names[row["branch_id"]]} for row in domain.ranking(rows)]
        return {"from": q.from_, "to": q.to, "items": ranked}

    # -- scope --------------------------------------------------------------------------------
    def readable_branch(self, branch_id: str, who: Principal) -> None:
        if not domain.may_read(who.model_dump(), branch_id):
            raise NotFound(f"没有党支部 {branch_id}")  # 404, not 403: ids leak nothing
        self.repository.get(branch_id)

    def writable_branch(self, branch_id: str, who: Principal) -> None:
        if not domain.may_write(who.model_dump(), branch_id):
            raise NotFound(f"没有党支部 {branch_id}")
        self.repository.get(branch_id)

    def readable_trip(self, trip_id: str, who: Principal) -> dict:
        trip = self.repository.get_trip(trip_id)
        if not domain.may_read(who.model_dump(), trip["branch_id"]):
            raise NotFound(f"没有行程 {trip_id}")
        return trip

    def writable_trip(self, trip_id: str, who: Principal) -> dict:
        trip = self.repository.get_trip(trip_id)
        if not domain.may_write(who.model_dump(), trip["branch_id"]):
            raise NotFound(f"没有行程 {trip_id}")
        return trip

    def readable_visit(self, visit_id: str, who: Principal) -> dict:
        visit = self.repository.get_visit(visit_id)
        if not domain.may_read(who.model_dump(), visit["branch_id"]):
            raise NotFound(f"没有拜访记录 {visit_id}")
        return visit


def check_dates(start: date, end: date) -> None:
    errors = domain.trip_date_problems(start, end)
    if errors:
        raise InvalidInput(detail_of(errors), {"errors": errors})


def trip_day(trip: dict, day: str) -> date:
    """`day` as a date of the trip; 404 when it is not one of the trip's days."""
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise NotFound(f"这次行程没有 {day} 这一天") from None
    if not trip["start_date"] <= on.isoformat() <= trip["end_date"]:
        raise NotFound(f"这次行程（{trip['start_date']} 至 {trip['end_date']}）没有 {day} 这一天")
    return on
