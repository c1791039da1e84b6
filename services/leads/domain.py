"""Pure rules about leads: no I/O, tested directly.

The stage machine is in pipeline.py and the plan, progress and cycle-time figures in
progress.py; the company's identity (credit code, name key) in shared/company.py, one rule with
the branches; this module holds search keys, duplicates and the shape of a lead document.
"""
from __future__ import annotations

from datetime import datetime

from services.leads.pipeline import (  # noqa: F401  (re-exported: other services import them here)
    STAGE_LABELS_ZH, STAGES, STATUS_LABELS_ZH, STATUSES, stage_index,
)
from shared.company import company_name_key, normalise_credit_code  # noqa: F401
from shared.text import fold_text
from shared.errors import Conflict


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


def derived_fields(lead: dict, threshold_cny: int) -> dict:
    """Fields computed from what the user gave: kept in the document for indexes and lists."""
    return {
        "major": is_major(lead["investment_cny"], lead.get("major_flag"), threshold_cny),
        "company": {**lead["company"], "name_key": company_name_key(lead["company"]["name"])},
        "search_keys": search_keys(lead["title"], lead["company"]["name"]),
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


def duplicate_lead(existing_id: str | None) -> Conflict:
    """409: a lead with the same credit code and title exists (its id is in the answer)."""
    return Conflict("a lead with this credit code and title exists", {"existing_id": existing_id})


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
        similar.append({"id": other["_id"], "title": other["title"],
                        "company_name": other["company"]["name"], "matched_by": matched_by})
    return similar
