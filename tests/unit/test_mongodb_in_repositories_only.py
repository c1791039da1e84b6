"""MongoDB's query and update language (`$set`, `$push`, `$in`, ...) is written by repositories
only: a domain decides a Change, a use case hands it on, the repository writes it."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The services whose layers are split so far (issue 13).
SERVICES = ("leads", "teams", "branches")
OPERATOR = re.compile(r"^\$[a-zA-Z]+$")


def operators_in(path: Path) -> list[tuple[int, str]]:
    return [(node.lineno, node.value) for node in ast.walk(ast.parse(path.read_text("utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and OPERATOR.match(node.value)]


def test_no_mongodb_operator_outside_the_repositories():
    found = {f"{path.relative_to(ROOT)}:{line}": op
             for service in SERVICES
             for path in sorted((ROOT / "services" / service).glob("*.py"))
             if path.name != "repository.py"
             for line, op in operators_in(path)}
    assert found == {}


def test_the_check_sees_an_operator(tmp_path):
    written = tmp_path / "service.py"
    written.write_text('update = {"$set": {"stage": "signed"}}\n', encoding="utf-8")
    assert operators_in(written) == [(1, "$set")]
