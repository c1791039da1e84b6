"""The layers of every service, checked on the source: only repositories write MongoDB's update
language, and no service calls another's RPC by string or through a bare nameko proxy (typed
clients, services/<name>/client.py, whose reply queues are classic: shared/client.py)."""
import re
from pathlib import Path

from shared.config import ROOT

UPDATE_OPERATORS = re.compile(r"""["']\$(set|push|inc|pull|addToSet|unset|setOnInsert|each)["']""")


def sources(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, path.read_text(encoding="utf-8")


def is_repository(path: Path) -> bool:
    # shared/storage.py is the repositories' base class (the outbox, applied events, update_of)
    return path.name == "repository.py" or path.relative_to(ROOT).as_posix() == "shared/storage.py"


def test_no_update_operator_outside_the_repositories():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path, text in sources("services", "shared") if not is_repository(path)
             for number, line in enumerate(text.splitlines(), 1) if UPDATE_OPERATORS.search(line)]
    assert found == [], "MongoDB update operators outside repository modules:\n" + "\n".join(found)


def test_the_rule_finds_an_operator_where_one_is_written():
    assert UPDATE_OPERATORS.search('update = {"$set": fields}')
    assert UPDATE_OPERATORS.search("{'$push': {'history': entry}}")
    assert not UPDATE_OPERATORS.search('price = "$5"')


def test_services_call_each_other_through_typed_clients():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path, text in sources("services")
             for number, line in enumerate(text.splitlines(), 1)
             if "RpcProxy(" in line or re.search(r"\bcall\(self\.\w+, \"", line)]
    assert found == [], "RPCs called by string or through a bare RpcProxy:\n" + "\n".join(found)
