"""Pure rules about leads: no I/O, tested directly.

The stage machine is in pipeline.py and the plan, progress and cycle-time figures in
progress.py; the company's identity (credit code, name key) in shared/company.py, one rule with
the branches; this module holds search keys, duplicates and the shape of a lead document.
"""
from __future__ import annotations

from datetime import date, datetime

from services.leads import progress
from services.leads.errors import DuplicateLead, FieldRefused
from services.leads.pipeline import (  # noqa: F401  (re-exported: other services import them here)
    STAGE_LABELS_ZH, STAGES, STATUS_LABELS_ZH, STATUSES, stage_index,
)
from shared.change import Change
from shared.company import company_name_key, normalise_credit_code  # noqa: F401
from shared.events import FourOnesRecorded, LeadCreated, LeadUpdated
from shared.text import fold_text


def _grams(token: str) -> set[str]:
    return set(token) | {token[i:i + 2] for i in range(len(token) - 1)}


def search_keys(*texts: str) -> list[str]:
    """Characters and character bigrams of each word of the folded texts.

    Chinese has no spaces between words, so bigrams stand in for words: a lead is found by
    any substring of its title or company name whose bigrams it holds. Stored in an indexed
    array because neither MongoDB's $text nor SecantusDB tokenises Chinese.
    """
    keys: set[str] = set()
    for text in texts:
        for token in fold_text(text or "").split(" "):
            keys |= _grams(token)
    keys.discard("")
    return sorted(keys)


def query_keys(q: str) -> list[str]:
    """The keys a lead must hold to match the search `q` (empty: `q` has no characters)."""
    keys: set[str] = set()
    for token in fold_text(q).split(" "):
        if len(token) == 1:
            keys.add(token)
        else:
            keys |= {token[i:i + 2] for i in range(len(token) - 1)}
    keys.discard("")
    return sorted(keys)


def is_major(investment_cny: int, flagged: bool | None, threshold_cny: int) -> bool:
    """A major project (重大项目) rides the green channel: large enough, or flagged by hand."""
    return bool(flagged) or investment_cny >= threshold_cny


def searchable_fields(lead: dict) -> list[str]:
    """Besides the title, what a search finds a lead by: company name and credit code,
    the contact's name and phone."""
    company, contact = lead["company"], lead.get("contact") or {}
    return [company["name"], company.get("credit_code") or "", contact.get("name") or "",
            contact.get("phone") or ""]


def derived_fields(lead: dict, threshold_cny: int) -> dict:
    """Fields computed from what the user gave: kept in the document for indexes and lists."""
    return {
        "major": is_major(lead["investment_cny"], lead.get("major_flag"), threshold_cny),
        "company": {**lead["company"], "name_key": company_name_key(lead["company"]["name"])},
        "search_keys": search_keys(lead["title"], *searchable_fields(lead)),
    }


def new_lead(lead_id: str, body: dict, actor: str, now: datetime, major_threshold_cny: int) -> dict:
    """The document of a lead just taken in: stage `lead`, status `active`, no team yet.

    The first history entry is dated at first contact when it is known, so that later moves
    recorded after the fact (a signing three weeks after first contact) keep their order.
    """
    body = dict(body)
    flagged = body.pop("major", None)
    lead = {"_id": lead_id, **body, "major_flag": flagged}
    lead.update(derived_fields(lead, major_threshold_cny))
    entered_at = body.get("first_contact_at") or now
    lead.update({
        "stage": "lead",
        "stage_index": 0,
        "status": "active",
        "team_id": None,
        "team_name": None,
        "owner": None,
        "routing": "pending",
        "stage_history": [{"stage": "lead", "from": None, "kind": "created", "at": entered_at,
                           "by": actor, "note": "created"}],
        "status_history": [],
        "four_ones": None,
        "milestones": {},
        "possible_duplicates": [],
        "changes": [{"at": now, "by": actor, "action": "created"}],
        "created_at": now,
        "created_by": actor,
        "updated_at": now,
        "updated_by": actor,
        "version": 1,
    })
    return lead


