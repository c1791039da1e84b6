"""The teams database (`kuaiban_teams`): teams with their routing keywords, and the leads each holds."""
from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from shared.errors import NotFound
from shared.storage import MongoRepository


class TeamsRepository(MongoRepository):
    def indexes(self):
        return {"team_leads": [IndexModel([("team_id", ASCENDING), ("stage", ASCENDING)])]}

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
            raise NotFound(f"no team {team_id}")
        return team

    def leads_of(self, team_id: str) -> list[dict]:
        return list(self.db.team_leads.find({"team_id": team_id}))

    def assign(self, envelope, lead: dict, events) -> bool:
        """Record the lead under its team (or in triage) and publish the outcome, once."""
        return self.apply_once(
            envelope,
            lambda session: self.db.team_leads.insert_one(lead, session=session),
            events,
        )
