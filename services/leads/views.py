"""What the leads' RPCs answer: allow-lists taken from the result models in schemas.py, so a
field stored on a lead (search keys, version, the reports' stage index) is never sent unless a
model names it. Plain dict picks, not model validation: lists of 200 leads stay cheap."""
from __future__ import annotations

from services.leads import pipeline
from services.leads.schemas import CompanyView, LeadSummary, LeadView
from shared.jsonable import jsonable


def shown_fields(model) -> tuple[str, ...]:
    """The names a result model sends (aliases where it has them)."""
    return tuple(info.alias or name for name, info in model.model_fields.items())


# Computed here rather than stored: the id, the Chinese labels, the green channel.
COMPUTED = ("id", "stage_zh", "status_zh", "green_channel", "company")
LEAD_FIELDS = tuple(f for f in shown_fields(LeadView) if f not in COMPUTED)
SUMMARY_FIELDS = tuple(f for f in shown_fields(LeadSummary) if f not in COMPUTED)
COMPANY_FIELDS = shown_fields(CompanyView)
# A list leaves out the long histories (GET /leads/{id} has everything): not even read.
SUMMARY_LEAVES_OUT = tuple(f for f in LEAD_FIELDS if f not in SUMMARY_FIELDS)


def lead_view(lead: dict, summary: bool = False) -> dict:
    """The lead as LeadView (or LeadSummary) names it."""
    view = {"id": lead["_id"]}
    view.update((f, lead[f]) for f in (SUMMARY_FIELDS if summary else LEAD_FIELDS) if f in lead)
    view["company"] = {f: lead["company"][f] for f in COMPANY_FIELDS if f in lead["company"]}
    view["stage_zh"] = pipeline.STAGE_LABELS_ZH[lead["stage"]]
    view["status_zh"] = pipeline.STATUS_LABELS_ZH[lead["status"]]
    view["green_channel"] = lead["major"]
    return jsonable(view)


def existing_lead_view(lead: dict, matched_by: str) -> dict:
    """The lead of a company, as the branches' first-to-claim check reads it."""
    return jsonable({
        "id": lead["_id"], "title": lead["title"], "company_name": lead["company"]["name"],
        "credit_code": lead["company"].get("credit_code"),
        "source_branch_id": lead.get("source_branch_id"), "team_id": lead.get("team_id"),
        "stage": lead["stage"], "status": lead["status"], "matched_by": matched_by,
    })