def field_changes(lead: dict, patch: dict) -> dict:
    """{field: {from, to}} for each patched field whose value differs from the lead's."""
    changes = {}
    for field, value in patch.items():
        before = lead.get(field)
        if field == "company" and before is not None:
            before = {k: v for k, v in before.items() if k != "name_key"}
        if before != value:
            changes[field] = {"from": before, "to": value}
    return changes


def similar_leads(candidates: list[dict], credit_code: str | None, lead_id: str | None = None) -> list[dict]:
    """Of leads sharing the company's name key or credit code, those that may be the same
    company: two different credit codes are two companies, whatever their names."""
    similar = []
    for other in candidates:
        if other["_id"] == lead_id:
            continue
        other_code = other["company"].get("credit_code")
        if credit_code and other_code:
            if other_code != credit_code:
                continue
            matched_by = "credit_code"
        else:
            matched_by = "company_name"
        # Team and branch: the gateway shows a lead outside the caller's scope only as
        # "followed by that team" (shared/scope.lead_reference).
        similar.append({"id": other["_id"], "title": other["title"],
                        "company_name": other["company"]["name"], "matched_by": matched_by,
                        "team_id": other.get("team_id"), "team_name": other.get("team_name"),
                        "county_leader": other.get("county_leader"),
                        "source_branch_id": other.get("source_branch_id")})
    return similar


def check_first_contact(first_contact_at: datetime | None, now: datetime) -> None:
    """First contact happened, so it is not later than now (a 422 on the field)."""
    if first_contact_at and first_contact_at > now:
        raise FieldRefused("不能晚于现在", ["body", "first_contact_at"])


def created(lead: dict) -> LeadCreated:
    """`lead_created` for a lead document just taken in."""
    return LeadCreated(
        lead_id=lead["_id"], title=lead["title"], company_name=lead["company"]["name"],
        credit_code=lead["company"].get("credit_code"), industry=lead["industry"],
        investment_cny=lead["investment_cny"], land_mu=lead.get("land_mu"),
        source_branch_id=lead.get("source_branch_id"), major=lead["major"])


def imported_lead(lead: dict, row: int, stage: str | None, by: str, now: datetime) -> dict:
    """A lead of a ledger row: at the ledger's stage (an `imported` entry of its stage history),
    marked with the row it came from."""
    if stage and stage != "lead":
        lead = {**lead, "stage": stage, "stage_index": stage_index(stage),
                "stage_history": [*lead["stage_history"], {
                    "stage": stage, "from": "lead", "kind": "imported", "at": now, "by": by,
                    "note": "台账导入"}]}
    return {**lead, "imported": {"row": row, "at": now, "by": by}}


def update(lead: dict, patch: dict, by: str, now: datetime, major_threshold_cny: int) -> Change:
    """PATCH: the fields sent that differ (each field's before and after in the audit trail),
    what follows from them, and `lead_updated`; an empty change when nothing differs."""
    patch = dict(patch)
    if "major" in patch:
        patch["major_flag"] = patch.pop("major")
    check_first_contact(patch.get("first_contact_at"), now)
    changes = field_changes(lead, patch)
    if not changes:
        return Change()
    merged = {**lead, **patch}
    fields = {**patch, **derived_fields(merged, major_threshold_cny),
              "updated_at": now, "updated_by": by}
    return Change(
        set=fields,
        append={"changes": ({"at": now, "by": by, "action": "updated", "fields": changes},)},
        events=(LeadUpdated(
            lead_id=lead["_id"], title=merged["title"], changed=sorted(changes),
            industry=merged["industry"], investment_cny=merged["investment_cny"],
            major=fields["major"], source_branch_id=merged.get("source_branch_id"), by=by,
            became_major=fields["major"] and not lead["major"],
            team_id=lead.get("team_id"), team_name=lead.get("team_name")),))


def changes_identity(change: Change) -> bool:
    """The change touches what makes a lead unique (credit code and title)."""
    return "company" in change.set or "title" in change.set


