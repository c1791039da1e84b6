"""Rules about notifications: pure, no I/O.

A notification is addressed to one or more addresses: `user:<username>`, `role:<role>`,
`team:<team_id>`, `team-leader:<team_id>` (the team's county leader: a `leader` account with that
team_id), `branch:<branch_id>`, `department:<department>`. A user's inbox holds what is
addressed to any of the user's own addresses.
"""
from __future__ import annotations

CHANNELS = ("inbox", "webhook", "email")
ADDRESS_KINDS = ("user", "role", "team", "team-leader", "branch", "department")


def addresses_of(principal: dict) -> list[str]:
    """Every address that reaches this user."""
    found = [f"user:{principal['username']}", f"role:{principal['role']}"]
    for kind, key in (("team", "team_id"), ("branch", "branch_id"), ("department", "department")):
        if principal.get(key):
            found.append(f"{kind}:{principal[key]}")
    if principal["role"] == "leader" and principal.get("team_id"):
        found.append(f"team-leader:{principal['team_id']}")
    return found
