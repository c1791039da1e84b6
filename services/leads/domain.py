"""Pure rules about leads: no I/O, tested directly.

The stage machine is in pipeline.py and the plan, progress and cycle-time figures in
progress.py; this module holds the credit-code check, company-name folding, search keys and
the shape of a lead document.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from services.leads.pipeline import (  # noqa: F401  (re-exported: other services import them here)
    STAGE_LABELS_ZH, STAGES, STATUS_LABELS_ZH, STATUSES, stage_index,
)

# GB 32100-2015: the unified social credit code (统一社会信用代码) uses 31 characters
# (no I, O, Z, S, V) and its 18th character is a check digit over the first 17.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Legal-form suffixes that do not tell two companies apart ("巨石集团有限公司" is "巨石集团").
COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "co.,ltd.", "co.,ltd", "co.ltd",
                    "ltd.", "ltd")


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARSET.index(ch) * weight
        for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != 18:
        return f"应为 18 位，收到 {len(code)} 位"
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_CHARSET})
    if bad:
        return f"含不允许的字符：{''.join(bad)}"
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"校验码为 {code[17]}，应为 {expected}"
    return None


def normalise_credit_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code).strip().upper()


def fold_text(text: str) -> str:
    """Full-width to half-width (NFKC), case folded, spaces kept single."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def company_name_key(name: str) -> str:
    """The company name as compared for duplicates: folded, without spaces or legal-form suffix."""
    key = fold_text(name).replace(" ", "")
    for suffix in COMPANY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)].rstrip(",.")
    return key


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


PATCHABLE = ("title", "company", "industry", "investment_cny", "land_mu", "region",
             "source_branch_id", "contact", "first_contact_at", "notes", "major_flag")
REQUIRED = ("title", "company", "industry", "investment_cny")


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
