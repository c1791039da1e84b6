"""Counting, straight from each service's database, what a lead became in every consumer.

A lead taken in over HTTP causes, in each consumer of the leads service's events and of what
they cause in turn:
- teams: one `lead_assigned` event in its outbox (counted there, so a handler applied twice
  would show as two), and the lead under a team;
- leads (consuming `lead_assigned`): one "assigned" entry in the lead's change history;
- notifier (major projects, consuming `lead_assigned`): one green-channel notification;
- branches (consuming `lead_created` of a branch-sourced lead): the lead among the branch's
  results, and the event id among its applied events (counted there).
"""
from __future__ import annotations

import time
from collections import Counter

CONSUMERS = ("teams", "leads", "notifier", "branches")


def leads_titled(mongo, prefix: str) -> list[dict]:
    return list(mongo.kuaiban_leads.leads.find(
        {"title": {"$regex": f"^{prefix}"}}, {"title": 1, "changes": 1}))


def created_event_ids(mongo, lead_ids: list[str]) -> dict[str, str]:
    """lead id -> the event id of its `lead_created` in the leads outbox."""
    return {e["payload"]["data"]["lead_id"]: e["_id"] for e in mongo.kuaiban_leads.outbox.find(
        {"type": "lead_created", "payload.data.lead_id": {"$in": lead_ids}})}


def effects(mongo, leads: list[dict]) -> dict[str, Counter]:
    """consumer -> Counter(lead id -> how many times its effect is there)."""
    ids = [lead["_id"] for lead in leads]
    found = {name: Counter() for name in CONSUMERS}
    for entry in mongo.kuaiban_teams.outbox.find(
            {"type": "lead_assigned", "payload.data.lead_id": {"$in": ids}},
            {"payload.data.lead_id": 1}):
        found["teams"][entry["payload"]["data"]["lead_id"]] += 1
    for lead in leads:
        found["leads"][lead["_id"]] += sum(
            1 for change in lead.get("changes", []) if change.get("action") == "assigned")
    for note in mongo.kuaiban_notifier.notifications.find(
            {"kind": "lead_assigned", "data.lead_id": {"$in": ids}}, {"data.lead_id": 1}):
        found["notifier"][note["data"]["lead_id"]] += 1
    event_ids = created_event_ids(mongo, ids)
    by_event = {event_id: lead_id for lead_id, event_id in event_ids.items()}
    for applied in mongo.kuaiban_branches.applied_events.find(
            {"_id": {"$in": list(by_event)}}, {"_id": 1}):
        found["branches"][by_event[applied["_id"]]] += 1
    return found


def missing(mongo, prefix: str) -> dict[str, list[str]]:
    """consumer -> titles of the leads (with the prefix) whose effect it does not have yet."""
    leads = leads_titled(mongo, prefix)
    found = effects(mongo, leads)
    gaps = {c: [lead["title"] for lead in leads if not found[c][lead["_id"]]] for c in CONSUMERS}
    return {c: titles for c, titles in gaps.items() if titles}


def wait_applied(mongo, prefix: str, within: float) -> dict[str, list[str]]:
    """Wait until every stored lead with the prefix is applied in every consumer; returns what
    is still missing when the time is up (empty: nothing)."""
    deadline = time.monotonic() + within
    while (gaps := missing(mongo, prefix)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return gaps


def tally(mongo, prefix: str, titles_accepted: list[str]) -> dict:
    """The figures of a run: stored, applied per consumer, duplicates and lost."""
    leads = leads_titled(mongo, prefix)
    stored_per_title = Counter(lead["title"] for lead in leads)
    found = effects(mongo, leads)
    figures = {"stored": len(leads)}
    for consumer in CONSUMERS:
        figures[f"applied_{consumer}"] = sum(1 for lead in leads if found[consumer][lead["_id"]])
    duplicates = sum(n - 1 for n in stored_per_title.values() if n > 1)
    duplicates += sum(n - 1 for c in CONSUMERS for n in found[c].values() if n > 1)
    lost = sum(1 for title in titles_accepted if stored_per_title[title] == 0)
    lost += sum(1 for c in CONSUMERS for lead in leads if found[c][lead["_id"]] == 0)
    figures.update(duplicates=duplicates, lost=lost)
    return figures
