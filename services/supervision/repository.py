"""The supervision database (`kuaiban_supervision`).

- `problems`: the closed loop, one document per problem with its steps, plan and deadlines;
- `units`: the departments and towns problems are raised to (data/units.yaml);
- `reports`: one document per report and period, `_id` "<report>:<period>": the unique key
  makes a period's report happen once across instances (the loser of a race inserts nothing
  and sends nothing); `yellow_cards`: each card issued, so a regeneration re-issues none;
- `leader_tasks`: the county leaders' tasks in five areas (tasks.py), each with its progress
  history; the weekly arrangement and monthly exchange are computed from them on request;
- `breaches`, `policy_requests`: what other services' events said (sla_breached, policy
  requests and replies), kept for the reports: this service never reads their databases.
"""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from services.supervision import domain
from shared.change import Change
from shared.errors import NotFound
from shared.events import make_event
from shared.storage import MongoRepository, update_of

SOURCE = "supervision"


def envelopes(change: Change, now: datetime) -> list:
    """The change's events as this service sends them, stamped `now`."""
    return [make_event(SOURCE, event, now) for event in change.events]


class SupervisionRepository(MongoRepository):
    def indexes(self):
        return {
            "problems": [
                IndexModel([("owner_department", ASCENDING), ("status", ASCENDING)]),
                IndexModel([("lead_id", ASCENDING)]),
                IndexModel([("team_id", ASCENDING)]),
                IndexModel([("raised_at", DESCENDING)]),
                # The list's order, alone and after each filter.
                IndexModel([("raised_at", DESCENDING), ("_id", ASCENDING)]),
                IndexModel([("team_id", ASCENDING), ("raised_at", DESCENDING), ("_id", ASCENDING)]),
                IndexModel([("owner_department", ASCENDING), ("raised_at", DESCENDING),
                            ("_id", ASCENDING)]),
                IndexModel([("resolved_at", ASCENDING)]),
                IndexModel([("search_keys", ASCENDING)], name="search_keys"),
            ],
            "breaches": [IndexModel([("due_at", ASCENDING)])],
            "policy_requests": [IndexModel([("received_at", ASCENDING)]),
                                IndexModel([("replied_at", ASCENDING)])],
            "yellow_cards": [IndexModel([("month", ASCENDING)])],
            "leader_tasks": [
                # The list's order, alone and after each filter; the periods' due dates.
                IndexModel([("due_date", ASCENDING), ("_id", ASCENDING)]),
                IndexModel([("leader", ASCENDING), ("due_date", ASCENDING), ("_id", ASCENDING)]),
                IndexModel([("area", ASCENDING), ("due_date", ASCENDING), ("_id", ASCENDING)]),
                IndexModel([("open", ASCENDING), ("due_date", ASCENDING), ("_id", ASCENDING)]),
                IndexModel([("done_on", ASCENDING)]),
            ],
        }

    # -- units -----------------------------------------------------------------------------
    def load_units(self, units: list[dict]) -> None:
        for unit in units:
            self.db.units.update_one({"_id": unit["name"]},
                                     {"$setOnInsert": {"kind": unit["kind"]}}, upsert=True)

    def units(self) -> list[dict]:
        return [{"name": u["_id"], "kind": u["kind"]}
                for u in self.db.units.find().sort([("kind", ASCENDING), ("_id", ASCENDING)])]

    def unit(self, name: str) -> dict | None:
        return self.db.units.find_one({"_id": name})

    # -- problems --------------------------------------------------------------------------
    def insert_problem(self, raised: Change, now: datetime) -> dict:
        """A new problem (the change sets every field) with its `problem_raised`."""
        problem = dict(raised.set)
        self.commit(lambda session: self.db.problems.insert_one(problem, session=session),
                    envelopes(raised, now))
        return problem

    def get_problem(self, problem_id: str) -> dict:
        problem = self.db.problems.find_one({"_id": problem_id})
        if problem is None:
            raise NotFound(f"没有问题 {problem_id}")
        return problem

    def open_problem_leads(self, department: str) -> set[str]:
        return {d["lead_id"] for d in self.db.problems.find(
            {"owner_department": department, "status": {"$ne": "resolved"}}, {"lead_id": 1},
            hint=[("owner_department", ASCENDING), ("status", ASCENDING)])}

    def record_team(self, lead_id: str, team_id: str, team_name: str, at: datetime) -> int:
        """The lead's current team on each of its problems (scope follows a reassignment)."""
        return self.follow_lead_team("problems", "lead_id", lead_id,
                                     {"team_id": team_id, "team_name": team_name}, at)

    def find_problem(self, problem_id: str) -> dict | None:
        return self.db.problems.find_one({"_id": problem_id})

    def change_problem(self, problem: dict, step: Change, now: datetime) -> dict | None:
        """Store a step and its events if the problem is still the version read; None if it
        changed meanwhile (nothing written, no event)."""
        result = {}

        def change(session):
            # A stale problem aborts the transaction: no event goes out.
            result["doc"] = self.update_at_version("problems", problem["_id"], problem["version"],
                                                   update_of(step), session,
                                                   StaleProblem(problem["_id"]))
        try:
            self.commit(change, envelopes(step, now))
        except StaleProblem:
            return None
        return result["doc"]

    def list_problems(self, query: dict, page: int, page_size: int):
        return self.page("problems", query, [("raised_at", DESCENDING), ("_id", ASCENDING)],
                         page, page_size, hint="search_keys" if "search_keys" in query else None)


    def problems_for_report(self, until: datetime) -> list[dict]:
        """Every problem raised before `until` (the reports filter by their own period)."""
        return list(self.db.problems.find({"raised_at": {"$lt": until}}))

    # -- what other services' events said ----------------------------------------------------
    def record_breach(self, envelope, breach: dict, missed: tuple[str, Change] | None,
                      now: datetime) -> bool:
        """Keep a breach; for a problem's clock (`missed`: the problem's id and the change of
        its deadline), mark the deadline in the same step, unless it was met meanwhile."""
        def change(session):
            self.db.breaches.update_one({"_id": breach["_id"]}, {"$setOnInsert": breach},
                                        upsert=True, session=session)
            if missed:
                problem_id, marked = missed
                slot = domain.SLOT_OF_CLOCK[breach["kind"]]
                self.update_one_where("problems", {
                    "_id": problem_id, f"deadlines.{slot}.clock_id": breach["_id"],
                    f"deadlines.{slot}.state": {"$nin": ["met", "met_late"]}},
                    update_of(marked), session)
        return self.apply_once(envelope, change, envelopes(missed[1], now) if missed else [])

    def record_problem_clock(self, envelope, problem_id: str, clock_id: str, kind: str,
                             stopped: Change) -> bool:
        """A problem's deadline as its clock stopped (if the deadline still has that clock)."""
        slot = domain.SLOT_OF_CLOCK[kind]
        return self.apply_once(envelope, lambda session: self.update_one_where(
            "problems", {"_id": problem_id, f"deadlines.{slot}.clock_id": clock_id},
            update_of(stopped), session))

    def breaches_due_before(self, until: datetime) -> list[dict]:
        return list(self.db.breaches.find({"due_at": {"$lt": until}}))

    def record_request(self, envelope, request: dict) -> bool:
        """A policy request received; replies that arrived first are kept."""
        fields = {k: v for k, v in request.items() if k not in ("_id", "items")}
        for n, department in request["items"].items():
            fields[f"items.{n}.department"] = department
        return self.apply_once(envelope, lambda session: self.db.policy_requests.update_one(
            {"_id": request["_id"]}, {"$set": fields}, upsert=True, session=session))

    def record_reply(self, envelope, request_id: str, n: int, department: str,
                     replied_at: datetime) -> bool:
        return self.apply_once(envelope, lambda session: self.db.policy_requests.update_one(
            {"_id": request_id},
            {"$set": {f"items.{n}.replied_at": replied_at, f"items.{n}.department": department},
             "$max": {"replied_at": replied_at}},
            upsert=True, session=session))

    def first_records(self) -> list[datetime]:
        """The earliest problem raised, request received and breach due (each by its index)."""
        found = []
        for collection, field, order in (("problems", "raised_at", DESCENDING),
                                         ("policy_requests", "received_at", ASCENDING),
                                         ("breaches", "due_at", ASCENDING)):
            for doc in self.db[collection].find({field: {"$type": "date"}}, {field: 1}).hint(
                    [(field, order)]).sort(field, ASCENDING).limit(1):
                found.append(doc[field])
        return found

    def requests_for_report(self, start: datetime, end: datetime) -> list[dict]:
        """Requests received in [start, end) or with a reply in it."""
        # Two ranges, each on its index, rather than an `$or` (which SecantusDB scans for).
        found = {d["_id"]: d for d in self.db.policy_requests.find(
            {"received_at": {"$gte": start, "$lt": end}})}
        for d in self.db.policy_requests.find({"replied_at": {"$gte": start}}):
            found.setdefault(d["_id"], d)
        return list(found.values())

    # -- reports ---------------------------------------------------------------------------
    def get_report(self, report_id: str) -> dict | None:
        return self.db.reports.find_one({"_id": report_id})

    def has_report(self, report_id: str) -> bool:
        return self.db.reports.count_documents({"_id": report_id}, limit=1) > 0

    def issued_cards(self, card_ids: list[str]) -> set[str]:
        return {c["_id"] for c in self.db.yellow_cards.find({"_id": {"$in": card_ids}}, {"_id": 1})}

    def produce_report(self, report: dict, cards: list[dict], events) -> bool:
        """Store a period's first report, its cards and events; False if it exists already."""
        def change(session):
            self.db.reports.insert_one(report, session=session)
            if cards:
                self.db.yellow_cards.insert_many(cards, session=session)
        try:
            self.commit(change, events)
        except DuplicateKeyError:
            return False
        return True

    def replace_report(self, report: dict, previous_version: int, cards: list[dict],
                       events) -> bool:
        """Store a regenerated report over version `previous_version` (0: none yet), with the
        cards not issued before; False if another generation got there first."""
        def change(session):
            if previous_version:
                # By `_id` alone (SecantusDB scans on a second predicate), the version read
                # checked in the transaction.
                before = self.db.reports.find_one_and_replace(
                    {"_id": report["_id"]}, report, session=session)
                if before is None or before.get("version") != previous_version:
                    raise StaleReport(report["_id"])
            else:
                self.db.reports.insert_one(report, session=session)
            if cards:
                self.db.yellow_cards.insert_many(cards, session=session)
        try:
            self.commit(change, events)
        except (DuplicateKeyError, StaleReport):
            return False
        return True


    # -- county leaders' tasks --------------------------------------------------------------
    def insert_task(self, task: dict) -> bool:
        """Store a new task; False if its id exists (a retried POST with the same key)."""
        try:
            self.commit(lambda session: self.db.leader_tasks.insert_one(task, session=session))
        except DuplicateKeyError:
            return False
        return True

    def find_task(self, task_id: str) -> dict | None:
        return self.db.leader_tasks.find_one({"_id": task_id})

    def get_task(self, task_id: str) -> dict:
        task = self.find_task(task_id)
        if task is None:
            raise NotFound(f"没有任务 {task_id}")
        return task

    def change_task(self, task: dict, patch: Change) -> dict | None:
        """Store a PATCH's change if the task is still the version read; None if it changed
        meanwhile (nothing written)."""
        result = {}

        def change(session):
            result["doc"] = self.update_at_version(
                "leader_tasks", task["_id"], task["version"], update_of(patch), session,
                StaleTask(task["_id"]))
        try:
            self.commit(change)
        except StaleTask:
            return None
        return result["doc"]

    def list_tasks(self, query: dict, page: int, page_size: int):
        return self.page("leader_tasks", query, [("due_date", ASCENDING), ("_id", ASCENDING)],
                         page, page_size)

    def tasks_for_period(self, first_day: str, last_day: str) -> list[dict]:
        """Tasks due in [first_day, last_day], and those due before it that were open when it
        began: still open, or done on or after its first day (tasks.in_period picks)."""
        found = {t["_id"]: t for t in self.db.leader_tasks.find(
            {"due_date": {"$gte": first_day, "$lte": last_day}})}
        for t in self.db.leader_tasks.find({"open": True, "due_date": {"$lt": first_day}}):
            found.setdefault(t["_id"], t)
        for t in self.db.leader_tasks.find({"done_on": {"$gte": first_day}}):
            found.setdefault(t["_id"], t)
        return list(found.values())


class StaleTask(Exception):
    """The task changed between reading and writing: the change is refused, never merged."""


class StaleProblem(Exception):
    """The problem changed between reading and writing: its step is refused, never doubled."""


class StaleReport(Exception):
    """Another generation of the same report was stored first."""
