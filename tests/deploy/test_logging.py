"""Logs as a container platform collects them: one JSON object a line on stdout, with the
service, the level, UTC time to the millisecond and the correlation id; an error that is the
caller's (404, 409, 422) one INFO line without traceback; a real fault still ERROR with it."""
from __future__ import annotations

import logging
import re
import sys

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from shared.config import load_config
from shared.errors import Conflict, InvalidInput, NotFound
from shared.observability import ClientErrorFilter, JsonFormatter, process_service_name
from tests.faults.harness import eventually

MILLISECOND_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def worker_error_record(exc: BaseException) -> logging.LogRecord:
    """The record nameko.containers writes when an entrypoint raises."""
    try:
        raise exc
    except BaseException:
        exc_info = sys.exc_info()
    return logging.LogRecord("nameko.containers", logging.ERROR, __file__, 1,
                             "error handling worker %s: %s", ("<WorkerContext teams.get_team>", exc),
                             exc_info)


@pytest.mark.parametrize("exc, status", [(NotFound("no team x"), 404),
                                         (Conflict("already there"), 409),
                                         (InvalidInput("invalid input: title"), 422)])
def test_a_callers_error_is_one_info_line_without_traceback(exc, status):
    record = worker_error_record(exc)
    assert ClientErrorFilter().filter(record)
    assert record.levelname == "INFO" and record.exc_info is None
    assert f"answered {status}" in record.getMessage()
    assert "exception" not in JsonFormatter().format(record)


def test_a_real_fault_stays_an_error_with_its_traceback():
    record = worker_error_record(RuntimeError("the disk is on fire"))
    assert ClientErrorFilter().filter(record)
    assert record.levelname == "ERROR"
    assert "Traceback" in JsonFormatter().format(record)


def test_the_service_is_read_from_the_nameko_run_command():
    argv = ["/app/.venv/bin/nameko", "run", "--config", "config.yaml",
            "services.leads.service:LeadsService"]
    assert process_service_name(argv) == "leads"


def test_a_numeric_webhook_secret_is_read_as_a_string(monkeypatch):
    monkeypatch.setenv("KUAIBAN_WEBHOOK_SECRET", "123456")
    monkeypatch.setenv("KUAIBAN_SMTP_PASSWORD", "007")
    config = load_config()
    assert config["WEBHOOK_SECRET"] == "123456"
    assert config["SMTP_PASSWORD"] == "007"


def test_a_running_service_logs_json_on_stdout_and_a_404_at_info(run_service, rabbit_config):
    teams = run_service("teams")

    def health():
        try:
            with ServiceRpcProxy("teams", rabbit_config, timeout=2) as proxy:
                return proxy.health()
        except Exception:
            return None

    eventually(health, within=60, what="teams to answer")
    with ServiceRpcProxy("teams", {**rabbit_config}, timeout=5,
                         context_data={"correlation_id": "follow-the-404"}) as proxy:
        with pytest.raises(NotFound):
            proxy.get_team("no-such-team")
    eventually(lambda: "follow-the-404" in teams.stdout_path.read_text(), within=5)
    teams.stop()

    records = teams.stdout_records()  # every line of stdout parses as JSON
    assert records
    for record in records:
        assert record["service"] == "teams"
        assert MILLISECOND_UTC.match(record["time"]), record["time"]
        assert record["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    traced = [r for r in records if r["correlation_id"] == "follow-the-404"]
    answered = [r for r in traced if "answered 404" in r["message"]]
    assert answered and answered[0]["level"] == "INFO" and "exception" not in answered[0]
    assert [r for r in records if r["level"] == "ERROR"] == []
    assert "{" not in teams.stderr_path.read_text()  # no log line went to stderr
