"""The login throttle's rule and the body depth check: pure functions."""
from datetime import datetime, timedelta, timezone

from services.gateway.http import nesting_depth
from services.gateway.throttle import Rule

T0 = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
RULE = Rule(free=5, first_delay_seconds=1, max_delay_seconds=900, forget_after=timedelta(hours=24))


def test_delays_start_after_the_free_attempts_double_and_stop_at_the_cap():
    assert [RULE.delay(n).total_seconds() for n in (0, 4, 5, 6, 7, 8)] == [0, 0, 1, 2, 4, 8]
    assert RULE.delay(40).total_seconds() == 900


def test_an_attempt_waits_for_the_delay_of_the_last_one_and_an_idle_key_starts_again():
    doc = {"count": 7, "last_at": T0}  # the next needs 4 s after the last
    assert not RULE.allows(doc, T0 + timedelta(seconds=3))
    assert RULE.allows(doc, T0 + timedelta(seconds=4))
    assert RULE.retry_after(doc, T0 + timedelta(seconds=1)) == 3
    assert RULE.counted(doc, T0 + timedelta(hours=25)) == 0
    assert RULE.allows(None, T0) and RULE.allows({"count": 4, "last_at": T0}, T0)


def test_nesting_is_counted_outside_strings_only():
    assert nesting_depth(b"[" * 300 + b"]" * 300) == 300
    assert nesting_depth(b'{"a": "[[[[[[[[", "b": [1, {"c": "\\"[["}]}') == 3
    assert nesting_depth(b"") == 0
