"""The sla service: clocks for every promise, warnings before and alarms at a breach.

Clocks start, pause and stop on other services' events; a timer (every SLA_SCAN_SECONDS on
each instance, and at once on start to catch up after downtime) evaluates the clocks whose
next threshold is due. See repository.py for why each threshold fires exactly once.
"""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.sla import domain
from services.sla.repository import SlaRepository, split_batch_clocks
from services.sla.schemas import ClockFilter, HolidayTableIn, HolidayTableView, ReportQuery
from services.sla.usecases import Clocks, part_of, problem_context
from shared import scope
from shared.clock import Clock
from shared.handlers import on_event
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.scope import Principal
from shared.storage import Storage
from shared.timers import timer_from_config
from shared.view_fields import fields_of, picked

HOLIDAY_TABLE_FIELDS = fields_of(HolidayTableView)


class SlaService:
    name = "sla"

    storage = Storage(SlaRepository, on_start=split_batch_clocks)
    clock = Clock()
    config = Config()

    @property
    def cases(self) -> Clocks:
        return Clocks(self.storage, self.clock.now(), self.config.get("SLA_TARGETS"),
                      self.config.get("SLA_DAYS"))

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    # -- one clock per policy item, started, paused and stopped by the policy service ---------
    # Each item of a batch is its own 48-hour promise (subject "<request_id>-<n>"): only its
    # own pause holds it, its reply stops it; the request's state follows from its items.
    @on_event("policy", "policy_request_received")
    def start_policy_clock(self, envelope, received):
        self.cases.start_policy_clocks(envelope, received)

    @on_event("policy", "policy_item_replied")
    def record_item_replied(self, envelope, replied):
        fields = {"stopped_at": replied.replied_at, "department": replied.department}
        if replied.ended_pause:
            fields[f"holds.{replied.ended_pause}.until"] = replied.replied_at
        self.cases.change_clock(envelope, "policy_reply",
                                domain.item_subject(replied.request_id, replied.n), fields)

    @on_event("policy", "policy_item_paused")
    def pause_policy_clock(self, envelope, paused):
        self.cases.change_clock(envelope, "policy_reply",
                                domain.item_subject(paused.request_id, paused.n),
                                {f"holds.{paused.pause_key}.since": paused.paused_at})

    @on_event("policy", "policy_item_resumed")
    def resume_policy_clock(self, envelope, resumed):
        self.cases.change_clock(envelope, "policy_reply",
                                domain.item_subject(resumed.request_id, resumed.n),
                                {f"holds.{resumed.pause_key}.until": resumed.resumed_at})

    @on_event("policy", "policy_request_closed")
    def stop_policy_clock(self, envelope, closed):
        """Each item's clock stopped at its own reply: the close changes no clock (the handler
        stays so that the event's queue keeps a consumer)."""
        self.storage.apply_once(envelope, lambda session: None)

    # For the next kinds (supervision's problem clocks): a handler of a few lines that calls
    # cases.start_clock(...) / cases.change_clock(..., {"stopped_at": at}) like the ones above.

    # -- clocks of supervision's closed problem loop ------------------------------------------
    @on_event("supervision", "problem_raised")
    def start_problem_clocks(self, envelope, raised):
        """Feedback within 3 days, solved within 7 days (general) or a month (complex)."""
        context = problem_context(raised.problem)
        for kind in ("problem_feedback", f"problem_{raised.problem.complexity}"):
            self.cases.start_clock(part_of(envelope, kind), kind, raised.problem.problem_id,
                                   raised.raised_at, context)

    @on_event("supervision", "problem_feedback_recorded")
    def stop_feedback_clock(self, envelope, given):
        self.cases.change_clock(envelope, "problem_feedback", given.problem.problem_id,
                                {"stopped_at": given.at})

    @on_event("supervision", "problem_resolved")
    def stop_problem_clocks(self, envelope, resolved):
        kind = f"problem_{resolved.problem.complexity}"
        self.cases.change_clock(part_of(envelope, kind), kind, resolved.problem.problem_id,
                                {"stopped_at": resolved.at})
        if resolved.report_clock:
            self.cases.change_clock(part_of(envelope, "plan_progress_report"),
                                    "plan_progress_report", resolved.report_clock,
                                    {"stopped_at": resolved.at})

    @on_event("supervision", "problem_planned")
    def start_progress_report_clock(self, envelope, planned):
        if planned.report_clock:  # the first plan; a revision leaves the month's clock running
            self.cases.start_clock(envelope, "plan_progress_report", planned.report_clock,
                                   planned.at, problem_context(planned.problem))

    @on_event("supervision", "problem_progress_reported")
    def restart_progress_report_clock(self, envelope, reported):
        self.cases.change_clock(part_of(envelope, "stop"), "plan_progress_report",
                                reported.stopped_clock, {"stopped_at": reported.at})
        self.cases.start_clock(part_of(envelope, "start"), "plan_progress_report",
                               reported.next_clock, reported.at, problem_context(reported.problem))

    # -- the scan ----------------------------------------------------------------------------
    @timer_from_config("SLA_SCAN_SECONDS", 1.0, eager=True)
    def scan(self):
        """Fire what is due. Eager: the first pass at start catches up after downtime."""
        return self.cases.scan()

    # -- reading -----------------------------------------------------------------------------
    @rpc
    def get_clock(self, kind: str, subject_id: str) -> dict:
        return self.cases.clock(kind, subject_id)

    @rpc
    def get_clocks(self, kind: str, subject_ids: list[str]) -> list[dict]:
        """The clocks of these subjects that have started (e.g. every item of a request)."""
        return self.cases.clocks(kind, subject_ids)

    @rpc
    def my_clocks(self, owner: dict, soon_hours: float = 24.0) -> dict:
        """The running clocks of a department, a team, a project lead or a submitter (`owner`
        names some of OWNER_FIELDS): the overdue ones and those due within `soon_hours`."""
        return self.cases.mine(owner, soon_hours)

    @rpc
    def list_clocks(self, filters: dict, principal: dict | None = None) -> dict:
        """Clocks scoped like the objects they measure (shared/scope.py clock_filter); without a
        principal (a service's own call) every clock."""
        f = validated(ClockFilter, filters, ("query",))
        query = {k: v for k, v in {"state": f.state, "kind": f.kind}.items() if v is not None}
        query.update(scope.clock_filter(Principal.of(principal)))
        views, total = self.cases.listed(query, f.page, f.page_size)
        return page_of(views, total, f)

    @rpc
    def report(self, query: dict) -> dict:
        return self.cases.report(validated(ReportQuery, query, ("query",)))

    # -- scope follows the lead's current team ------------------------------------------------
    @on_event("teams", "lead_assigned")
    def follow_team(self, envelope, assigned):
        self.storage.record_team(assigned.lead_id, assigned.team_id, envelope.occurred_at)

    # -- holiday tables for years the calendar package does not cover ----------------------------
    @rpc
    def load_holidays(self, year: int, body: dict, principal: dict) -> dict:
        return self.cases.load_holidays(year, validated(HolidayTableIn, body),
                                        Principal.of(principal))

    @rpc
    def holiday_tables(self) -> list[dict]:
        return jsonable([picked({**d, "year": d["_id"]}, HOLIDAY_TABLE_FIELDS)
                         for d in self.storage.list_holiday_tables()])
