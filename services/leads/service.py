"""The leads service: nameko entrypoints only, each validate -> use case (usecases.py) -> view
(views.py); rules live in domain.py, pipeline.py and progress.py, storage in repository.py."""
from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.leads import domain
from services.leads.repository import LeadsRepository, build_report_rows
from services.leads.schemas import (
    FourOnes, LeadCreate, LeadFilter, LeadPatch, MilestoneActual, StageMove, StatusChange,
)
from services.leads.usecases import LeadsUseCases
from services.leads.views import SUMMARY_LEAVES_OUT, existing_lead_view, lead_view
from shared.clock import Clock
from shared.handlers import on_event
from shared.idempotency import IdempotencyKey, new_id
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.scope import Principal
from shared.storage import Storage

def add_search_keys(repository: LeadsRepository, config: dict) -> None:
    repository.add_search_keys(
        lambda lead: domain.search_keys(lead["title"], *domain.searchable_fields(lead)))

def prepare(repository: LeadsRepository, config: dict) -> None:
    """At start, each once: search keys for leads stored before, and the reports' rows."""
    add_search_keys(repository, config)
    build_report_rows(repository, config)

class LeadsService:
    name = "leads"

    storage = Storage(LeadsRepository, on_start=prepare)
    clock = Clock()
    config = Config()
    idempotency_key = IdempotencyKey()

    @property
    def cases(self) -> LeadsUseCases:
        return LeadsUseCases(self.storage, self.clock.now(),
                             int(self.config.get("MAJOR_PROJECT_CNY") or 1_000_000_000))

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    # -- intake ----------------------------------------------------------------------------

    @rpc
    def create(self, body: dict, principal: dict) -> dict:
        """Take in a lead. 409 with `existing_id` for the same credit code and title; a lead of
        a company already known by name (or code) is created and lists `possible_duplicates`."""
        lead_in, caller = validated(LeadCreate, body), Principal.of(principal)
        lead_id = new_id(caller.username, self.idempotency_key)
        return lead_view(self.cases.create(lead_in, caller, lead_id, bool(self.idempotency_key)))

    @rpc
    def import_ledger(self, rows: list[dict], principal: dict, dry_run: bool) -> dict:
        """Rows of a county ledger that passed services/leads/ledger.py, in one chunk: each
        `{row, key, lead, stage}`. A row whose key is a lead already is `already_imported`
        (a re-import or a retried commit creates nothing); one with the credit code and title
        of another lead is a duplicate; the rest are created (unless `dry_run`) in one
        transaction, their events held for `release_imported` (`held_events`). Leads of a
        company already known are created and listed as possible duplicates."""
        return jsonable(self.cases.import_ledger(rows, Principal.of(principal), dry_run))

    @rpc
    def release_imported(self, event_ids: list[str]) -> int:
        """The events of an import's chunks (`held_events`), handed to the outbox relay once all
        are committed; answers how many it released, without waiting for their publishing."""
        return self.storage.release_held(event_ids)

    @on_event("branches", "lead_sourced")
    def create_sourced(self, envelope, sourced):
        """A branch turned a visit into a lead: create it under the id the branch chose."""
        self.cases.create_sourced(envelope, sourced)

    @rpc
    def find_existing(self, credit_code: str | None, company_name: str) -> dict | None:
        """The lead of this company, if any: for the branches service's cross-branch check.

        Matches by unified social credit code first (normalised: full-width folded, upper
        case, spaces removed), else by the folded company name: NFKC (full-width to half-width), case folded,
        spaces removed and a legal-form suffix (股份有限公司, 有限责任公司, 有限公司, Co., Ltd.)
        dropped, so "巨石集团 有限公司" finds "巨石集团有限公司". Two different credit codes are
        two companies even under the same name. Returns the oldest such lead as
        {id, title, company_name, credit_code, source_branch_id, team_id, stage, status,
        matched_by: "credit_code" | "company_name"}, or None.
        """
        found = self.cases.find_existing(credit_code, company_name)
        return existing_lead_view(*found) if found else None

    # -- reading ---------------------------------------------------------------------------

    @rpc
    def get(self, lead_id: str) -> dict:
        return lead_view(self.cases.get(lead_id))

    @rpc
    def list(self, filters: dict, scope: dict | None = None) -> dict:
        """A page of leads; `scope` is the caller's filter from shared/scope.py (set by the
        gateway, never by the caller), and wins over the caller's own filters."""
        f = validated(LeadFilter, filters, ("query",))
        leads, total, capped, after = self.cases.list(f, scope, SUMMARY_LEAVES_OUT)
        page = page_of([lead_view(lead, summary=True) for lead in leads], total, f, capped)
        return {**page, "next_cursor": after}

    # -- changes ---------------------------------------------------------------------------

    @rpc
    def update(self, lead_id: str, body: dict, principal: dict) -> dict:
        """PATCH: change the fields sent; the audit trail keeps each field's before and after."""
        patch_in = validated(LeadPatch, body)
        patch = patch_in.model_dump(include=patch_in.model_fields_set)
        return lead_view(self.cases.update(lead_id, patch, Principal.of(principal)))

    @rpc
    def move_stage(self, lead_id: str, body: dict, principal: dict) -> dict:
        """Move along the pipeline. 409 listing the allowed moves when the machine forbids it;
        422 on `note` when a skip or a move back has no reason, on `at` when it is out of order."""
        move_in = validated(StageMove, body)
        return lead_view(self.cases.move_stage(lead_id, move_in, Principal.of(principal)))

    @rpc
    def change_status(self, lead_id: str, body: dict, principal: dict) -> dict:
        status_in = validated(StatusChange, body)
        return lead_view(self.cases.change_status(lead_id, status_in, Principal.of(principal)))

    # -- the four ones ---------------------------------------------------------------------

    @rpc
    def set_four_ones(self, lead_id: str, body: dict, principal: dict) -> dict:
        """Set or replace the project lead, the service group and the plan of milestones."""
        four_in = validated(FourOnes, body)
        return lead_view(self.cases.set_four_ones(lead_id, four_in, Principal.of(principal)))

    @rpc
    def record_milestone(self, lead_id: str, milestone: str, body: dict, principal: dict) -> dict:
        """The actual date of a milestone of the plan; returns the progress table."""
        actual_in = validated(MilestoneActual, body)
        return jsonable(self.cases.record_milestone(lead_id, milestone, actual_in,
                                                    Principal.of(principal)))

    @rpc
    def progress(self, lead_id: str) -> dict:
        """The dynamic progress table (动态进度表): planned against actual, and the next one due."""
        return jsonable(self.cases.progress(lead_id))

    @rpc
    def projects_of(self, username: str) -> list[dict]:
        """The projects this person leads (县级项目长) or serves in (帮办服务组), with `my_role`."""
        return [{**lead_view(lead, summary=True), "my_role": role}
                for role, lead in self.storage.projects_of(str(username))]

    @rpc
    def first_created_at(self) -> str | None:
        """When the county's first lead was taken in (reports before it have nothing to say)."""
        first = self.storage.first_created_at()
        return first.isoformat() if first else None

    @rpc
    def report_projects(self) -> dict:
        """Every lead with its plan against actual, in one call for the supervision reports
        (one RPC per lead took seconds at a few hundred leads): `fields` names the columns of
        each of `rows` (progress.REPORT_ROW_FIELDS), milestones as
        [key, label, planned_date, actual_date or None]; a lost lead's are left out."""
        return self.cases.report_projects()

    @rpc
    def cycle_times(self, lead_id: str) -> dict:
        return jsonable(self.cases.cycle_times(lead_id))

    # -- from the teams service ------------------------------------------------------------

    @on_event("teams", "lead_assigned")
    def record_team(self, envelope, assigned):
        self.cases.record_team(envelope, assigned)

    @on_event("teams", "lead_unrouted")
    def record_triage(self, envelope, unrouted):
        self.cases.record_triage(envelope, unrouted)
