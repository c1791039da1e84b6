"""The sla service's use cases: each loads the clock, asks the domain (domain.py) what follows,
and has the repository store it with its events. No nameko here: service.py validates the RPC's
arguments, calls one of these and returns what it answers."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from services.sla import domain
from services.sla.calendar import HolidayTable
from services.sla.repository import OWNER_FIELDS, SlaRepository, clock_id, facts_of
from services.sla.schemas import HolidayTableIn, ReportQuery
from shared.change import Change
from shared.errors import field_invalid, refusals_as_rpc_errors
from shared.events import ClockContext
from shared.jsonable import jsonable
from shared.scope import Principal

log = logging.getLogger(__name__)

SCAN_BATCH = 200
SCAN_MAX_BATCHES = 50  # a pass handles at most this many batches; the next pass goes on
MY_CLOCKS_LIMIT = 100


def part_of(envelope, part: str):
    """The envelope with an id of its own for one of several clocks an event changes: each
    change is applied once (apply_once keys on the event id), and a redelivery repeats none."""
    return envelope.model_copy(update={"event_id": uuid.uuid5(envelope.event_id, part)})


def problem_context(problem) -> ClockContext:
    return ClockContext(title=f"{problem.lead_title}：{problem.title}", lead_id=problem.lead_id,
                        departments=[problem.owner_department], team_id=problem.team_id,
                        project_lead=problem.project_lead)


def policy_item_context(received, item) -> ClockContext:
    return ClockContext(
        title=f"{received.enterprise}：{received.lead_title}（第{item.n}项：{item.topic}）",
        lead_id=received.lead_id, departments=[item.department],
        team_id=received.team_id, project_lead=received.project_lead,
        request_id=received.request_id, item=item.n,
        submitted_by=received.submitted_by,
        batch_title=(f"{received.enterprise}：{received.lead_title}"
                     f"（{len(received.items)}项诉求）"),
    )


def clock_view(doc: dict, now: datetime, tables) -> dict:
    """A clock as it stands at `now` (client.py ClockRecord)."""
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


def settle(clocks: SlaRepository, doc: dict, now: datetime, tables) -> bool:
    """Evaluate one clock and store the outcome with the events it fires, unless the clock
    changed meanwhile (then its newer state is evaluated next)."""
    facts = facts_of(doc)
    if facts is None:  # a pause or stop arrived before the start: wait for the start
        return clocks.settle(doc, Change(set={"next_threshold_at": None}), now)
    result = domain.evaluate(facts, now, tables)
    stored = clocks.settle(doc, domain.settled(doc, facts, result, now), now)
    if stored and result.fire is not None:
        log.info("%s fired %s%% for %s", doc["kind"], result.fire, doc["subject_id"])
    return stored


class Clocks:
    """The use cases of one RPC, event or scan, at `now`; `targets` and `days` are the
    SLA_TARGETS and SLA_DAYS settings (domain.kind_targets, domain.kind_days)."""

    def __init__(self, repository: SlaRepository, now: datetime, targets=None, days=None):
        self.repository = repository
        self.now = now
        self.targets = targets
        self.days = days

    def kinds(self) -> dict[str, domain.ClockKind]:
        return domain.kind_days(domain.kind_targets(domain.KINDS, self.targets), self.days)

    # -- starting and changing clocks ----------------------------------------------------------
    def start_policy_clocks(self, envelope, received) -> None:
        """Each item of a batch is its own promise (subject "<request_id>-<n>")."""
        for item in received.items:
            self.start_clock(part_of(envelope, f"item-{item.n}"), "policy_reply",
                             domain.item_subject(received.request_id, item.n),
                             received.received_at, policy_item_context(received, item))

    def start_clock(self, envelope, kind_name: str, subject_id: str, started_at, context) -> None:
        kind = self.kinds()[kind_name]
        fields = self.repository.start_fields(kind, started_at, context.model_dump(mode="json"))
        self.change_clock(envelope, kind_name, subject_id, fields)

    def change_clock(self, envelope, kind: str, subject_id: str, fields: dict) -> None:
        if self.repository.change_clock(envelope, kind, subject_id, fields, self.now):
            # Evaluate at once (a backdated request may be past a threshold already); if
            # this loses a race, the clock is still due and the next scan settles it.
            self.settle_one(clock_id(kind, subject_id))

    # -- the scan ------------------------------------------------------------------------------
    def scan(self) -> int:
        """Settle the clocks whose next threshold is due, SCAN_BATCH at a time; the count."""
        tables = self.repository.holiday_tables()
        settled = 0
        for _ in range(SCAN_MAX_BATCHES):
            due = self.repository.due_clocks(self.now, SCAN_BATCH)
            settled += sum(settle(self.repository, doc, self.now, tables) for doc in due)
            if len(due) < SCAN_BATCH:
                break
        return settled

    def settle_one(self, _id: str) -> bool:
        doc = self.repository.get_by_id(_id)
        if doc is None:
            return False
        return settle(self.repository, doc, self.now, self.repository.holiday_tables())

    # -- reading -------------------------------------------------------------------------------
    def clock(self, kind: str, subject_id: str) -> dict:
        doc = self.repository.get(kind, subject_id)
        return clock_view(doc, self.now, self.repository.holiday_tables())

    def clocks(self, kind: str, subject_ids: list[str]) -> list[dict]:
        """The clocks of these subjects (at most 200) that have started."""
        ids = [clock_id(kind, str(s)) for s in list(subject_ids)[:200]]
        tables = self.repository.holiday_tables()
        return [clock_view(d, self.now, tables) for d in self.repository.get_many(ids)]

    def listed(self, query: dict, page: int, page_size: int) -> tuple[list[dict], int]:
        docs, total = self.repository.list_clocks(query, page, page_size)
        tables = self.repository.holiday_tables()
        return [clock_view(d, self.now, tables) for d in docs], total

    def mine(self, owner: dict, soon_hours: float) -> dict:
        """The running clocks of an owner (some of OWNER_FIELDS), by due time: the overdue
        ones and those due within `soon_hours` (client.py MyClocks)."""
        tables = self.repository.holiday_tables()
        found: dict[str, dict] = {}
        for field, value in owner.items():
            if field in OWNER_FIELDS and value:
                for doc in self.repository.open_clocks_of(field, str(value), MY_CLOCKS_LIMIT):
                    if facts_of(doc) is not None:
                        found.setdefault(doc["_id"], doc)
        views = sorted((clock_view(d, self.now, tables) for d in found.values()),
                       key=lambda v: v["due_at"] or "")
        soon = (self.now + timedelta(hours=soon_hours)).isoformat()
        return {"overdue": [v for v in views if v["state"] == "breached"],
                "due_soon": [v for v in views if v["state"] != "breached" and v["due_at"]
                             and (v["state"] == "warning" or v["due_at"] <= soon)]}

    def report(self, q: ReportQuery) -> dict:
        """The figures of the clocks of a kind started in [from, to) (schemas.py SlaReport)."""
        tables = self.repository.holiday_tables()
        rows = []
        for doc in self.repository.started_between(q.kind, q.from_, q.to):
            facts = facts_of(doc)
            live = domain.evaluate(facts, self.now, tables)
            # Each clock counts for the departments that owed it: a policy item's one
            # department, a problem's owner.
            done = live.counted_seconds if facts.stopped_at is not None else None
            parts = tuple(domain.PartDone(d, done)
                          for d in (doc.get("context") or {}).get("departments") or [])
            rows.append(domain.ReportRow(live.state, live.counted_seconds, facts.target_seconds,
                                         parts))
        return jsonable({"kind": q.kind, "from": q.from_, "to": q.to, "generated_at": self.now,
                         **domain.sla_report(rows)})

    # -- holiday tables ------------------------------------------------------------------------
    @refusals_as_rpc_errors
    def load_holidays(self, year: int, table_in: HolidayTableIn, principal: Principal) -> dict:
        """A year's table stored, and every clock it touches evaluated again (client.py
        HolidaysLoaded); a year out of range or a table that cannot be: 422."""
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise field_invalid(["path", "year"], "应为 2000 至 2100 之间的年份")
        table = HolidayTable(year, frozenset(table_in.holidays), frozenset(table_in.workdays))
        reevaluated = self.repository.save_holiday_table(table, principal.username, self.now)
        self.scan()
        return {"year": year, "holidays": len(table.holidays), "workdays": len(table.workdays),
                "clocks_reevaluated": reevaluated}
