"""The layers of every service, checked on the source: only repositories write MongoDB's update
language, no service calls another's RPC by string or through a bare nameko proxy (typed
clients, services/<name>/client.py, whose reply queues are classic: shared/client.py), and each
entrypoint (and each gateway route) is a few lines that hand the work to a use case (services/<name>/usecases.py)."""
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


# An entrypoint's body (its docstring aside) validates, calls a use case and returns its view.
MAX_ENTRYPOINT_LINES = 8
# nameko's entrypoint decorators; besides these, any decorator a service imports from nameko or
# from shared (shared/handlers.py on_event, shared/timers.py timer_from_config) is one.
NAMEKO_ENTRYPOINTS = {"rpc", "timer", "event_handler", "handle_event", "consume", "http"}
# The gateway's HTTP routes are checked apart.
NOT_CHECKED = {"gateway"}


def decorator_root_and_name(decorator: ast.expr) -> tuple[str, str]:
    """`rpc` -> (rpc, rpc); `on_event("a", "b")` -> (on_event, on_event); `x.y.z` -> (x, z)."""
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    while isinstance(node, ast.Attribute):
        node = node.value
    return getattr(node, "id", ""), name


def imported_from_nameko_or_shared(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "nameko", "shared"):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names
                         if alias.name.split(".")[0] in ("nameko", "shared"))
    return names


def long_entrypoints(source: str, filename: str) -> list[str]:
    """`filename:function:lines` for each entrypoint whose body is longer than allowed."""
    tree = ast.parse(source)
    imported = imported_from_nameko_or_shared(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        roots_and_names = [decorator_root_and_name(d) for d in node.decorator_list]
        if not any(name in NAMEKO_ENTRYPOINTS or root in imported
                   for root, name in roots_and_names):
            continue
        body = node.body
        if (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            body = body[1:]  # the docstring
        lines = body[-1].end_lineno - body[0].lineno + 1 if body else 0
        if lines > MAX_ENTRYPOINT_LINES:
            found.append(f"{filename}:{node.name}:{lines}")
    return found


def test_entrypoints_are_a_few_lines_that_call_a_use_case():
    found = [long for path in sorted((ROOT / "services").glob("*/service.py"))
             if path.parent.name not in NOT_CHECKED
             for long in long_entrypoints(path.read_text(encoding="utf-8"),
                                          path.relative_to(ROOT).as_posix())]
    assert found == [], (f"entrypoints longer than {MAX_ENTRYPOINT_LINES} lines (docstring aside); "
                         "move their logic into the service's use cases:\n" + "\n".join(found))


def test_the_rule_finds_a_long_entrypoint_and_leaves_other_functions_alone():
    nine_lines = "\n".join(f"        x{i} = {i}" for i in range(9))
    eight_lines = "\n".join(f"        x{i} = {i}" for i in range(8))
    source = f"""
from nameko.rpc import rpc
from shared.handlers import on_event
from shared import timers


class Service:
    @rpc
    def long_rpc(self):
        \"\"\"A docstring does not count.\"\"\"
{nine_lines}

    @rpc
    def short_rpc(self):
        \"\"\"A docstring does not count.\"\"\"
{eight_lines}

    @on_event("leads", "lead_created")
    def long_handler(self, envelope, created):
{nine_lines}

    @timers.timer_from_config("SECONDS", 5.0)
    def long_timer(self):
{nine_lines}

    @property
    def long_property(self):
{nine_lines}

    def long_helper(self):
{nine_lines}
"""
    assert long_entrypoints(source, "services/x/service.py") == [
        "services/x/service.py:long_rpc:9", "services/x/service.py:long_handler:9",
        "services/x/service.py:long_timer:9"]


# -- the gateway's routes: validate, use case, typed view ----------------------------------------
ROUTE_BODY_MAX_LINES = MAX_ENTRYPOINT_LINES


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
