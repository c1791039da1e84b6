"""Only a repository writes MongoDB's update language: supervision, policy, sla and notifier
name no update operator outside their repository.py (domains and use cases return a Change)."""
import re

import pytest

from shared.config import ROOT

UPDATE_OPERATORS = re.compile(
    r"""["']\$(set|setOnInsert|unset|push|pull|pullAll|addToSet|inc|max|min|mul|rename|pop)["']""")


@pytest.mark.parametrize("service", ["supervision", "policy", "sla", "notifier"])
def test_no_update_operator_outside_the_repository(service):
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in sorted((ROOT / "services" / service).rglob("*.py"))
             if path.name != "repository.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if UPDATE_OPERATORS.search(line)]
    assert not found, "\n".join(found)
