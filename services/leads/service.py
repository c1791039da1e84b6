"""The leads service: nameko entrypoints only; rules live in domain.py, pipeline.py and
progress.py, storage in repository.py."""
from __future__ import annotations

import logging
from datetime import date

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from services.leads import domain, pipeline, progress
from services.leads.repository import LeadsRepository, build_report_rows
from services.leads.schemas import (
    SORTS, FourOnes, LeadCreate, LeadFilter, LeadPatch, MilestoneActual, StageMove, StatusChange,
)
from shared.clock import Clock
from shared.errors import Conflict, InvalidInput, field_error
from shared.events import (
    FourOnesRecorded, LeadCreated, LeadStageChanged, LeadStatusChanged, LeadUpdated, MilestoneReached,
    make_event,
)
from shared.handlers import on_event
from shared.idempotency import IdempotencyKey, new_id
from shared.jsonable import jsonable
from shared.schemas import page_of, validated
from shared.storage import Storage

log = logging.getLogger(__name__)

HIDDEN = ("_id", "search_keys", "version")
# Lists leave out the long histories; GET /leads/{id} has everything.
SUMMARY_LEAVES_OUT = ("changes", "stage_history", "status_history", "four_ones", "milestones")


def lead_view(lead: dict, summary: bool = False) -> dict:
    leave_out = HIDDEN + (SUMMARY_LEAVES_OUT if summary else ())
    view = {"id": lead["_id"], **{k: v for k, v in lead.items() if k not in leave_out}}
    view["company"] = {k: v for k, v in lead["company"].items() if k != "name_key"}
    view["stage_zh"] = pipeline.STAGE_LABELS_ZH[lead["stage"]]
    view["status_zh"] = pipeline.STATUS_LABELS_ZH[lead["status"]]
    view["green_channel"] = lead["major"]
    return jsonable(view)


def recorded_actuals(lead: dict) -> dict[str, date]:
    return {key: date.fromisoformat(m["actual_date"]) for key, m in lead.get("milestones", {}).items()}


def plan_of(lead: dict) -> list[dict]:
    four_ones = lead.get("four_ones") or {}
    return [{**item, "planned_date": date.fromisoformat(item["planned_date"])}
            for item in four_ones.get("plan", [])]


def project_lead_changed(before: dict | None, project_lead) -> bool:
    previous = (before or {}).get("project_lead") or {}
    return (previous.get("username"), previous.get("name")) != (project_lead.username,
                                                                project_lead.name)


