"""The whole platform, as `make run` starts it, over HTTP."""
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Launched, pid_alive
from tests.waiting import wait_until

DEMO_TEAMS = {
    "巨石集团零碳智能制造基地": "new-materials",
    "捷泰新能源高效电池片项目": "new-energy",
    "今世缘南厂区技改扩能项目": "food-liquor",
}


def wait_for_team(platform, lead_id):
    def assigned():
        status, lead = platform.request("GET", f"/api/v1/leads/{lead_id}")
        assert status == 200, lead
        return lead if lead["team_id"] else None
    return wait_until(assigned, reason=f"a team for lead {lead_id}")


def test_ready_with_six_teams_and_six_branches(platform):
    # Under a minute on a quiet machine: the figure is reported, not asserted (a wall-clock
    # threshold fails on a loaded one; the fixture gives up on a launcher that never comes up).
    print(f"\nplatform up and ready in {platform.startup_seconds:.1f}s")
    assert platform.request("GET", "/readyz", token=None)[0] == 200
    status, teams = platform.request("GET", "/api/v1/teams")
    assert status == 200 and len(teams) == 6
    status, branches = platform.request("GET", "/api/v1/branches")
    assert status == 200 and len(branches) == 6


def test_the_demo_projects_of_the_report_are_loaded_and_assigned(platform):
    status, page = platform.request("GET", "/api/v1/leads?major=true")
    assert status == 200
    by_title = {lead["title"]: lead for lead in page["items"]}
    for title, team in DEMO_TEAMS.items():
        lead = wait_for_team(platform, by_title[title]["id"])
        assert lead["team_id"] == team, title


def test_a_lead_posted_by_the_admin_is_assigned(platform):
    status, lead = platform.request("POST", "/api/v1/leads", {
        "title": "电子元器件产业园", "company": {"name": "某某电子科技有限公司"},
        "industry": "电子元器件", "investment_cny": 2_000_000_000,
    })
    assert status == 201, lead
    posted = time.monotonic()
    assigned = wait_for_team(platform, lead["id"])
    # Within a second on a quiet machine: the figure is reported, not asserted (CI is not quiet).
    print(f"\nassigned in {time.monotonic() - posted:.3f}s after the 201")
    assert assigned["team_id"] == "electronic-info"


def test_every_service_answers_its_first_rpc_through_the_gateway(platform):
    for path in ("/api/v1/policy-requests", "/api/v1/sla/clocks", "/api/v1/problems",
                 "/api/v1/notifications", "/api/v1/me"):
        status, body = platform.request("GET", path)
        assert status == 200, (path, body)


def test_bad_input_and_bad_credentials(platform):
    status, problem = platform.request("POST", "/api/v1/leads", {"title": "缺字段"})
    assert status == 422
    assert ["body", "company"] in [e["loc"] for e in problem["errors"]]
    assert platform.request("POST", "/api/v1/auth/token",
                            {"username": "admin", "password": "wrong"}, token=None)[0] == 401
    assert platform.request("GET", "/api/v1/leads/unknown")[0] == 404


def test_one_request_can_be_followed_through_every_service_log(platform):
    status, lead = platform.request("POST", "/api/v1/leads", {
        "title": "智能装备产业园", "company": {"name": "涟水智能装备有限公司"},
        "industry": "智能装备", "investment_cny": 800_000_000,
    }, headers={"X-Request-Id": "follow-me-e2e"})
    assert status == 201
    assert wait_for_team(platform, lead["id"])["team_id"] == "equipment"

    def traced(service):
        lines = (platform.data_dir / "logs" / f"{service}.log").read_text().splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        return [r["message"] for r in records if r.get("correlation_id") == "follow-me-e2e"]

    assert any(m.startswith("gateway.create_lead") for m in traced("gateway"))
    assert any(m.startswith("leads.create") for m in traced("leads"))
    assert any(m.startswith("leads.record_team") for m in traced("leads"))
    assert any(m.startswith("teams.assign_lead") for m in traced("teams"))



