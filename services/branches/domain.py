"""Rules about branches: pure, no I/O."""
from __future__ import annotations


def check_branches(branches: list[dict]) -> list[dict]:
    """Each branch has an id, names and at least one region; ids are unique."""
    seen = set()
    for branch in branches:
        for field in ("_id", "name", "name_zh", "regions"):
            if not branch.get(field):
                raise ValueError(f"branch {branch.get('_id', '?')} lacks {field}")
        if branch["_id"] in seen:
            raise ValueError(f"branch {branch['_id']} listed twice")
        seen.add(branch["_id"])
    return branches
