"""The sla service's use cases: each loads the clock, asks the domain (domain.py) what follows,
and has the repository store it with its events. No nameko here."""
from __future__ import annotations

import logging
from datetime import datetime

from services.sla import domain
from services.sla.repository import SlaRepository, facts_of
from shared.change import Change

log = logging.getLogger(__name__)


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