# Operations that would lock the fuzzer out of its own session (changing the admin's password,
# disabling the admin); they have their own tests in tests/interface/test_gateway_accounts.py.
SELF_LOCKING = ("change_password", "update_user")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection")


@pytest.mark.timeout(900)  # the fuzzer itself may run 600 s
def test_the_fuzzer_finds_no_server_error_and_no_contract_breach(platform):
    """schemathesis against the running platform, authenticated: no 5xx, answers conform to
    the OpenAPI document, bad input gets 4xx. Bounded: a fixed seed, few examples per operation."""
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    command = [
        st, "run", f"{platform.url}/openapi.json",
        "-H", f"Authorization: Bearer {platform.token}",
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "3", "--seed", "20261126", "--workers", "2", "--no-shrink",
        "--generation-database", "none", "--request-timeout", "10",
        # Hypothesis's "too slow" health check judges how fast the fuzzer makes its data, not
        # the API: beside the other test session on 2 cores a run broke off a phase once.
        "--suppress-health-check", "too_slow",
    ]
    for operation_id in SELF_LOCKING:
        command += ["--exclude-operation-id", operation_id]
    def fuzz():
        result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                                cwd=platform.data_dir.parent)  # its files stay out of the tree
        return result, result.stdout + result.stderr

    result, output = fuzz()
    if result.returncode != 0 and tool_crash_only(output):
        # Hypothesis describing a lambda with ast.parse in two worker threads at once can crash
        # CPython 3.11 ("AST constructor recursion depth mismatch"): the fuzzer's fault, not an
        # answer of ours, and it passes again. A crash twice, or any failed check, still fails.
        print(f"\nschemathesis crashed on its own ({tool_crash_only(output)}); once more")
        result, output = fuzz()
    cases = re.search(r"(\d+) generated", output)
    print(f"\nschemathesis: {cases.group(0) if cases else 'no count'}; exit {result.returncode}")
    assert cases and int(cases.group(1)) > 100, output[-3000:]
    # schemathesis reports failed checks under FAILURES and requests that broke off (a timeout,
    # a reset connection) under ERRORS; either comes before its closing WARNINGS and SUMMARY.
    sections = [at for at in (output.find(" ERRORS "), output.find(" FAILURES ")) if at >= 0]
    end = output.find(" WARNINGS ")
    failures = output[min(sections):end if end > min(sections, default=0) else None] \
        if sections else output[-6000:]
    assert result.returncode == 0, failures[:8000]

def tool_crash_only(output: str) -> str:
    """The crash, when schemathesis's report has errors that are all the tool's own crash and
    no failed check; "" otherwise."""
    crash = "AST constructor recursion depth mismatch"
    if " FAILURES " in output or crash not in output:
        return ""
    errors = output[output.find(" ERRORS "):]
    kinds = set(re.findall(r"^(?:E\s+)?(Runtime Error|Network Error|Timeout Error|[A-Z][a-z]+ Error)$",
                           errors, flags=re.M))
    return crash if kinds <= {"Runtime Error"} else ""


def test_ctrl_c_stops_everything_and_a_restart_keeps_the_leads(platform):
    status, lead = platform.request("POST", "/api/v1/leads", {
        "title": "物流园", "company": {"name": "涟水物流有限公司"}, "industry": "物流",
        "investment_cny": 300_000_000,
    })
    assert status == 201
    pids = platform.pids()
    assert len(pids) == 9  # eight services and the embedded database

    assert platform.interrupt() == 0
    assert [p for p in pids if pid_alive(p)] == []

    # Started again as a script's background job would start it: SIGINT ignored.
    again = Launched(platform.data_dir, platform.amqp_uri, platform.port, sigint_ignored=True)
    again.start()
    try:
        status, kept = again.request("GET", f"/api/v1/leads/{lead['id']}")
        assert status == 200 and kept["title"] == "物流园"
        assert "3 already there" in again.log()
        assert again.interrupt() == 0  # Ctrl-C still stops it
        assert [p for p in again.pids() if pid_alive(p)] == []
    finally:
        again.stop()
