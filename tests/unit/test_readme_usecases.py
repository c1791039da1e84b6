"""The README's use-case table says what the code does: every use case a service's entrypoints
call (a function or a method of services/<name>/usecases.py, called from service.py) is named in
the service's row, and every name in a row is a use case of that service."""
import ast
import re

from shared.config import ROOT

SERVICES = ("leads", "teams", "branches", "policy", "sla", "supervision", "notifier")


def readme_use_cases() -> dict[str, set[str]]:
    """service -> the `names` in its row of the use-case table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n### Use cases\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] in SERVICES:
            rows[cells[0]] = set(re.findall(r"`(\w+)`", cells[1]))
    return rows


def defined_use_cases(source: str) -> set[str]:
    """The public functions of a usecases.py and the public methods of its classes."""
    names = set()
    for node in ast.parse(source).body:
        functions = node.body if isinstance(node, ast.ClassDef) else [node]
        names |= {f.name for f in functions
                  if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}
    return names


def called_use_cases(service_source: str, defined: set[str]) -> set[str]:
    """The use cases service.py calls: `cases.x(`, `usecases.x(`, `reporting.x(`."""
    return {name for name in re.findall(r"\b(?:cases|usecases|reporting)\.(\w+)\(", service_source)
            if name in defined}


def test_the_table_has_a_row_for_every_service():
    assert sorted(readme_use_cases()) == sorted(SERVICES)


def test_every_called_use_case_is_named_and_every_name_is_a_use_case():
    for service in SERVICES:
        folder = ROOT / "services" / service
        defined = defined_use_cases((folder / "usecases.py").read_text(encoding="utf-8"))
        called = called_use_cases((folder / "service.py").read_text(encoding="utf-8"), defined)
        named = readme_use_cases()[service]
        assert sorted(called - named) == [], f"{service}: called, not in the README's row"
        assert sorted(named - defined) == [], f"{service}: in the README's row, not in usecases.py"


def test_the_rules_see_a_missing_and_a_stale_name():
    defined = defined_use_cases("def submit(): pass\nclass Reporting:\n    def answer(self): pass\n"
                                "    def _private(self): pass\n")
    assert defined == {"submit", "answer"}
    assert called_use_cases("usecases.submit(x)\nself.reporting.answer()\nother.submit()",
                            defined) == {"submit", "answer"}
