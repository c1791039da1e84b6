"""The lists in order of creation, read window by window of `created_at`.

SecantusDB reads every document of an index range before it sorts and limits, so a page read
as one range costs every lead the range holds (page 1 at 100,000 leads: all 100,000). A range
with both bounds on `created_at`, behind the equality fields of an index, reads only the leads
inside it. So a page is read as a few such windows, newest first (or oldest first): each
window's width follows the leads per hour the last one found, and they stop once the page
and one more lead are in. MongoDB serves each window from the same index.

The windows cover the whole line of time (the first and last are open-ended), so no lead is
left out whatever its `created_at`; only their cost depends on the guesses.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# The equality fields before (major, created_at, _id) in the leads' list indexes
# (repository.LeadsRepository.indexes), longest first.
WINDOW_PREFIXES = [("team_id", "stage"), ("team_id",), ("source_branch_id",), ("routing",), ()]

FIRST_WIDTH = timedelta(hours=1)
# No lead of the county's is older: below it, one last open window takes whatever is left.
FLOOR = datetime(1990, 1, 1, tzinfo=timezone.utc)
MAX_GROWTH, MIN_GROWTH = 8.0, 0.25
MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Plan:
    fixed: dict               # the index's equality fields, with the query's values
    majors: tuple[bool, ...]  # the green channel first: True, then False (or the one asked)
    residual: dict            # the query's other fields, checked on each window's leads
    newest_first: bool

    def keeps(self, lead: dict) -> bool:
        return all(lead.get(f) == v for f, v in self.residual.items())


def plan_for(query: dict, sort: list) -> Plan | None:
    """How to read `query` in windows, or None when it cannot be (another order, an operator,
    a list of ids): those lists are read as one range."""
    if [f for f, _ in sort] != ["created_at"]:
        return None
    if any(f.startswith("$") or f == "_id" or isinstance(v, (dict, list, tuple))
           for f, v in query.items()):
        return None
    fields = set(query) - {"major"}
    prefix = next(p for p in WINDOW_PREFIXES if set(p) <= fields)
    majors = (bool(query["major"]),) if "major" in query else (True, False)
    residual = {f: v for f, v in query.items() if f not in prefix and f != "major"}
    return Plan({f: query[f] for f in prefix}, majors, residual, newest_first=sort[0][1] < 0)


@dataclass(frozen=True)
class Window:
    """One window of created_at: from `near` (the side the list comes from; None: open) to
    `far` (None: open), `far` in the window, `near` only when `near_kept`."""
    near: datetime | None
    near_kept: bool
    far: datetime | None
    newest_first: bool

    def query(self) -> dict:
        """The range asked of the database: 1 ms wider on each side, because SecantusDB's
        compound index can miss a lead standing exactly on a bound (a bound is one key, the
        entries have `_id` after it); `holds` then keeps the window exact."""
        low, high = (self.far, self.near) if self.newest_first else (self.near, self.far)
        bounds = {}
        if low is not None:
            bounds["$gt"] = low - MS
        if high is not None:
            bounds["$lt"] = high + MS
        return {"created_at": bounds} if bounds else {}

    def holds(self, at: datetime) -> bool:
        if self.newest_first:
            return (self.far is None or at >= self.far) and (
                self.near is None or at < self.near or (self.near_kept and at == self.near))
        return (self.far is None or at <= self.far) and (
            self.near is None or at > self.near or (self.near_kept and at == self.near))


def order_key(lead: dict, newest_first: bool):
    """The list's order within one value of `major`: created_at, then _id ascending."""
    at = lead["created_at"].timestamp()
    return (-at if newest_first else at, lead["_id"])


def next_width(width: timedelta, found: int, wanted: int) -> timedelta:
    """The next window's width: as wide as the last one's leads per hour say `wanted` needs."""
    growth = MAX_GROWTH if found == 0 else min(MAX_GROWTH, max(MIN_GROWTH, 1.2 * wanted / found))
    return width * growth


# -- the cursor of the page after: where the last lead of a page stands in the order, and how
# many leads came up to it (the next page's total goes on from there) -------------------------

@dataclass(frozen=True)
class Position:
    major: bool
    created_at: datetime
    lead_id: str
    before: int  # the leads up to and with this one


def cursor_of(lead: dict, before: int) -> str:
    position = [bool(lead["major"]), lead["created_at"].isoformat(), lead["_id"], before]
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def position_of(cursor: str) -> Position:
    """Where a cursor stands; ValueError when it is not one of ours."""
    try:
        major, at, lead_id, before = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = datetime.fromisoformat(at)
    except (ValueError, TypeError) as exc:
        raise ValueError(cursor) from exc
    if not isinstance(major, bool) or not isinstance(lead_id, str) or at.tzinfo is None \
            or not isinstance(before, int) or before < 0:
        raise ValueError(cursor)
    return Position(major, at, lead_id, before)
