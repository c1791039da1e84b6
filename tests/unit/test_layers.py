"""The layers of every service, checked on the source: only repositories write MongoDB's update
language, and no service calls another's RPC by string or through a bare nameko proxy (typed
clients, services/<name>/client.py, whose reply queues are classic: shared/client.py)."""
import ast
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


# -- the gateway's routes: validate, use case, typed view ----------------------------------------
ROUTE_BODY_MAX_LINES = 8


def long_routes(source: str, max_lines: int = ROUTE_BODY_MAX_LINES) -> list[tuple[str, int]]:
    """The `@api` routes in `source` whose body (the docstring left out) runs over `max_lines`
    lines: (function name, lines)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef) or not any(
                "api(" in ast.unparse(d) for d in node.decorator_list):
            continue
        body = node.body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and body[1:]:
            body = body[1:]
        lines = body[-1].end_lineno - body[0].lineno + 1
        if lines > max_lines:
            found.append((node.name, lines))
    return found


def test_gateway_routes_are_a_few_lines_each():
    found = [f"{path.relative_to(ROOT)}:{name}:{lines}"
             for path, text in sources("services/gateway/routes")
             for name, lines in long_routes(text)]
    assert found == [], (f"@api routes over {ROUTE_BODY_MAX_LINES} body lines (move the work into "
                         "a helper or a use case):\n" + "\n".join(found))


def test_the_route_length_rule_finds_a_long_route():
    steps = "".join(f"    step_{i} = {i}\n" for i in range(ROUTE_BODY_MAX_LINES))
    source = ('@api("GET", "/x", roles=("admin",))\n'
              'def long_one(self, request):\n    """A docstring is not counted."""\n'
              f'{steps}    return step_0\n\n'
              'def not_a_route(self):\n' + steps + '    return step_0\n\n'
              '@api("GET", "/y", roles=("admin",))\n'
              'def short_one(self, request):\n    """Two lines."""\n' + steps)
    assert long_routes(source) == [("long_one", ROUTE_BODY_MAX_LINES + 1)]
