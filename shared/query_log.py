"""Records every command a service sends to the database, when KUAIBAN_QUERY_LOG names a file.

Off by default. `make test` sets it so that the query guard (tests/query_guard.py) can explain
each distinct query shape at the end, and the bench counts operations per created lead. Each
line of the file is one command as JSON: its name, database, collection, the filter (values
kept, so that it can be explained again), sort, hint, and the first frame of project code that
sent it. The services run in-process in the interface tier and as processes in e2e: every
MongoClient is made by shared.storage.mongo_client, which adds this listener, so both are seen.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from types import FrameType

from bson import json_util
from pymongo import monitoring

QUERY_LOG_ENV = "KUAIBAN_QUERY_LOG"
ROOT = Path(__file__).resolve().parent.parent
# Commands that read or write documents by a filter: the ones a plan can be asked for.
FILTERED = {"find": "filter", "count": "query", "delete": None, "update": None,
            "findAndModify": "query", "aggregate": None, "distinct": "query"}
IGNORED = {"ping", "hello", "isMaster", "ismaster", "endSessions", "createIndexes",
           "listIndexes", "listCollections", "listDatabases", "dropDatabase", "drop",
           "buildInfo", "getMore", "killCursors", "saslStart", "saslContinue", "explain",
           "abortTransaction"}


def calling_code() -> str:
    """file:line of the innermost frame of project code (not pymongo, not this module). Walks
    the frames themselves: `traceback.extract_stack` reads every frame's source line, which
    cost each command some milliseconds of the service's CPU (more than the database spent)."""
    prefix = f"{ROOT}{os.sep}"
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(prefix):
            relative = filename[len(prefix):]
            if ".venv" not in relative.split(os.sep) and not relative.endswith("query_log.py"):
                return f"{relative}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back
    return "?"


class QueryRecorder(monitoring.CommandListener):
    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()

    def started(self, event):
        name = event.command_name
        if name in IGNORED:
            return
        command = event.command
        entry = {"command": name, "db": event.database_name, "pid": os.getpid(),
                 "collection": command.get(name) if isinstance(command.get(name), str) else None,
                 "where": calling_code()}
        if name in ("update", "delete"):
            key = "updates" if name == "update" else "deletes"
            entry["statements"] = [{"q": s.get("q"), "hint": s.get("hint"),
                                    "multi": s.get("multi", s.get("limit") == 0)}
                                   for s in command.get(key, [])]
        elif name == "aggregate":
            entry["pipeline"] = command.get("pipeline")
            entry["hint"] = command.get("hint")
        elif name in FILTERED:
            entry["filter"] = command.get(FILTERED[name]) or {}
            entry["sort"] = command.get("sort")
            entry["hint"] = command.get("hint")
            entry["limit"] = command.get("limit")
        elif name == "insert":
            entry["documents"] = len(command.get("documents", []))
        line = json_util.dumps(entry, json_options=json_util.RELAXED_JSON_OPTIONS)
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def listeners() -> list:
    path = os.environ.get(QUERY_LOG_ENV)
    return [QueryRecorder(path)] if path else []


def read(path: str | Path) -> list[dict]:
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                entries.append(json_util.loads(line))
    return entries


def to_json(value) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
