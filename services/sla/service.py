"""The sla service: clocks for every promise, warnings before and alarms at a breach.

Clocks start, pause and stop on other services' events; a timer (every SLA_SCAN_SECONDS on
each instance, and at once on start to catch up after downtime) evaluates the clocks whose
next threshold is due. See repository.py for why each threshold fires exactly once.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.sla import domain, usecases
from services.sla.calendar import HolidayTable
from services.sla.repository import (
    OWNER_FIELDS, SlaRepository, clock_id, facts_of, split_batch_clocks,
)
from services.sla.schemas import ClockFilter, HolidayTableIn, HolidayTableView, ReportQuery
from shared import scope
from shared.clock import Clock
from shared.errors import field_invalid
from shared.events import ClockContext
from shared.handlers import on_event
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.storage import Storage
from shared.timers import timer_from_config
from shared.view_fields import fields_of, picked

log = logging.getLogger(__name__)


def part_of(envelope, part: str):
    """The envelope with an id of its own for one of several clocks an event changes: each
    change is applied once (apply_once keys on the event id), and a redelivery repeats none."""
    return envelope.model_copy(update={"event_id": uuid.uuid5(envelope.event_id, part)})


def problem_context(problem) -> ClockContext:
    return ClockContext(title=f"{problem.lead_title}：{problem.title}", lead_id=problem.lead_id,
                        departments=[problem.owner_department], team_id=problem.team_id,
                        project_lead=problem.project_lead)

SCAN_BATCH = 200
HOLIDAY_TABLE_FIELDS = fields_of(HolidayTableView)
MY_CLOCKS_LIMIT = 100
SCAN_MAX_BATCHES = 50  # a pass handles at most this many batches; the next pass goes on


class SlaService:
    name = "sla"

    storage = Storage(SlaRepository, on_start=split_batch_clocks)
    clock = Clock()
    config = Config()

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    # -- one clock per policy item, started, paused and stopped by the policy service ---------
    # Each item of a batch is its own 48-hour promise (subject "<request_id>-<n>"): only its
    # own pause holds it, its reply stops it; the request's state follows from its items.
    @on_event("policy", "policy_request_received")
    def start_policy_clock(self, envelope, received):
        for item in received.items:
            context = ClockContext(
                title=f"{received.enterprise}：{received.lead_title}（第{item.n}项：{item.topic}）",
                lead_id=received.lead_id, departments=[item.department],
                team_id=received.team_id, project_lead=received.project_lead,
                request_id=received.request_id, item=item.n,
                submitted_by=received.submitted_by,
                batch_title=(f"{received.enterprise}：{received.lead_title}"
                             f"（{len(received.items)}项诉求）"),
            )
            self.start_clock(part_of(envelope, f"item-{item.n}"), "policy_reply",
                             domain.item_subject(received.request_id, item.n),
                             received.received_at, context)

    @on_event("policy", "policy_item_replied")
    def record_item_replied(self, envelope, replied):
        fields = {"stopped_at": replied.replied_at, "department": replied.department}
        if replied.ended_pause:
            fields[f"holds.{replied.ended_pause}.until"] = replied.replied_at
        self.change_clock(envelope, "policy_reply",
                          domain.item_subject(replied.request_id, replied.n), fields)

    @on_event("policy", "policy_item_paused")
    def pause_policy_clock(self, envelope, paused):
        self.change_clock(envelope, "policy_reply",
                          domain.item_subject(paused.request_id, paused.n),
                          {f"holds.{paused.pause_key}.since": paused.paused_at})

    @on_event("policy", "policy_item_resumed")
    def resume_policy_clock(self, envelope, resumed):
        self.change_clock(envelope, "policy_reply",
                          domain.item_subject(resumed.request_id, resumed.n),
                          {f"holds.{resumed.pause_key}.until": resumed.resumed_at})

    @on_event("policy", "policy_request_closed")
    def stop_policy_clock(self, envelope, closed):
        """Each item's clock stopped at its own reply: the close changes no clock (the handler
        stays so that the event's queue keeps a consumer)."""
        self.storage.apply_once(envelope, lambda session: None)

    # For the next kinds (supervision's problem clocks): a handler of a few lines that calls
    # start_clock(...) / change_clock(..., {"stopped_at": at}) like the ones above.

    # -- clocks of supervision's closed problem loop ------------------------------------------
    @on_event("supervision", "problem_raised")
    def start_problem_clocks(self, envelope, raised):
        """Feedback within 3 days, solved within 7 days (general) or a month (complex)."""
        context = problem_context(raised.problem)
        for kind in ("problem_feedback", f"problem_{raised.problem.complexity}"):
            self.start_clock(part_of(envelope, kind), kind, raised.problem.problem_id,
                             raised.raised_at, context)

    @on_event("supervision", "problem_feedback_recorded")
    def stop_feedback_clock(self, envelope, given):
        self.change_clock(envelope, "problem_feedback", given.problem.problem_id,
                          {"stopped_at": given.at})

    @on_event("supervision", "problem_resolved")
    def stop_problem_clocks(self, envelope, resolved):
        kind = f"problem_{resolved.problem.complexity}"
        self.change_clock(part_of(envelope, kind), kind, resolved.problem.problem_id,
                          {"stopped_at": resolved.at})
        if resolved.report_clock:
            self.change_clock(part_of(envelope, "plan_progress_report"), "plan_progress_report",
                              resolved.report_clock, {"stopped_at": resolved.at})

    @on_event("supervision", "problem_planned")
    def start_progress_report_clock(self, envelope, planned):
        if planned.report_clock:  # the first plan; a revision leaves the month's clock running
            self.start_clock(envelope, "plan_progress_report", planned.report_clock, planned.at,
                             problem_context(planned.problem))

    @on_event("supervision", "problem_progress_reported")
    def restart_progress_report_clock(self, envelope, reported):
        self.change_clock(part_of(envelope, "stop"), "plan_progress_report",
                          reported.stopped_clock, {"stopped_at": reported.at})
        self.start_clock(part_of(envelope, "start"), "plan_progress_report", reported.next_clock,
                         reported.at, problem_context(reported.problem))

    def start_clock(self, envelope, kind_name: str, subject_id: str, started_at, context):
        kind = self.kinds()[kind_name]
        fields = self.storage.start_fields(kind, started_at, context.model_dump(mode="json"))
        self.change_clock(envelope, kind_name, subject_id, fields)

    def change_clock(self, envelope, kind: str, subject_id: str, fields: dict):
        if self.storage.change_clock(envelope, kind, subject_id, fields, self.clock.now()):
            # Evaluate at once (a backdated request may be past a threshold already); if
            # this loses a race, the clock is still due and the next scan settles it.
            self.settle_one(clock_id(kind, subject_id))

    def kinds(self) -> dict[str, domain.ClockKind]:
        return domain.kind_days(domain.kind_targets(domain.KINDS, self.config.get("SLA_TARGETS")),
                                self.config.get("SLA_DAYS"))

    # -- the scan ----------------------------------------------------------------------------
    @timer_from_config("SLA_SCAN_SECONDS", 5.0, eager=True)
    def scan(self):
        """Fire what is due. Eager: the first pass at start catches up after downtime."""
        now = self.clock.now()
        tables = self.storage.holiday_tables()
        settled = 0
        for _ in range(SCAN_MAX_BATCHES):
            due = self.storage.due_clocks(now, SCAN_BATCH)
            settled += sum(self.settle(doc, now, tables) for doc in due)
            if len(due) < SCAN_BATCH:
                break
        return settled

    def settle_one(self, _id: str) -> bool:
        doc = self.storage.get_by_id(_id)
        if doc is None:
            return False
        return self.settle(doc, self.clock.now(), self.storage.holiday_tables())

    def settle(self, doc: dict, now, tables) -> bool:
        return usecases.settle(self.storage, doc, now, tables)

    # -- reading -----------------------------------------------------------------------------
    def view(self, doc: dict, now, tables) -> dict:
        facts = facts_of(doc)
        live = domain.evaluate(facts, now, tables)
        holds = doc.get("holds") or {}
        return jsonable({
            "id": doc["_id"], "kind": doc["kind"], "label_zh": doc.get("label_zh"),
            "subject_id": doc["subject_id"], "started_at": facts.started_at,
            "due_at": live.due_at, "elapsed_pct": live.elapsed_pct, "state": live.state,
            "estimated": live.estimated, "fired": doc.get("fired", 0),
            "paused": any(h.get("since") and not h.get("until") for h in holds.values()),
            "stopped_at": facts.stopped_at, "counted_hours": round(live.counted_seconds / 3600, 2),
            "context": doc.get("context"),
        })

    @rpc
    def get_clock(self, kind: str, subject_id: str) -> dict:
        doc = self.storage.get(kind, subject_id)
        return self.view(doc, self.clock.now(), self.storage.holiday_tables())

    @rpc
    def get_clocks(self, kind: str, subject_ids: list[str]) -> list[dict]:
        """The clocks of these subjects that have started (e.g. every item of a request)."""
        ids = [clock_id(kind, str(s)) for s in list(subject_ids)[:200]]
        now, tables = self.clock.now(), self.storage.holiday_tables()
        return [self.view(d, now, tables) for d in self.storage.get_many(ids)]

    @rpc
    def my_clocks(self, owner: dict, soon_hours: float = 24.0) -> dict:
        """The running clocks of a department, a team, a project lead or a submitter (`owner`
        names some of OWNER_FIELDS): the overdue ones and those due within `soon_hours`."""
        now, tables = self.clock.now(), self.storage.holiday_tables()
        found: dict[str, dict] = {}
        for field, value in owner.items():
            if field in OWNER_FIELDS and value:
                for doc in self.storage.open_clocks_of(field, str(value), MY_CLOCKS_LIMIT):
                    if facts_of(doc) is not None:
                        found.setdefault(doc["_id"], doc)
        views = sorted((self.view(d, now, tables) for d in found.values()),
                       key=lambda v: v["due_at"] or "")
        soon = (now + timedelta(hours=soon_hours)).isoformat()
        return {"overdue": [v for v in views if v["state"] == "breached"],
                "due_soon": [v for v in views if v["state"] != "breached" and v["due_at"]
                             and (v["state"] == "warning" or v["due_at"] <= soon)]}

    @rpc
    def list_clocks(self, filters: dict, actor: dict | None = None) -> dict:
        """Clocks scoped like the objects they measure (shared/scope.py clock_filter)."""
        f = validated(ClockFilter, filters, ("query",))
        query = {k: v for k, v in {"state": f.state, "kind": f.kind}.items() if v is not None}
        query.update(scope.clock_filter(actor))
        docs, total = self.storage.list_clocks(query, f.page, f.page_size)
        now, tables = self.clock.now(), self.storage.holiday_tables()
        return page_of([self.view(d, now, tables) for d in docs], total, f)

    @rpc
    def report(self, query: dict) -> dict:
        q = validated(ReportQuery, query, ("query",))
        now, tables = self.clock.now(), self.storage.holiday_tables()
        rows = []
        for doc in self.storage.started_between(q.kind, q.from_, q.to):
            facts = facts_of(doc)
            live = domain.evaluate(facts, now, tables)
            # Each clock counts for the departments that owed it: a policy item's one
            # department, a problem's owner.
            done = live.counted_seconds if facts.stopped_at is not None else None
            parts = tuple(domain.PartDone(d, done)
                          for d in (doc.get("context") or {}).get("departments") or [])
            rows.append(domain.ReportRow(live.state, live.counted_seconds, facts.target_seconds,
                                         parts))
        return jsonable({"kind": q.kind, "from": q.from_, "to": q.to, "generated_at": now,
                         **domain.sla_report(rows)})

    # -- scope follows the lead's current team ------------------------------------------------
    @on_event("teams", "lead_assigned")
    def follow_team(self, envelope, assigned):
        self.storage.record_team(envelope, assigned.lead_id, assigned.team_id,
                                 envelope.occurred_at)

    # -- holiday tables for years the calendar package does not cover ----------------------------
    @rpc
    def load_holidays(self, year: int, body: dict, actor: str) -> dict:
        table_in = validated(HolidayTableIn, body)
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise field_invalid(["path", "year"], "应为 2000 至 2100 之间的年份")
        try:
            table = HolidayTable(year, frozenset(table_in.holidays), frozenset(table_in.workdays))
        except ValueError as exc:
            raise field_invalid(["body"], str(exc)) from None
        reevaluated = self.storage.save_holiday_table(table, actor, self.clock.now())
        self.scan()
        return {"year": year, "holidays": len(table.holidays), "workdays": len(table.workdays),
                "clocks_reevaluated": reevaluated}

    @rpc
    def holiday_tables(self) -> list[dict]:
        return jsonable([picked({**d, "year": d["_id"]}, HOLIDAY_TABLE_FIELDS)
                         for d in self.storage.list_holiday_tables()])
