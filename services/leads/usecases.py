"""The leads' use cases: each loads, asks the domain (domain.py, pipeline.py, progress.py) and
saves the change with its events through the repository. No nameko here: service.py validates
the RPC's arguments, calls one of these and shows the result (views.py)."""
from __future__ import annotations

import logging
from datetime import datetime

from services.leads import domain, pipeline, progress, windows
from services.leads.errors import DuplicateLead
from services.leads.repository import LeadsRepository
from services.leads.schemas import (
    SORTS, FourOnes, LeadCreate, LeadFilter, MilestoneActual, StageMove, StatusChange,
)
from shared.change import Change
from shared.errors import Conflict, InvalidInput, field_error, refusals_as_rpc_errors
from shared.schemas import validated
from shared.scope import Principal

log = logging.getLogger(__name__)


class LeadsUseCases:
    """The use cases of one RPC or event, at `now`."""

    def __init__(self, repository: LeadsRepository, now: datetime, major_threshold_cny: int):
        self.repository = repository
        self.now = now
        self.major_threshold_cny = major_threshold_cny

    @property
    def today(self):
        return progress.county_date(self.now)

    # -- intake ----------------------------------------------------------------------------
    @refusals_as_rpc_errors
    def create(self, lead_in: LeadCreate, principal: Principal, lead_id: str,
               may_be_retry: bool) -> dict:
        """A lead taken in, with `possible_duplicates` (same company by name or code); the same
        credit code and title is refused by the unique index (409)."""
        domain.check_first_contact(lead_in.first_contact_at, self.now)
        lead = self.new_lead(lead_id, lead_in, principal.username, self.now)
        try:
            return self.repository.insert(lead, (domain.created(lead),), self.now)
        except DuplicateLead:
            # A retry (same caller, same Idempotency-Key, so the same id) finds the lead its
            # first try stored, also when that try committed only while this one was on its way
            # (a broker restart: its answer lost, the 503 retried). No look before the insert:
            # the unique `_id` answers, and a look would leave that race open.
            if may_be_retry and self.repository.exists(lead_id):
                return self.repository.get(lead_id)
            raise

    def new_lead(self, lead_id: str, lead_in: LeadCreate, by: str, now: datetime) -> dict:
        lead = domain.new_lead(lead_id, lead_in.model_dump(exclude_none=True), by, now,
                               self.major_threshold_cny)
        code = lead["company"].get("credit_code")
        lead["possible_duplicates"] = domain.similar_leads(
            self.repository.same_company(lead["company"]["name_key"], code), code, lead_id)
        return lead

    def import_ledger(self, rows: list[dict], principal: Principal, dry_run: bool) -> dict:
        """One chunk of a ledger's rows ({row, key, lead, stage}): created (unless `dry_run`) in
        one transaction, except those imported before (`already_imported`), invalid (`errors`)
        or of the credit code and title of another lead (`duplicates`)."""
        by = principal.username
        known = self.repository.existing_ids([r["key"] for r in rows])
        answer: dict = {"created": [], "would_create": [], "already_imported": [],
                        "duplicates": [], "possible_duplicates": [], "errors": []}
        fresh = []
        for r in rows:
            if r["key"] in known:
                answer["already_imported"].append({"row": r["row"], "id": r["key"]})
                continue
            try:
                fresh.append((r, validated(LeadCreate, r["lead"])))
            except InvalidInput as exc:
                answer["errors"].append({"row": r["row"], "column": None,
                                         "msg": f"第{r['row']}行：{exc.detail}"})
        # The companies already known, for the whole chunk at once (not two queries a row).
        others = self.repository.companies(
            sorted({domain.company_name_key(lead_in.company.name) for _, lead_in in fresh}),
            sorted({lead_in.company.credit_code for _, lead_in in fresh
                    if lead_in.company.credit_code}))
        same_code_and_title = {(d["company"].get("credit_code"), d["title"]): d["_id"]
                               for d in others if d["company"].get("credit_code")}
        leads = []
        for r, lead_in in fresh:
            code = lead_in.company.credit_code
            if code and (code, lead_in.title) in same_code_and_title:
                answer["duplicates"].append({
                    "row": r["row"], "existing_id": same_code_and_title[(code, lead_in.title)],
                    "msg": f"第{r['row']}行：已有统一社会信用代码和项目名称都相同的项目"})
                continue
            lead = domain.new_lead(r["key"], lead_in.model_dump(exclude_none=True), by,
                                   self.now, self.major_threshold_cny)
            name_key = lead["company"]["name_key"]
            lead["possible_duplicates"] = domain.similar_leads(
                [d for d in others if d["company"].get("name_key") == name_key
                 or (code and d["company"].get("credit_code") == code)], code, r["key"])
            lead = domain.imported_lead(lead, r["row"], r.get("stage"), by, self.now)
            if lead["possible_duplicates"]:
                answer["possible_duplicates"].append({
                    "row": r["row"], "leads": [d["id"] for d in lead["possible_duplicates"]]})
            answer["would_create"].append({"row": r["row"], "id": r["key"]})
            leads.append(lead)
        answer["held_events"] = []
        if not dry_run and leads:
            answer["held_events"] = self.repository.insert_many(
                leads, [domain.created(lead) for lead in leads], self.now)
            answer["created"] = answer["would_create"]
        return answer

    def create_sourced(self, envelope, sourced) -> None:
        """A branch turned a visit into a lead: create it under the id the branch chose (once;
        a lead the rules refuse is logged, and the event counted as applied)."""
        if self.repository.exists(sourced.lead_id):
            self.repository.apply_once(envelope, lambda session: None)
            return
        body = {
            "title": sourced.title,
            "company": {"name": sourced.company_name, "credit_code": sourced.credit_code},
            "industry": sourced.industry, "investment_cny": sourced.investment_cny,
            "land_mu": sourced.land_mu, "region": sourced.region,
            "source_branch_id": sourced.branch_id, "contact": sourced.contact,
            "first_contact_at": sourced.first_contact_at, "notes": sourced.notes,
        }
        try:
            lead_in = validated(LeadCreate, {k: v for k, v in body.items() if v is not None})
            lead = self.new_lead(sourced.lead_id, lead_in, sourced.sourced_by,
                                 envelope.occurred_at)
        except (InvalidInput, Conflict) as exc:
            log.warning("sourced lead %s not created: %s %s", sourced.lead_id, exc.detail, exc.extra)
            self.repository.apply_once(envelope, lambda session: None)
            return
        lead["source"] = {"branch_id": sourced.branch_id, "trip_id": sourced.trip_id,
                          "visit_id": sourced.visit_id}
        self.repository.insert_sourced(envelope, lead, (domain.created(lead),))

    def find_existing(self, credit_code: str | None, company_name: str) -> tuple[dict, str] | None:
        """The oldest lead of this company and how it matched: by credit code first, else by
        the company's name key (shared/company.py); two different codes are two companies."""
        code = domain.normalise_credit_code(credit_code) if credit_code else None
        name_key = domain.company_name_key(company_name or "")
        candidates = self.repository.same_company(name_key, code) if name_key or code else []
        matches = domain.similar_leads(candidates, code)
        matches.sort(key=lambda m: m["matched_by"] != "credit_code")  # stable: oldest first
        if not matches:
            return None
        best = next(c for c in candidates if c["_id"] == matches[0]["id"])
        return best, matches[0]["matched_by"]

    # -- reading ---------------------------------------------------------------------------
    def get(self, lead_id: str) -> dict:
        return self.repository.get(lead_id)

    def list(self, f: LeadFilter, scope: dict | None, leave_out: tuple[str, ...]):
        """A page of leads, (leads, total, capped, next cursor); `scope` wins over the caller's
        filters."""
        query = {key: value for key, value in {
            "team_id": f.team_id, "stage": f.stage, "status": f.status,
            "source_branch_id": f.branch_id, "major": f.major, "routing": f.routing,
            "owner": f.owner,
        }.items() if value is not None}
        keys = None
        if f.q is not None:
            keys = domain.query_keys(f.q)
            if not keys:
                raise field_error(["query", "q"], "至少输入一个字")
        query.update(scope or {})
        if f.after is not None:
            try:
                windows.position_of(f.after)
            except ValueError:
                raise field_error(["query", "after"], "无效，请从第一页重新打开列表")
        return self.repository.list(query, SORTS[f.sort], f.page, f.page_size,
                                    {field: 0 for field in leave_out}, keys, f.after)

    def progress(self, lead_id: str) -> dict:
        """The dynamic progress table (动态进度表): planned against actual, the next one due."""
        lead = self.repository.get(lead_id)
        table = progress.progress_table(progress.plan_of(lead), progress.dates_of(lead), self.today)
        four_ones = lead.get("four_ones") or {}
        return {"lead_id": lead_id, "title": lead["title"], "stage": lead["stage"],
                "project_lead": four_ones.get("project_lead"),
                "service_group": four_ones.get("service_group"), **table}

    def cycle_times(self, lead_id: str) -> dict:
        lead = self.repository.get(lead_id)
        return {"lead_id": lead_id, "title": lead["title"],
                "cycle_times": progress.cycle_times(progress.dates_of(lead))}

    def report_projects(self) -> dict:
        rows, first = self.repository.report_rows()
        rows.sort(key=lambda r: (r[7], r[0]))  # by created_at, then id
        return {"fields": list(progress.REPORT_ROW_FIELDS), "rows": rows,
                "first_created_at": first.isoformat() if first else None}

    # -- changes ---------------------------------------------------------------------------
    def save(self, lead: dict, change: Change) -> dict:
        """The lead after `change` (the lead as it is when the change is empty)."""
        return lead if change.empty else self.repository.update(lead, change, self.now)

    @refusals_as_rpc_errors
    def update(self, lead_id: str, patch: dict, principal: Principal) -> dict:
        lead = self.repository.get(lead_id)
        change = domain.update(lead, patch, principal.username, self.now, self.major_threshold_cny)
        if domain.changes_identity(change):
            merged = {**lead, **change.set}
            domain.check_not_duplicate(lead_id, self.repository.find_duplicate(
                merged["company"].get("credit_code"), merged["title"]))
        return self.save(lead, change)

    @refusals_as_rpc_errors
    def move_stage(self, lead_id: str, move_in: StageMove, principal: Principal) -> dict:
        lead = self.repository.get(lead_id)
        return self.save(lead, pipeline.move(lead, move_in.stage, principal, move_in.note,
                                             move_in.at, self.now))

    @refusals_as_rpc_errors
    def change_status(self, lead_id: str, status_in: StatusChange, principal: Principal) -> dict:
        lead = self.repository.get(lead_id)
        return self.save(lead, pipeline.change_status(lead, status_in.status, status_in.reason,
                                                      principal.username, self.now))

    def set_four_ones(self, lead_id: str, four_in: FourOnes, principal: Principal) -> dict:
        lead = self.repository.get(lead_id)
        return self.save(lead, domain.set_four_ones(
            lead, four_in.model_dump(mode="json", exclude_none=True), principal.username,
            self.now))

    @refusals_as_rpc_errors
    def record_milestone(self, lead_id: str, milestone: str, actual_in: MilestoneActual,
                         principal: Principal) -> dict:
        """The milestone's actual date recorded (nothing changes, nothing is sent, when it is
        recorded already); answers the progress table."""
        lead = self.repository.get(lead_id)
        self.save(lead, domain.record_milestone(lead, milestone, actual_in.actual_date,
                                                actual_in.note, self.today,
                                                principal.username, self.now))
        return self.progress(lead_id)

    # -- from the teams service ------------------------------------------------------------
    def record_team(self, envelope, assigned) -> None:
        self.repository.record_assignment(
            envelope, assigned.lead_id, domain.assignment_recorded(assigned, envelope.occurred_at))

    def record_triage(self, envelope, unrouted) -> None:
        self.repository.record_assignment(
            envelope, unrouted.lead_id, domain.triage_recorded(unrouted, envelope.occurred_at))
