"""The leads service: nameko entrypoints only; rules live in domain.py, storage in repository.py."""
from __future__ import annotations

import uuid

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.leads import domain
from services.leads.repository import LeadsRepository
from services.leads.schemas import LeadCreate, LeadFilter
from shared.clock import Clock
from shared.errors import Conflict
from shared.events import LeadCreated, make_event
from shared.handlers import on_event
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.storage import Storage


def lead_view(lead: dict) -> dict:
    view = {"id": lead["_id"], **{k: v for k, v in lead.items() if k != "_id"}}
    view["stage_zh"] = domain.STAGE_LABELS_ZH[lead["stage"]]
    view["green_channel"] = lead["major"]
    return jsonable(view)


class LeadsService:
    name = "leads"

    storage = Storage(LeadsRepository)
    clock = Clock()
    config = Config()

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def create(self, body: dict, actor: str) -> dict:
        lead_in = validated(LeadCreate, body)
        duplicate = self.storage.find_duplicate(lead_in.company.credit_code, lead_in.title)
        if duplicate:
            raise Conflict(
                "a lead with this credit code and title exists", {"existing_id": duplicate["_id"]}
            )
        now = self.clock.now()
        threshold = int(self.config.get("MAJOR_PROJECT_CNY") or 1_000_000_000)
        lead = domain.new_lead(
            uuid.uuid4().hex, lead_in.model_dump(exclude_none=True), actor, now, threshold
        )
        created = LeadCreated(
            lead_id=lead["_id"],
            title=lead["title"],
            company_name=lead["company"]["name"],
            credit_code=lead["company"].get("credit_code"),
            industry=lead["industry"],
            investment_cny=lead["investment_cny"],
            land_mu=lead.get("land_mu"),
            source_branch_id=lead.get("source_branch_id"),
            major=lead["major"],
        )
        self.storage.insert(lead, [make_event(self.name, created, now)])
        return lead_view(lead)

    @rpc
    def get(self, lead_id: str) -> dict:
        return lead_view(self.storage.get(lead_id))

    @rpc
    def list(self, filters: dict) -> dict:
        f = validated(LeadFilter, filters, ("query",))
        query = {
            key: value
            for key, value in {
                "team_id": f.team_id, "stage": f.stage, "status": f.status,
                "source_branch_id": f.branch_id, "major": f.major,
            }.items()
            if value is not None
        }
        leads, total = self.storage.list(query, f.page, f.page_size)
        return page_of([lead_view(lead) for lead in leads], total, f)

    @on_event("teams", "lead_assigned")
    def record_team(self, envelope, assigned):
        self.storage.record_assignment(envelope, assigned.lead_id, {
            "team_id": assigned.team_id,
            "team_name": assigned.team_name,
            "county_leader": assigned.county_leader,
            "routing": "assigned",
            "updated_at": envelope.occurred_at,
        })

    @on_event("teams", "lead_unrouted")
    def record_triage(self, envelope, unrouted):
        self.storage.record_assignment(envelope, unrouted.lead_id, {
            "routing": "triage", "updated_at": envelope.occurred_at,
        })
