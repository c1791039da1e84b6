"""Rules about notifications: pure, no I/O.

A notification is addressed to one or more addresses: `user:<username>`, `role:<role>`,
`team:<team_id>`, `branch:<branch_id>`, `department:<department>`. A user's inbox holds what
is addressed to any of the user's own addresses.
"""
from __future__ import annotations

CHANNELS = ("inbox", "webhook", "email")
ADDRESS_KINDS = ("user", "role", "team", "branch", "department")


def addresses_of(principal: dict) -> list[str]:
    """Every address that reaches this user."""
    found = [f"user:{principal['username']}", f"role:{principal['role']}"]
    for kind, key in (("team", "team_id"), ("branch", "branch_id"), ("department", "department")):
        if principal.get(key):
            found.append(f"{kind}:{principal[key]}")
    return found
