"""The teams database (`kuaiban_teams`): teams with their routing keywords, and the leads each holds."""
from __future__ import annotations

import random

from pymongo import ASCENDING, IndexModel, UpdateOne

from services.teams import domain
from shared.change import Change
from shared.errors import Conflict, NotFound
from shared.events import EventData, make_event
from shared.storage import MongoRepository, update_of

# What the team keeps of each lead, for its pipeline and its members' workload.
TEAM_LEAD_FIELDS = {"team_id": 1, "stage": 1, "status": 1, "investment_cny": 1, "major": 1,
                    "owner": 1, "title": 1}


COUNTED_MARKER = "counted"


def envelopes(events, at):
    """The teams' events (payloads) in their envelopes, occurred `at`."""
    return [make_event("teams", e, at) for e in events]


class TeamsRepository(MongoRepository):
    def indexes(self):
        return {
            "team_leads": [
                IndexModel([("team_id", ASCENDING), ("stage", ASCENDING)], name="team_stage"),
                IndexModel([("team_id", ASCENDING), ("owner", ASCENDING)], name="team_owner"),
            ],
            # A team's counters: a few documents per team, whatever its number of leads.
            "team_figures": [IndexModel([("team_id", ASCENDING)], name="team")],
        }

    def seed(self, teams: list[dict]) -> int:
        """Insert the teams that are not there yet; edits made since are kept."""
        created = 0
        for team in teams:
            result = self.db.teams.update_one(
                {"_id": team["_id"]}, {"$setOnInsert": team}, upsert=True
            )
            created += result.upserted_id is not None
        self.count_figures_if_missing()
        return created

    # -- the team's figures (domain.figure_increments) ------------------------------------
    def figures(self, team_id: str) -> list[dict]:
        return list(self.db.team_figures.find({"team_id": team_id}))

    def _add_figures(self, before: dict | None, after: dict | None, session) -> None:
        changes = domain.figure_changes(before, after)
        if changes:
            shard = random.randrange(domain.FIGURE_SHARDS)
            self.db.team_figures.bulk_write([
                UpdateOne({"_id": domain.figure_id(*key, shard)},
                          {"$inc": amounts,
                           "$setOnInsert": {"team_id": key[0], "kind": key[1], "key": key[2]}},
                          upsert=True)
                for key, amounts in changes.items()], ordered=True, session=session)

    def count_figures_if_missing(self) -> None:
        """Counters for a database that has team leads but no counters yet (kept before the
        counters existed): counted once, at start; a marker says it is done."""
        marker = {"_id": COUNTED_MARKER}
        if self.db.team_figures.find_one(marker, {"_id": 1}) is not None:
            return
        # Any assigned lead at all? (a range on the team index: no scan)
        if self.db.team_leads.find_one({"team_id": {"$gte": ""}}, {"_id": 1}) is not None:
            totals: dict = {}
            for lead in self.db.team_leads.find({}, TEAM_LEAD_FIELDS):  # once, ever
                for key, amounts in domain.figure_increments(lead).items():
                    row = totals.setdefault(key, {})
                    for field, amount in amounts.items():
                        row[field] = row.get(field, 0) + amount
            if totals:
                self.db.team_figures.bulk_write([
                    UpdateOne({"_id": domain.figure_id(*key)},
                              {"$inc": amounts,
                               "$setOnInsert": {"team_id": key[0], "kind": key[1], "key": key[2]}},
                              upsert=True) for key, amounts in totals.items()])
        self.db.team_figures.update_one(marker, {"$setOnInsert": {"kind": "marker"}}, upsert=True)

    def all(self) -> list[dict]:
        return list(self.db.teams.find().sort("_id", ASCENDING))

    def get(self, team_id: str) -> dict:
        team = self.db.teams.find_one({"_id": team_id})
        if team is None:
            raise NotFound(f"没有专业招商协作组 {team_id}")
        return team

    def leads_of(self, team_id: str) -> list[dict]:
        return list(self.db.team_leads.find({"team_id": team_id}, TEAM_LEAD_FIELDS,
                                            hint="team_stage"))

    def team_lead(self, lead_id: str) -> dict:
        lead = self.db.team_leads.find_one({"_id": lead_id})
        if lead is None or not lead.get("team_id"):
            raise NotFound(f"没有已分派或待甄别的线索 {lead_id}")
        return lead

    def open_counts(self, team_id: str) -> dict[str, int]:
        """Open leads per owner in the team (not lost, not in production), from the counters."""
        return domain.open_counts_of_figures(self.figures(team_id))

    def assign(self, envelope, lead_id: str, change: Change, at) -> bool:
        """Record the lead under its team (or in triage) and publish the outcome, once. A stage
        change that overtook the lead's creation has made the record already: keep its stage."""
        def write(session):
            before = self.update_by_id(
                "team_leads", lead_id,
                {**update_of(change), "$setOnInsert": {"stage": "lead", "status": "active"}},
                session, upsert=True, before=True)
            after = {"stage": "lead", "status": "active", **(before or {}), **change.set}
            self._add_figures(before, after, session)

        return self.apply_once(envelope, write, envelopes(change.events, at))

    def find_team_lead(self, lead_id: str) -> dict | None:
        return self.db.team_leads.find_one({"_id": lead_id})

    def record_lead(self, envelope, lead_id: str, change: Change, stamp: str,
                    now=None) -> bool:
        """Keep the team's copy of a lead current (`change.set`; its events, if any, occurred
        `now`); an older event never overwrites a newer one."""
        fields = change.set
        events = envelopes(change.events, now)
        at = envelope.occurred_at
        stored_at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # BSON keeps ms

        def apply(session):
            current = self.db.team_leads.find_one({"_id": lead_id}, session=session)
            if current is None:
                self.db.team_leads.insert_one({"_id": lead_id, **fields, stamp: at}, session=session)
                self._add_figures(None, {"_id": lead_id, **fields}, session)
            elif current.get(stamp) is None or current[stamp] <= stored_at:
                self.db.team_leads.update_one({"_id": lead_id}, {"$set": {**fields, stamp: at}},
                                              session=session)
                self._add_figures(current, {**current, **fields}, session)

        return self.apply_once(envelope, apply, events)

    def reassign(self, lead: dict, change: Change, at) -> None:
        def write(session):
            # By `_id` alone (SecantusDB scans on a second predicate); the team read is checked.
            before = self.update_by_id("team_leads", lead["_id"], update_of(change), session,
                                       before=True)
            if before is None or before.get("team_id") != lead["team_id"]:
                raise Conflict("线索已被改派，请刷新后重试",
                               {"lead_id": lead["_id"]})
            self._add_figures(before, {**before, **change.set}, session)

        self.commit(write, envelopes(change.events, at))

    def move_keyword(self, spellings: dict[str, list[str]], keyword: str, team_id: str | None,
                     event: EventData, at) -> None:
        """Take every spelling of `keyword` from the teams that have it and give it to `team_id`
        (None: to nobody), in one transaction so that no keyword ever names two teams."""
        def change(session):
            for holder, words in spellings.items():
                self.db.teams.update_one({"_id": holder}, {"$pull": {"industries": {"$in": words}}},
                                         session=session)
            if team_id is not None:
                self.db.teams.update_one({"_id": team_id}, {"$addToSet": {"industries": keyword}},
                                         session=session)

        self.commit(change, envelopes((event,), at))
