"""The teams database (`kuaiban_teams`): teams with their routing keywords, and the leads each holds."""
from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.errors import Conflict, NotFound
from shared.storage import MongoRepository

# What the team keeps of each lead, for its pipeline and its members' workload.
TEAM_LEAD_FIELDS = {"team_id": 1, "stage": 1, "status": 1, "investment_cny": 1, "major": 1,
                    "owner": 1, "title": 1}


class TeamsRepository(MongoRepository):
    def indexes(self):
        return {"team_leads": [
            IndexModel([("team_id", ASCENDING), ("stage", ASCENDING)], name="team_stage"),
            IndexModel([("team_id", ASCENDING), ("owner", ASCENDING)], name="team_owner"),
        ]}

    def seed(self, teams: list[dict]) -> int:
        """Insert the teams that are not there yet; edits made since are kept."""
        created = 0
        for team in teams:
            result = self.db.teams.update_one(
                {"_id": team["_id"]}, {"$setOnInsert": team}, upsert=True
            )
            created += result.upserted_id is not None
        return created

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
        """Open leads per owner in the team (not lost, not in production)."""
        counts = self.db.team_leads.aggregate([
            {"$match": {"team_id": team_id, "status": {"$in": ["active", "stalled"]},
                        "stage": {"$ne": "production"}}},
            {"$group": {"_id": "$owner", "n": {"$sum": 1}}},
        ], hint="team_owner")
        return {row["_id"]: row["n"] for row in counts if row["_id"]}

    def assign(self, envelope, lead_id: str, fields: dict, events) -> bool:
        """Record the lead under its team (or in triage) and publish the outcome, once. A stage
        change that overtook the lead's creation has made the record already: keep its stage."""
        return self.apply_once(
            envelope,
            lambda session: self.db.team_leads.update_one(
                {"_id": lead_id},
                {"$set": fields, "$setOnInsert": {"stage": "lead", "status": "active"}},
                upsert=True, session=session),
            events,
        )

    def record_lead(self, envelope, lead_id: str, fields: dict, stamp: str) -> bool:
        """Keep the team's copy of a lead current; an older event never overwrites a newer one."""
        at = envelope.occurred_at

        def apply(session):
            current = self.db.team_leads.find_one({"_id": lead_id}, {stamp: 1}, session=session)
            if current is None:
                self.db.team_leads.insert_one({"_id": lead_id, **fields, stamp: at}, session=session)
            elif current.get(stamp) is None or current[stamp] <= at:
                self.db.team_leads.update_one({"_id": lead_id}, {"$set": {**fields, stamp: at}},
                                              session=session)

        return self.apply_once(envelope, apply)

    def reassign(self, lead: dict, fields: dict, events) -> None:
        def change(session):
            result = self.db.team_leads.update_one(
                {"_id": lead["_id"], "team_id": lead["team_id"]}, {"$set": fields}, session=session)
            if result.matched_count == 0:
                raise Conflict("线索已被改派，请刷新后重试",
                               {"lead_id": lead["_id"]})

        self.commit(change, events)

    def move_keyword(self, spellings: dict[str, list[str]], keyword: str, team_id: str | None,
                     events) -> None:
        """Take every spelling of `keyword` from the teams that have it and give it to `team_id`
        (None: to nobody), in one transaction so that no keyword ever names two teams."""
        def change(session):
            for holder, words in spellings.items():
                self.db.teams.update_one({"_id": holder}, {"$pull": {"industries": {"$in": words}}},
                                         session=session)
            if team_id is not None:
                self.db.teams.update_one({"_id": team_id}, {"$addToSet": {"industries": keyword}},
                                         session=session)

        self.commit(change, events)
