"""The query guard: every query the services sent during the run uses an index.

tests/conftest.py points KUAIBAN_QUERY_LOG at a file for the whole session, so every MongoClient
the services make (in-process in the interface tier, as processes in e2e) records each command
it sends (shared/query_log.py). At the end, each distinct query shape is explained on a fresh
embedded database whose collections have the services' own indexes, and the run fails on:
- a COLLSCAN over a collection that grows;
- an in-memory SORT over a collection that grows, unless the service has an index that serves
  that sort on MongoDB (the filter's equality fields, then the sort's fields in its order):
  SecantusDB's planner sorts in memory whenever a filter stands beside the sort, so its explain
  cannot tell; or unless its shape is in SORTS_OVER_FEW below (a sort over a set that an
  equality on a key bounds, with the reason);
- a findAndModify on a collection that grows (FIND_AND_MODIFY_ON_FEW lists the others): SecantusDB
  writes it through `{_id, $and: [query]}`, which it scans, whatever the query;
- a range open below (`$lt`/`$lte` alone) on the first key of the index the plan walks:
  SecantusDB walks such a range from the index's start, through every document whose field is
  None or missing (they sort first): the SLA scan's `next_threshold_at <= now` read every
  stopped clock, 3 s at 50,000. Bound it below (`$gte: EPOCH`), or name the read in
  WHOLE_READS when it reads everything below by design.
Each failure names the command, its shape and the code that sent it. A hint on a collection that
grows is listed, not failed (`HINTED`): SecantusDB honours a hint by walking the whole index, so
a hinted query costs there as much as a scan (its explain() says IXSCAN all the same), but on
MongoDB it is the index it names; the hints still in the tree are issue 14's to remove.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from shared import query_log

# The hinted shapes of the last check, each with the code that sent it (listed, not failed).
HINTED: list[str] = []

# Reference data, a handful of documents whatever the county's history: scans are fine there.
FIXED_COLLECTIONS = {"teams", "branches", "units", "holiday_tables", "users", "routes"}
# Reads of every document by design, by (collection, the function that sends it), each with why.
WHOLE_READS = {
    ("report_rows", "report_rows"): "a report lists every lead: the buckets of all rows, once",
    ("report_firsts", "<genexpr>"): "64 small documents (FIRST_BUCKETS): the least first created_at",
    ("leads", "migrate"): "a migration, once per database (migrate_once)",
    ("leads", "build_report_rows"): "the report rows' first build, once per database",
    ("report_rows", "build_report_rows"): "the same build empties the buckets of before, once",
    ("problems", "problems_for_report"): "a report counts every problem raised before its end",
    ("breaches", "breaches_due_before"): "a report counts every breach due before its end",
}
# findAndModify on these only: SecantusDB writes a findAndModify through `{_id, $and: [query]}`,
# a second predicate beside `_id`, which its planner scans (668 ms at 30,000 leads).
FIND_AND_MODIFY_ON_FEW = {
    "login_attempts": "an account's or a client address's counter while it is being throttled",
    "reports": "the supervision reports, a few a week",
}
# In-memory sorts over a set that an equality bounds, by (collection, filter fields).
SORTS_OVER_FEW = {
    ("audit", ("object_id",)): "one object's audit entries (the previous entry of a write)",
}


def equality_fields(query: dict) -> set[str]:
    """Fields the filter fixes to one value (or a few: `$in`, which MongoDB merges in order)."""
    fixed = set()
    for field, value in query.items():
        if field.startswith("$"):
            continue
        if not isinstance(value, dict) or set(value) <= {"$eq", "$in"}:
            fixed.add(field)
    return fixed


def index_serves_sort(key_patterns: list[list[tuple[str, int]]], query: dict, sort) -> bool:
    """Whether one of the indexes gives the documents in `sort` order on MongoDB: its leading
    fields are (some of) the filter's equality fields, then the sort's remaining fields in
    order, all in its direction or all reversed."""
    if not sort:
        return True
    fixed = equality_fields(query)
    wanted = [(f, int(d)) for f, d in sort.items() if f not in fixed]
    if not wanted:
        return True
    for pattern in key_patterns:
        i = 0
        while i < len(pattern) and pattern[i][0] in fixed:
            i += 1
        rest = pattern[i:i + len(wanted)]
        if [f for f, _ in rest] != [f for f, _ in wanted]:
            continue
        same = all(int(d) == w for (_, d), (_, w) in zip(rest, wanted))
        reversed_ = all(int(d) == -w for (_, d), (_, w) in zip(rest, wanted))
        if same or reversed_:
            return True
    return False


def key_patterns(repository_cls) -> dict[str, list[list[tuple[str, int]]]]:
    """collection -> the key patterns of its indexes (and `_id`)."""
    from shared.storage import history_indexes

    found: dict[str, list] = defaultdict(lambda: [[("_id", 1)]])
    repository = repository_cls.__new__(repository_cls)
    for collection, models in {**history_indexes(), **repository.indexes()}.items():
        for model in models:
            found[collection].append(list(model.document["key"].items()))
    return found


def service_of(database: str) -> str:
    """`t1234abcd_leads` or `kuaiban_leads` -> `leads`."""
    return database.rsplit("_", 1)[-1]


def repositories() -> dict[str, type]:
    """service name -> its repository class (whose indexes() the guard's database gets)."""
    from services.gateway.repository import AccountsRepository
    from shared.reliable import service_classes
    from shared.storage import Storage

    found = {"gateway": AccountsRepository}
    for cls in service_classes():
        for value in vars(cls).values():
            if isinstance(value, Storage):
                found[cls.name] = value.repository_cls
    return found


def _shape(value):
    """The value with each leaf replaced by its type: queries that differ only in values are
    one shape."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


def queries(entry: dict) -> list[dict]:
    """The filtered reads and writes in one recorded command, as
    {filter, sort, hint, explain (the command to explain)}."""
    coll, name = entry["collection"], entry["command"]
    if name == "find":
        cmd = {"find": coll, "filter": entry["filter"]}
        for key in ("sort", "hint", "limit"):
            if entry.get(key):
                cmd[key] = entry[key]
        return [{"filter": entry["filter"], "sort": entry.get("sort"), "hint": entry.get("hint"),
                 "explain": cmd}]
    if name == "count":
        if not entry["filter"]:
            return []  # the whole collection: MongoDB answers from its metadata
        cmd = {"count": coll, "query": entry["filter"]}
        if entry.get("hint"):
            cmd["hint"] = entry["hint"]
        return [{"filter": entry["filter"], "sort": None, "hint": entry.get("hint"),
                 "explain": cmd}]
    if name == "findAndModify":
        cmd = {"findAndModify": coll, "query": entry["filter"], "update": {"$set": {"_g": 1}}}
        for key in ("sort", "hint"):
            if entry.get(key):
                cmd[key] = entry[key]
        return [{"filter": entry["filter"], "sort": entry.get("sort"), "hint": entry.get("hint"),
                 "explain": cmd}]
    if name in ("update", "delete"):
        out = []
        for statement in entry.get("statements", []):
            q = statement.get("q") or {}
            # Explained as the find of the same filter: SecantusDB's explain of an update or
            # delete says COLLSCAN even for `_id` alone, though its write path looks the
            # documents up as a find does (MongoDB plans the two alike too).
            cmd = {"find": coll, "filter": q}
            if statement.get("hint"):
                cmd["hint"] = statement["hint"]
            out.append({"filter": q, "sort": None, "hint": statement.get("hint"), "explain": cmd})
        return out
    if name == "aggregate":
        pipeline = entry.get("pipeline") or []
        first = pipeline[0] if pipeline else {}
        match = first.get("$match", {}) if isinstance(first, dict) else {}
        cmd = {"aggregate": coll, "pipeline": [{"$match": match}], "cursor": {}}
        if entry.get("hint"):
            cmd["hint"] = entry["hint"]
        return [{"filter": match, "sort": None, "hint": entry.get("hint"), "explain": cmd}]
    return []


def open_below(query: dict) -> set[str]:
    """The filter's fields with an upper bound and no lower one."""
    return {field for field, value in query.items()
            if not field.startswith("$") and isinstance(value, dict)
            and value.keys() & {"$lt", "$lte"} and not value.keys() & {"$gt", "$gte", "$eq"}}


def walked_first_keys(plan) -> set[str]:
    """The first key of each index an IXSCAN stage of the plan walks."""
    found = set()
    if isinstance(plan, dict):
        if plan.get("stage") == "IXSCAN" and isinstance(plan.get("keyPattern"), dict) \
                and plan["keyPattern"]:
            found.add(next(iter(plan["keyPattern"])))
        for value in plan.values():
            found |= walked_first_keys(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= walked_first_keys(value)
    return found


def stages(plan) -> list[str]:
    found = []
    if isinstance(plan, dict):
        if isinstance(plan.get("stage"), str):
            found.append(plan["stage"])
        for value in plan.values():
            found += stages(value)
    elif isinstance(plan, list):
        for value in plan:
            found += stages(value)
    return found


def check(log_path: Path, mongo_uri: str) -> tuple[int, list[str]]:
    """(number of distinct shapes explained, the failures)."""
    from pymongo import MongoClient

    entries = query_log.read(log_path) if log_path.exists() else []
    shapes: dict[tuple, dict] = {}
    for entry in entries:
        if not entry.get("collection"):
            continue
        service = service_of(entry["db"])
        for q in queries(entry):
            key = (service, entry["collection"], entry["command"],
                   json.dumps(_shape(q["filter"]), sort_keys=True, default=str),
                   json.dumps(q["sort"], default=str), json.dumps(q["hint"], default=str))
            shape = shapes.setdefault(key, {**q, "where": set(), "service": service,
                                            "collection": entry["collection"],
                                            "command": entry["command"]})
            shape["where"].add(entry["where"])
    if not shapes:
        return 0, []
    repos = repositories()
    patterns = {service: key_patterns(cls) for service, cls in repos.items()}
    failures = []
    with MongoClient(mongo_uri, tz_aware=True) as client:
        for service, repository_cls in repos.items():
            db = client[f"queryguard_{service}"]
            repository_cls(client, db).ensure_indexes()
        for key, shape in sorted(shapes.items()):
            collection = shape["collection"]
            if collection in FIXED_COLLECTIONS or shape["service"] not in repos:
                continue
            db = client[f"queryguard_{shape['service']}"]
            problems = []
            if shape["hint"]:
                HINTED.append(f"hint {query_log.to_json(shape['hint'])}: {shape['command']} on "
                              f"{shape['service']}.{collection}, sent by "
                              + "; ".join(sorted(shape["where"])))
            try:
                plan = db.command({"explain": shape["explain"], "verbosity": "queryPlanner"})
                seen = stages(plan.get("queryPlanner", plan))
                first_keys = walked_first_keys(plan.get("queryPlanner", plan))
            except Exception as exc:  # noqa: BLE001  (an unexplainable shape is a failure too)
                problems.append(f"explain failed: {exc}")
                seen, first_keys = [], set()
            senders = {re.sub(r".*\((.*)\)$", r"\1", w) for w in shape["where"]}
            whole = all((collection, sender) in WHOLE_READS for sender in senders)
            first_only = not shape["filter"] and shape["explain"].get("limit") in (1, -1)
            if "COLLSCAN" in seen and not whole and not first_only:  # first_only: GridFS's check
                problems.append("COLLSCAN")
            if shape["command"] == "findAndModify" and collection not in FIND_AND_MODIFY_ON_FEW:
                problems.append("findAndModify (SecantusDB writes it through a scan: an update "
                                "and a find by _id, MongoRepository.update_by_id)")
            unbounded = sorted(open_below(shape["filter"]) & first_keys)
            if unbounded and not whole:
                problems.append(f"a range open below on {', '.join(unbounded)} (SecantusDB walks "
                                "every entry below it, None and missing included)")
            if "SORT" in seen:
                fields = tuple(sorted(k for k in shape["filter"] if not k.startswith("$")))
                served = index_serves_sort(patterns[shape["service"]][collection],
                                           shape["filter"], shape["sort"])
                if (collection, fields) not in SORTS_OVER_FEW and not served:
                    problems.append("in-memory SORT (no index serves it on MongoDB either)")
            if problems:
                failures.append(
                    f"{' and '.join(problems)}: {shape['command']} on {shape['service']}.{collection} "
                    f"filter={query_log.to_json(_shape(shape['filter']))} "
                    f"sort={query_log.to_json(shape['sort'])}\n    sent by "
                    + "; ".join(sorted(shape["where"])))
        for service in repos:
            client.drop_database(f"queryguard_{service}")
    return len(shapes), failures


def clean_where(where: str) -> str:
    return re.sub(r"\s+", " ", where)