def check_not_duplicate(lead_id: str, duplicate: dict | None) -> None:
    """Another lead with the same credit code and title is a 409 naming it."""
    if duplicate and duplicate["_id"] != lead_id:
        raise DuplicateLead(duplicate["_id"])


def project_lead_changed(before: dict | None, project_lead: dict) -> bool:
    previous = (before or {}).get("project_lead") or {}
    return (previous.get("username"), previous.get("name")) != (project_lead.get("username"),
                                                                project_lead["name"])


def set_four_ones(lead: dict, four_ones: dict, by: str, now: datetime) -> Change:
    """The four ones set or replaced (each plan item labelled) and `four_ones_recorded`, which
    says whether the project lead is newly appointed."""
    four_ones = {**four_ones, "plan": [
        {**item, "label": progress.label_of(item["milestone"], item.get("label"))}
        for item in four_ones["plan"]], "set_at": now, "set_by": by}
    project_lead = four_ones["project_lead"]
    return Change(
        set={"four_ones": four_ones, "updated_at": now, "updated_by": by},
        append={"changes": ({"at": now, "by": by, "action": "four_ones"},)},
        events=(FourOnesRecorded(
            lead_id=lead["_id"], title=lead["title"], project_lead=project_lead["name"],
            project_lead_username=project_lead.get("username"),
            project_lead_appointed=project_lead_changed(lead.get("four_ones"), project_lead),
            milestones=[item["milestone"] for item in four_ones["plan"]],
            team_id=lead.get("team_id"), major=lead["major"], by=by),))


def record_milestone(lead: dict, milestone: str, actual: date, note: str | None, today: date,
                     by: str, now: datetime) -> Change:
    """The actual date of a milestone of the plan and `milestone_reached`; an empty change when
    that date is recorded already. 422 for a milestone not in the plan or a future date."""
    planned = {item["milestone"]: item for item in progress.plan_of(lead)}
    if milestone not in planned:
        raise FieldRefused(f"{milestone} 不在该项目的计划节点中；计划节点："
                           f"{'、'.join(planned) or '无（请先录入四个一）'}",
                           ["path", "milestone"])
    if actual > today:
        raise FieldRefused("节点不能在将来达成", ["body", "actual_date"])
    recorded = (lead.get("milestones") or {}).get(milestone)
    if recorded and recorded["actual_date"] == actual.isoformat():
        return Change()
    previous = progress.dates_of(lead).get(milestone)
    return Change(
        set={f"milestones.{milestone}": {"actual_date": actual.isoformat(), "note": note,
                                         "recorded_at": now, "recorded_by": by},
             "updated_at": now, "updated_by": by},
        append={"changes": ({"at": now, "by": by, "action": "milestone", "fields": {milestone: {
            "from": previous.isoformat() if previous else None, "to": actual.isoformat()}}},)},
        events=(progress.milestone_reached(lead, planned[milestone], actual, previous, by),))


def assignment_recorded(assigned, at: datetime) -> Change:
    """The team the teams service chose (`lead_assigned`), in the lead's audit trail."""
    return Change(
        set={"team_id": assigned.team_id, "team_name": assigned.team_name,
             "county_leader": assigned.county_leader, "owner": assigned.owner,
             "routing": "assigned", "updated_at": at, "team_assigned_at": at},
        append={"changes": ({"at": at, "by": assigned.assigned_by or "teams",
                             "action": "assigned",
                             "fields": {"team_id": {"from": assigned.previous_team_id,
                                                    "to": assigned.team_id}},
                             "note": assigned.reason},)})


def triage_recorded(unrouted, at: datetime) -> Change:
    """No team covers the lead's industry (`lead_unrouted`): it waits in triage."""
    return Change(
        set={"routing": "triage", "updated_at": at, "team_assigned_at": at},
        append={"changes": ({"at": at, "by": "teams", "action": "triage",
                             "note": f"no team covers industry {unrouted.industry}"},)})
