"""Pure rules about leads: no I/O, tested directly."""
from __future__ import annotations

import unicodedata
from datetime import datetime

# GB 32100-2015: the unified social credit code (统一社会信用代码) uses 31 characters
# (no I, O, Z, S, V) and its 18th character is a check digit over the first 17.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

STAGES = ("lead", "negotiating", "signed", "land", "construction", "production")
STAGE_LABELS_ZH = {
    "lead": "线索", "negotiating": "在谈", "signed": "签约",
    "land": "供地", "construction": "开工", "production": "投产",
}
STATUSES = ("active", "stalled", "lost")


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARSET.index(ch) * weight
        for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_CHARSET})
    if bad:
        return f"characters not allowed in a credit code: {''.join(bad)}"
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"check digit is {code[17]}, expected {expected}"
    return None


def normalise_credit_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code).strip().upper()


def is_major(investment_cny: int, flagged: bool | None, threshold_cny: int) -> bool:
    """A major project (重大项目) rides the green channel: large enough, or flagged by hand."""
    return bool(flagged) or investment_cny >= threshold_cny


def new_lead(lead_id: str, body: dict, actor: str, now: datetime, major_threshold_cny: int) -> dict:
    """The document of a lead just taken in: stage `lead`, status `active`, no team yet."""
    return {
        "_id": lead_id,
        **body,
        "major": is_major(body["investment_cny"], body.pop("major", None), major_threshold_cny),
        "stage": "lead",
        "status": "active",
        "team_id": None,
        "team_name": None,
        "routing": "pending",
        "stage_history": [{"stage": "lead", "at": now, "by": actor, "note": "created"}],
        "created_at": now,
        "created_by": actor,
        "updated_at": now,
    }
