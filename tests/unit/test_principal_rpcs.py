"""The caller of an RPC has one shape: every typed client method (services/<name>/client.py)
that acts for someone takes it as `principal: Principal` (shared/scope.py) and sends its dict,
never a username, a role or a dict of its own under another name."""
import ast

from shared.config import ROOT

# Names the caller went by before it was one Principal.
CALLER_NAMES = frozenset({"actor", "viewer", "role", "by"})


def caller_parameters(source: str, filename: str) -> list[str]:
    """`filename:Class.method(parameter)` for each client method with a caller parameter."""
    found = []
    for cls in ast.walk(ast.parse(source)):
        if not isinstance(cls, ast.ClassDef):
            continue
        for method in cls.body:
            if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            arguments = method.args
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                if arg.arg in CALLER_NAMES:
                    found.append(f"{filename}:{cls.name}.{method.name}({arg.arg})")
    return found


def test_every_client_method_takes_the_caller_as_a_principal():
    clients = sorted((ROOT / "services").glob("*/client.py"))
    assert clients, "no services/*/client.py found"
    found = [hit for path in clients
             for hit in caller_parameters(path.read_text(encoding="utf-8"),
                                          path.relative_to(ROOT).as_posix())]
    assert found == [], ("client methods that take the caller other than as "
                         "`principal: Principal`:\n" + "\n".join(found))


def test_the_rule_finds_a_caller_parameter_where_one_is_written():
    source = '''
class LeadsCalls(Calls):
    def get(self, lead_id: str) -> dict:
        return self._call("get", lead_id)

    def move_stage(self, lead_id: str, body: dict, actor: str, role: str) -> dict:
        return self._call("move_stage", lead_id, body, actor, role)

    def trips(self, *, viewer: dict) -> dict:
        return self._call("trips", viewer)

    def create(self, body: dict, principal: Principal) -> dict:
        return self._call("create", body, sent(principal))
'''
    assert caller_parameters(source, "client.py") == [
        "client.py:LeadsCalls.move_stage(actor)", "client.py:LeadsCalls.move_stage(role)",
        "client.py:LeadsCalls.trips(viewer)"]
    assert caller_parameters("def helper(by): pass\n", "client.py") == []  # methods only


def test_a_principal_crosses_rpc_as_its_dict_and_comes_back_the_same():
    from shared.client import sent
    from shared.scope import Principal

    chen = Principal(username="chen", role="leader", team_id="new-energy")
    assert sent(chen) == {"username": "chen", "role": "leader", "team_id": "new-energy",
                          "branch_id": None, "department": None}
    assert Principal.of(sent(chen)) == chen
    assert sent(None) is None  # a service's own call: Principal.of(None) reads everything