def dates_of(lead: dict) -> dict[str, date]:
    return progress.milestone_dates(lead.get("first_contact_at"), lead["stage_history"],
                                    recorded_actuals(lead))


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
    def major_threshold(self) -> int:
        return int(self.config.get("MAJOR_PROJECT_CNY") or 1_000_000_000)

    def today(self) -> date:
        return progress.county_date(self.clock.now())

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    # -- intake ----------------------------------------------------------------------------

    @rpc
    def create(self, body: dict, actor: str) -> dict:
        """Take in a lead. 409 with `existing_id` for the same credit code and title; a lead of
        a company already known by name (or code) is created and lists `possible_duplicates`."""
        lead_in = validated(LeadCreate, body)
        now = self.clock.now()
        if lead_in.first_contact_at and lead_in.first_contact_at > now:
            raise field_error(["body", "first_contact_at"], "不能晚于现在")
        lead_id = new_id(actor, self.idempotency_key)
        if self.idempotency_key and self.storage.exists(lead_id):
            return lead_view(self.storage.get(lead_id))  # a retry: the lead its first try stored
        lead = self.build_lead(lead_id, lead_in, actor, now)
        self.storage.insert(lead, [make_event(self.name, self.created_event(lead), now)])
        return lead_view(lead)

    def build_lead(self, lead_id: str, lead_in: LeadCreate, actor: str, now) -> dict:
        # No look for the same credit code and title first: the unique index refuses it (409).
        lead = domain.new_lead(lead_id, lead_in.model_dump(exclude_none=True), actor, now,
                               self.major_threshold)
        lead["possible_duplicates"] = domain.similar_leads(
            self.storage.same_company(lead["company"]["name_key"], lead["company"].get("credit_code")),
            lead["company"].get("credit_code"), lead_id)
        return lead

    @staticmethod
    def created_event(lead: dict) -> LeadCreated:
        return LeadCreated(
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

    @rpc
    def import_ledger(self, rows: list[dict], actor: str, dry_run: bool) -> dict:
        """Rows of a county ledger that passed services/leads/ledger.py, in one chunk: each
        `{row, key, lead, stage}`. A row whose key is a lead already is `already_imported`
        (a re-import or a retried commit creates nothing); one with the credit code and title
        of another lead is a duplicate; the rest are created (unless `dry_run`) in one
        transaction, their events held for `publish_imported` (`held_events`). Leads of a
        company already known are created and listed as possible duplicates."""
        now = self.clock.now()
        known = self.storage.existing_ids([r["key"] for r in rows])
        answer = {"created": [], "would_create": [], "already_imported": [], "duplicates": [],
                  "possible_duplicates": [], "errors": []}
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
        others = self.storage.companies(
            sorted({domain.company_name_key(lead_in.company.name) for _, lead_in in fresh}),
            sorted({lead_in.company.credit_code for _, lead_in in fresh
                    if lead_in.company.credit_code}))
        same_code_and_title = {(d["company"].get("credit_code"), d["title"]): d["_id"]
                               for d in others if d["company"].get("credit_code")}
        leads, events = [], []
        for r, lead_in in fresh:
            code = lead_in.company.credit_code
            if code and (code, lead_in.title) in same_code_and_title:
                answer["duplicates"].append({
                    "row": r["row"], "existing_id": same_code_and_title[(code, lead_in.title)],
                    "msg": f"第{r['row']}行：已有统一社会信用代码和项目名称都相同的项目"})
                continue
            lead = domain.new_lead(r["key"], lead_in.model_dump(exclude_none=True), actor, now,
                                   self.major_threshold)
            name_key = lead["company"]["name_key"]
            lead["possible_duplicates"] = domain.similar_leads(
                [d for d in others if d["company"].get("name_key") == name_key
                 or (code and d["company"].get("credit_code") == code)], code, r["key"])
            if r.get("stage") and r["stage"] != "lead":
                lead.update({"stage": r["stage"], "stage_index": pipeline.stage_index(r["stage"])})
                lead["stage_history"].append({"stage": r["stage"], "from": "lead",
                                              "kind": "imported", "at": now, "by": actor,
                                              "note": "台账导入"})
            lead["imported"] = {"row": r["row"], "at": now, "by": actor}
            if lead["possible_duplicates"]:
                answer["possible_duplicates"].append({
                    "row": r["row"], "leads": [d["id"] for d in lead["possible_duplicates"]]})
            answer["would_create"].append({"row": r["row"], "id": r["key"]})
            leads.append(lead)
            events.append(make_event(self.name, self.created_event(lead), now))
        answer["held_events"] = []
        if not dry_run and leads:
            answer["held_events"] = self.storage.insert_many(leads, events)
            answer["created"] = answer["would_create"]
        return jsonable(answer)

    @rpc
    def publish_imported(self, event_ids: list[str]) -> int:
        """The events of an import's chunks (`held_events`), published once all are committed."""
        return self.storage.publish_held(event_ids)

    @on_event("branches", "lead_sourced")
    def create_sourced(self, envelope, sourced):
        """A branch turned a visit into a lead: create it under the id the branch chose."""
        if self.storage.exists(sourced.lead_id):
            self.storage.apply_once(envelope, lambda session: None)
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
            lead = self.build_lead(sourced.lead_id, lead_in, sourced.sourced_by, envelope.occurred_at)
        except (InvalidInput, Conflict) as exc:
            log.warning("sourced lead %s not created: %s %s", sourced.lead_id, exc.detail, exc.extra)
            self.storage.apply_once(envelope, lambda session: None)
            return
        lead["source"] = {"branch_id": sourced.branch_id, "trip_id": sourced.trip_id,
                          "visit_id": sourced.visit_id}
        self.storage.insert_sourced(
            envelope, lead, [make_event(self.name, self.created_event(lead), envelope.occurred_at)])

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
        code = domain.normalise_credit_code(credit_code) if credit_code else None
        name_key = domain.company_name_key(company_name or "")
        candidates = self.storage.same_company(name_key, code) if name_key or code else []
        matches = domain.similar_leads(candidates, code)
        matches.sort(key=lambda m: m["matched_by"] != "credit_code")  # stable: oldest first
        if not matches:
            return None
        best = next(c for c in candidates if c["_id"] == matches[0]["id"])
        return jsonable({
            "id": best["_id"], "title": best["title"], "company_name": best["company"]["name"],
            "credit_code": best["company"].get("credit_code"),
            "source_branch_id": best.get("source_branch_id"), "team_id": best.get("team_id"),
            "stage": best["stage"], "status": best["status"], "matched_by": matches[0]["matched_by"],
        })

    # -- reading ---------------------------------------------------------------------------

    @rpc
    def get(self, lead_id: str) -> dict:
        return lead_view(self.storage.get(lead_id))

    @rpc
    def list(self, filters: dict, scope: dict | None = None) -> dict:
        """A page of leads; `scope` is the caller's filter from shared/scope.py (set by the
        gateway, never by the caller), and wins over the caller's own filters."""
        f = validated(LeadFilter, filters, ("query",))
        query = {
            key: value
            for key, value in {
                "team_id": f.team_id, "stage": f.stage, "status": f.status,
                "source_branch_id": f.branch_id, "major": f.major, "routing": f.routing,
                "owner": f.owner,
            }.items()
            if value is not None
        }
        if f.q is not None:
            keys = domain.query_keys(f.q)
            if not keys:
                raise field_error(["query", "q"], "至少输入一个字")
            query["search_keys"] = {"$all": keys}
        query.update(scope or {})
        projection = {field: 0 for field in SUMMARY_LEAVES_OUT}
        leads, total, capped = self.storage.list(query, SORTS[f.sort], f.page, f.page_size,
                                                 projection)
        return page_of([lead_view(lead, summary=True) for lead in leads], total, f, capped)

    # -- changes ---------------------------------------------------------------------------

    @rpc
    def update(self, lead_id: str, body: dict, actor: str) -> dict:
        """PATCH: change the fields sent; the audit trail keeps each field's before and after."""
        patch_in = validated(LeadPatch, body)
        lead = self.storage.get(lead_id)
        now = self.clock.now()
        patch = patch_in.model_dump(include=patch_in.model_fields_set)
        if "major" in patch:
            patch["major_flag"] = patch.pop("major")
        if patch.get("first_contact_at") and patch["first_contact_at"] > now:
            raise field_error(["body", "first_contact_at"], "不能晚于现在")
        changes = domain.field_changes(lead, patch)
        if not changes:
            return lead_view(lead)
        merged = {**lead, **patch}
        new_fields = {**patch, **domain.derived_fields(merged, self.major_threshold),
                      "updated_at": now, "updated_by": actor}
        if "company" in changes or "title" in changes:
            code = merged["company"].get("credit_code")
            duplicate = self.storage.find_duplicate(code, merged["title"])
            if duplicate and duplicate["_id"] != lead_id:
                raise domain.duplicate_lead(duplicate["_id"])
        event = LeadUpdated(
            lead_id=lead_id, title=merged["title"], changed=sorted(changes),
            industry=merged["industry"], investment_cny=merged["investment_cny"],
            major=new_fields["major"], source_branch_id=merged.get("source_branch_id"), by=actor,
            became_major=new_fields["major"] and not lead["major"],
            team_id=lead.get("team_id"), team_name=lead.get("team_name"))
        updated = self.storage.update(lead, {
            "$set": new_fields,
            "$push": {"changes": {"at": now, "by": actor, "action": "updated", "fields": changes}},
        }, [make_event(self.name, event, now)])
        return lead_view(updated)

    @rpc
    def move_stage(self, lead_id: str, body: dict, actor: str, role: str) -> dict:
        """Move along the pipeline. 409 listing the allowed moves when the machine forbids it;
        422 on `note` when a skip or a move back has no reason, on `at` when it is out of order."""
        move_in = validated(StageMove, body)
        lead = self.storage.get(lead_id)
        try:
            move = pipeline.check_move(lead["stage"], move_in.stage, lead["status"], role,
                                       move_in.note)
        except pipeline.MoveRefused as exc:
            raise Conflict(str(exc), {"current": lead["stage"], "lead_status": lead["status"],
                                      "allowed": [m.as_dict() for m in exc.allowed]}) from None
        except pipeline.ReasonRequired as exc:
            raise field_error(["body", "note"], str(exc)) from None
        now = self.clock.now()
        at = move_in.at or now
        try:
            pipeline.check_move_time(at, lead["stage_history"][-1]["at"], now)
        except pipeline.BadMoveTime as exc:
            raise field_error(["body", "at"], str(exc)) from None

        events = [LeadStageChanged(
            lead_id=lead_id, title=lead["title"], from_stage=lead["stage"], to_stage=move.stage,
            at=at, by=actor, team_id=lead.get("team_id"),
            source_branch_id=lead.get("source_branch_id"), investment_cny=lead["investment_cny"],
            major=lead["major"], move=move.kind, note=move_in.note)]
        milestone = pipeline.milestone_of_move(move)
        planned = {item["milestone"]: item for item in plan_of(lead)}
        if milestone in planned and milestone not in dates_of(lead):
            events.append(self.milestone_event(lead, planned[milestone], progress.county_date(at),
                                               None, actor))
        entry = {"stage": move.stage, "from": lead["stage"], "kind": move.kind, "at": at,
                 "by": actor, "note": move_in.note}
        updated = self.storage.update(lead, {
            "$set": {"stage": move.stage, "stage_index": pipeline.stage_index(move.stage),
                     "updated_at": now, "updated_by": actor},
            "$push": {"stage_history": entry,
                      "changes": {"at": now, "by": actor, "action": "stage",
                                  "fields": {"stage": {"from": lead["stage"], "to": move.stage}},
                                  "note": move_in.note}},
        }, [make_event(self.name, e, now) for e in events])
        return lead_view(updated)

    @rpc
    def change_status(self, lead_id: str, body: dict, actor: str) -> dict:
        status_in = validated(StatusChange, body)
        lead = self.storage.get(lead_id)
        try:
            pipeline.check_status_change(lead["status"], status_in.status, status_in.reason)
        except pipeline.MoveRefused as exc:
            raise Conflict(str(exc), {"current": lead["status"],
                                      "allowed": [m.stage for m in exc.allowed]}) from None
        except pipeline.ReasonRequired as exc:
            raise field_error(["body", "reason"], str(exc)) from None
        now = self.clock.now()
        event = LeadStatusChanged(
            lead_id=lead_id, title=lead["title"], from_status=lead["status"],
            to_status=status_in.status, reason=status_in.reason, at=now, by=actor,
            team_id=lead.get("team_id"), stage=lead["stage"],
            investment_cny=lead["investment_cny"], major=lead["major"])
        updated = self.storage.update(lead, {
            "$set": {"status": status_in.status, "updated_at": now, "updated_by": actor},
            "$push": {
                "status_history": {"status": status_in.status, "from": lead["status"], "at": now,
                                   "by": actor, "reason": status_in.reason},
                "changes": {"at": now, "by": actor, "action": "status",
                            "fields": {"status": {"from": lead["status"], "to": status_in.status}},
                            "note": status_in.reason},
            },
        }, [make_event(self.name, event, now)])
        return lead_view(updated)

    # -- the four ones ---------------------------------------------------------------------

    @rpc
    def set_four_ones(self, lead_id: str, body: dict, actor: str) -> dict:
        """Set or replace the project lead, the service group and the plan of milestones."""
        four_in = validated(FourOnes, body)
        lead = self.storage.get(lead_id)
        now = self.clock.now()
        four_ones = four_in.model_dump(mode="json", exclude_none=True)
        for item in four_ones["plan"]:
            item["label"] = progress.label_of(item["milestone"], item.get("label"))
        four_ones.update({"set_at": now, "set_by": actor})
        event = FourOnesRecorded(
            lead_id=lead_id, title=lead["title"], project_lead=four_in.project_lead.name,
            project_lead_username=four_in.project_lead.username,
            project_lead_appointed=project_lead_changed(lead.get("four_ones"),
                                                        four_in.project_lead),
            milestones=[item.milestone for item in four_in.plan], team_id=lead.get("team_id"),
            major=lead["major"], by=actor)
        updated = self.storage.update(lead, {
            "$set": {"four_ones": four_ones, "updated_at": now, "updated_by": actor},
            "$push": {"changes": {"at": now, "by": actor, "action": "four_ones"}},
        }, [make_event(self.name, event, now)])
        return lead_view(updated)

    @rpc
    def record_milestone(self, lead_id: str, milestone: str, body: dict, actor: str) -> dict:
        """The actual date of a milestone of the plan; returns the progress table."""
        actual_in = validated(MilestoneActual, body)
        lead = self.storage.get(lead_id)
        planned = {item["milestone"]: item for item in plan_of(lead)}
        if milestone not in planned:
            raise field_error(["path", "milestone"],
                              f"{milestone} 不在该项目的计划节点中；计划节点："
                              f"{'、'.join(planned) or '无（请先录入四个一）'}")
        if actual_in.actual_date > self.today():
            raise field_error(["body", "actual_date"], "节点不能在将来达成")
        previous = dates_of(lead).get(milestone)
        recorded = lead.get("milestones", {}).get(milestone)
        if recorded and recorded["actual_date"] == actual_in.actual_date.isoformat():
            return self.progress(lead_id)  # already recorded: nothing changes, nothing is sent
        now = self.clock.now()
        event = self.milestone_event(lead, planned[milestone], actual_in.actual_date, previous, actor)
        self.storage.update(lead, {
            "$set": {f"milestones.{milestone}": {
                "actual_date": actual_in.actual_date.isoformat(), "note": actual_in.note,
                "recorded_at": now, "recorded_by": actor},
                "updated_at": now, "updated_by": actor},
            "$push": {"changes": {"at": now, "by": actor, "action": "milestone",
                                  "fields": {milestone: {
                                      "from": previous.isoformat() if previous else None,
                                      "to": actual_in.actual_date.isoformat()}}}},
        }, [make_event(self.name, event, now)])
        return self.progress(lead_id)

    def milestone_event(self, lead, item, actual: date, previous: date | None, actor):
        return MilestoneReached(
            lead_id=lead["_id"], title=lead["title"], milestone=item["milestone"],
            label=progress.label_of(item["milestone"], item.get("label")),
            planned_date=item["planned_date"], actual_date=actual,
            days_late=(actual - item["planned_date"]).days, previous_actual_date=previous,
            team_id=lead.get("team_id"), major=lead["major"], by=actor)

    @rpc
    def progress(self, lead_id: str) -> dict:
        """The dynamic progress table (动态进度表): planned against actual, and the next one due."""
        lead = self.storage.get(lead_id)
        table = progress.progress_table(plan_of(lead), dates_of(lead), self.today())
        four_ones = lead.get("four_ones") or {}
        return jsonable({"lead_id": lead_id, "title": lead["title"], "stage": lead["stage"],
                         "project_lead": four_ones.get("project_lead"),
                         "service_group": four_ones.get("service_group"), **table})

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
        rows, first = self.storage.report_rows()
        rows.sort(key=lambda r: (r[7], r[0]))  # by created_at, then id
        return {"fields": list(progress.REPORT_ROW_FIELDS), "rows": rows,
                "first_created_at": first.isoformat() if first else None}

    @rpc
    def cycle_times(self, lead_id: str) -> dict:
        lead = self.storage.get(lead_id)
        return jsonable({"lead_id": lead_id, "title": lead["title"],
                         "cycle_times": progress.cycle_times(dates_of(lead))})

    # -- from the teams service ------------------------------------------------------------

    @on_event("teams", "lead_assigned")
    def record_team(self, envelope, assigned):
        self.storage.record_assignment(envelope, assigned.lead_id, {
            "team_id": assigned.team_id,
            "team_name": assigned.team_name,
            "county_leader": assigned.county_leader,
            "owner": assigned.owner,
            "routing": "assigned",
            "updated_at": envelope.occurred_at,
        }, {"at": envelope.occurred_at, "by": assigned.assigned_by or "teams",
            "action": "assigned", "fields": {"team_id": {"from": assigned.previous_team_id,
                                                         "to": assigned.team_id}},
            "note": assigned.reason})

    @on_event("teams", "lead_unrouted")
    def record_triage(self, envelope, unrouted):
        self.storage.record_assignment(envelope, unrouted.lead_id, {
            "routing": "triage", "updated_at": envelope.occurred_at,
        }, {"at": envelope.occurred_at, "by": "teams", "action": "triage",
            "note": f"no team covers industry {unrouted.industry}"})
