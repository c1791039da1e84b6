"""The waiting helper returns what it waited for, and its failure says what never came."""
import pytest

from tests.waiting import wait_until


def test_returns_the_first_true_answer():
    answers = iter([None, [], {"team_id": "new-energy"}])
    assert wait_until(lambda: next(answers), 5, reason="the team", poll=0) == {
        "team_id": "new-energy"}


def test_a_timeout_names_the_reason_and_the_last_answer():
    with pytest.raises(AssertionError, match=r"waited 0.1s for the lead's team; the last "
                                             r"answer was \[\]"):
        wait_until(lambda: [], 0.1, reason="the lead's team", poll=0.01)


def test_every_test_runs_under_a_timeout(pytestconfig):
    # pytest-timeout is on for the whole suite: a hung RPC fails its test, never the run.
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert float(pytestconfig.getini("timeout")) == 300
