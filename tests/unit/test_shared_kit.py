"""The shared kit: events, clock, configuration, errors, tokens."""
from datetime import datetime, timedelta, timezone

import pytest

from services.gateway.problems import AuthError
from services.gateway.tokens import TokenCodec, hash_password, password_matches
from shared.clock import OffsetFileClock, SettableClock
from shared.errors import InvalidInput
from shared.events import EVENTS, LeadCreated, make_event, parse_event
from shared.jsonable import jsonable

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
CREATED = LeadCreated(lead_id="L1", title="t", company_name="c", industry="光伏",
                      investment_cny=1, major=False)


def test_an_event_carries_the_envelope_and_round_trips():
    envelope = make_event("leads", CREATED, NOW)
    payload = envelope.model_dump(mode="json")
    assert set(payload) == {"event_id", "type", "occurred_at", "source", "schema_version", "data"}
    assert payload["type"] == "lead_created" and payload["schema_version"] == 1
    back, data = parse_event("leads", "lead_created", payload)
    assert back == envelope and data == CREATED


def test_an_event_cannot_be_made_by_the_wrong_source():
    with pytest.raises(LookupError):
        make_event("teams", CREATED, NOW)


@pytest.mark.parametrize("mutate,field", [
    (lambda p: p.update(event_id="x"), "event_id"),
    (lambda p: p["data"].pop("lead_id"), "lead_id"),
    (lambda p: p["data"].update(extra=1), "extra"),
    (lambda p: p.update(occurred_at="2026-11-26T01:00:00"), "occurred_at"),  # no offset
])
def test_a_malformed_payload_is_refused_naming_the_field(mutate, field):
    payload = make_event("leads", CREATED, NOW).model_dump(mode="json")
    mutate(payload)
    with pytest.raises(InvalidInput) as exc:
        parse_event("leads", "lead_created", payload)
    assert field in [e["loc"][-1] for e in exc.value.extra["errors"]]
    assert exc.value.detail.startswith("输入有误：")


def test_a_payload_of_another_type_is_refused():
    payload = make_event("leads", CREATED, NOW).model_dump(mode="json")
    with pytest.raises(InvalidInput):
        parse_event("teams", "lead_assigned", payload)


def test_every_event_name_is_past_tense():
    # sla_warning keeps the name the architecture gives it, problem_overdue says a state the
    # problem has entered; every other event is in the past tense ("..._given" included).
    named = {t for _, t in EVENTS} - {"sla_warning", "problem_overdue"}
    assert [t for t in named if not t.endswith(("ed", "en"))] == []


def test_settable_clock_moves_only_when_told():
    clock = SettableClock(NOW)
    assert clock.now() == NOW
    assert clock.advance(hours=47) == NOW + timedelta(hours=47)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 1, 1))


def test_offset_file_clock_is_shared_through_a_file(tmp_path):
    path = tmp_path / "offset"
    clock = OffsetFileClock(str(path))
    assert abs((clock.now() - datetime.now(timezone.utc)).total_seconds()) < 1
    target = datetime.now(timezone.utc) + timedelta(hours=49)
    clock.move_to(target)
    assert abs((OffsetFileClock(str(path)).now() - target).total_seconds()) < 1


def test_jsonable_writes_times_with_an_offset():
    assert jsonable({"at": NOW, "n": [NOW]}) == {
        "at": "2026-11-26T01:00:00+00:00", "n": ["2026-11-26T01:00:00+00:00"]}


def test_config_reads_the_environment(monkeypatch):
    from shared.config import load_config

    monkeypatch.setenv("MONGO_URI", "mongodb://db.example:27017/")
    monkeypatch.delenv("MONGO_DB_PREFIX", raising=False)
    config = load_config()
    assert config["MONGO_URI"] == "mongodb://db.example:27017/"
    assert config["MONGO_DB_PREFIX"] == "kuaiban_"


def test_passwords_are_hashed_slowly_and_verified():
    hashed = hash_password("秘密-password")
    assert hashed.startswith("$argon2")
    assert password_matches(hashed, "秘密-password")
    assert not password_matches(hashed, "wrong")


def test_tokens_expire_and_refuse_tampering():
    codec = TokenCodec("secret", ttl_seconds=-1)
    with pytest.raises(AuthError, match="令牌已过期，请重新登录"):
        codec.decode(codec.encode({"_id": "admin", "role": "admin"}))
    good = TokenCodec("secret", 60).encode({"_id": "admin", "role": "admin"})
    with pytest.raises(AuthError, match="令牌无效"):
        TokenCodec("other", 60).decode(good)
    assert TokenCodec("secret", 60).decode(good)["role"] == "admin"


def test_an_error_keeps_its_extra_fields_typed_across_rpc():
    from nameko.exceptions import deserialize, serialize

    from shared.errors import Conflict

    sent = Conflict("not now", {"allowed": [{"stage": "signed", "needs_reason": True}], "n": 3})
    received = deserialize(serialize(sent))
    assert type(received) is Conflict and received.detail == "not now"
    assert received.extra == {"allowed": [{"stage": "signed", "needs_reason": True}], "n": 3}


def test_an_extra_field_cannot_shadow_the_problem_status():
    import json

    from services.gateway.problems import problem, response_for
    from shared.errors import Conflict

    answer = json.loads(response_for(Conflict("x", {"status": "closed"})).get_data())
    assert answer["status"] == 409

    body = json.loads(problem(409, "Conflict", "x", None, {"title": "y", "type": "z"}).get_data())
    assert body["title"] == "Conflict" and body["type"] == "about:blank"
    assert body["status"] == 409


@pytest.mark.parametrize("value", ["0", "0.5", "1795663497", " 3 ", "1e9"])
def test_a_number_is_no_date_even_in_a_query(value):
    from datetime import date as date_type
    from typing import Optional

    from pydantic import AwareDatetime, Field

    from shared.schemas import Strict, validated

    class Period(Strict):
        to: Optional[date_type] = None
        at: Optional[AwareDatetime] = None
        from_: Optional[AwareDatetime] = Field(default=None, alias="from")

    for field in ("to", "at", "from"):
        with pytest.raises(InvalidInput) as exc:
            validated(Period, {field: value}, ("query",))
        assert exc.value.extra["errors"][0]["loc"] == ["query", field]
    assert validated(Period, {"to": "2026-11-01"}, ("query",)).to.day == 1
