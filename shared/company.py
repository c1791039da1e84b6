"""A company's identity: its unified social credit code and the key its name is compared by.

Leads de-duplicate companies by these and branches claim them by these: one rule, so that a
company the branches count as reported is the company the leads count as known.
"""
from __future__ import annotations

import re
import unicodedata

from shared.text import fold_text

# GB 32100-2015: the unified social credit code (统一社会信用代码) uses 31 characters
# (no I, O, Z, S, V) and its 18th character is a check digit over the first 17.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Legal-form suffixes that do not tell two companies apart ("巨石集团有限公司" is "巨石集团"),
# compared after folding and without spaces ("Jushi Co., Ltd." is "jushi").
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
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_CHARSET})
    if bad:
        return f"characters not allowed in a credit code: {''.join(bad)}"
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"check digit is {code[17]}, expected {expected}"
    return None


def normalise_credit_code(code: str) -> str:
    """The code as stored and compared: full-width folded, upper case, no spaces at all
    (licences print it in groups: "9133 0100 ...")."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", code)).upper()


def company_name_key(name: str) -> str:
    """The company name as compared for duplicates: folded, without spaces or legal-form suffix."""
    key = fold_text(name).replace(" ", "")
    for suffix in COMPANY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)].rstrip(",.")
    return key


def company_keys(name: str, credit_code: str | None) -> list[str]:
    """Every key a company is known by: its credit code when given, and always its name key,
    so that a later mention by either one is recognised."""
    keys = []
    code = normalise_credit_code(credit_code) if credit_code else ""
    if code:
        keys.append(f"credit_code:{code}")
    keys.append(f"name:{company_name_key(name)}")
    return keys
