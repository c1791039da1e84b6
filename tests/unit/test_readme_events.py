"""The README's event table says what the code does: each (event, emitter, handler) it lists is a
handler the services declare (`shared.reliable.handler_bindings()`), each declared handler is
listed, and every event in `shared.events.EVENTS` has a row, "(none yet)" when nobody handles it."""
import re

from shared.config import ROOT
from shared.events import EVENTS
from shared.reliable import handler_bindings

NONE_YET = "(none yet)"


def readme_event_rows() -> list[tuple[set[str], str, list[str]]]:
    """(event types, emitting service, handling services) for each row of the Events table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Events\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("event", "") or set(cells[0]) <= {"-"}:
            continue
        # Only the names outside parentheses are events: "(also on reassignment: `reason`)" is not.
        names = set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", cells[0])))
        handlers = [] if cells[2] == NONE_YET else [h.strip() for h in cells[2].split(",")]
        rows.append((names, cells[1], handlers))
    return rows


def declared() -> set[tuple[str, str, str]]:
    """(source, event type, handling service) of every handler in the code."""
    return {(source, event_type, queue.split("--", 1)[1].split(".", 1)[0])
            for source, event_type, queue in handler_bindings()}


def test_the_table_is_read_whole():
    rows = readme_event_rows()
    assert len(rows) >= 25 and all(names for names, _, _ in rows)


def test_every_handler_the_table_lists_is_declared_and_every_declared_one_is_listed():
    listed = {(source, name, handler) for names, source, handlers in readme_event_rows()
              for name in names for handler in handlers}
    code = declared()
    assert sorted(listed - code) == [], "in the README, not in the code"
    assert sorted(code - listed) == [], "in the code, not in the README"


def test_every_event_has_a_row_with_its_emitter_and_none_yet_means_no_handler():
    rows = readme_event_rows()
    emitted = {(source, name) for names, source, _ in rows for name in names}
    assert sorted(set(EVENTS) - emitted) == [], "events without a row"
    assert sorted(emitted - set(EVENTS)) == [], "rows naming no event of shared/events.py"
    handled = {(source, event_type) for source, event_type, _ in declared()}
    for names, source, handlers in rows:
        if not handlers:
            assert {(source, name) for name in names}.isdisjoint(handled), names
