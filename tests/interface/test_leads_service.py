"""The leads service in a container on a throwaway vhost, against the real database."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.leads.service import LeadsService
from shared.errors import Conflict, InvalidInput, NotFound

JIETAI = {
    "title": "捷泰新能源高效电池片项目",
    "company": {"name": "捷泰新能源科技有限公司", "credit_code": "91350100M000100Y43"},
    "industry": "光伏电池",
    "investment_cny": 13_000_000_000,
    "land_mu": 879,
}


@pytest.fixture
def leads(config, container_factory):  # config first: its vhost outlives the container
    container = container_factory(LeadsService, config)
    container.start()
    return container


def test_create_stores_the_lead_and_its_event(leads, mongo, db_prefix):
    with entrypoint_hook(leads, "create") as create:
        lead = create(JIETAI, "admin")

    assert lead["stage"] == "lead" and lead["team_id"] is None
    assert lead["major"] is True  # 13 billion yuan: green channel
    stored = mongo[f"{db_prefix}leads"].leads.find_one({"_id": lead["id"]})
    assert stored["company"]["name"] == "捷泰新能源科技有限公司"
    outbox = list(mongo[f"{db_prefix}leads"].outbox.find())
    assert [e["type"] for e in outbox] == ["lead_created"]
    assert outbox[0]["sent_at"] is not None  # published right after the commit
    assert outbox[0]["payload"]["data"]["lead_id"] == lead["id"]


def test_same_credit_code_and_title_is_a_conflict_naming_the_first(leads, mongo, db_prefix):
    with entrypoint_hook(leads, "create") as create:
        first = create(JIETAI, "admin")
    with entrypoint_hook(leads, "create") as create:
        with pytest.raises(Conflict) as exc:
            create(JIETAI, "admin")
    assert exc.value.extra["existing_id"] == first["id"]
    assert mongo[f"{db_prefix}leads"].leads.count_documents({}) == 1
    assert mongo[f"{db_prefix}leads"].outbox.count_documents({}) == 1


@pytest.mark.parametrize("field,value", [
    ("investment_cny", -1),
    ("industry", ""),
    ("unknown_field", 1),
])
def test_bad_input_is_refused_and_changes_nothing(leads, mongo, db_prefix, field, value):
    with entrypoint_hook(leads, "create") as create:
        with pytest.raises(InvalidInput) as exc:
            create({**JIETAI, field: value}, "admin")
    assert ["body", field] in [e["loc"] for e in exc.value.extra["errors"]]
    assert mongo[f"{db_prefix}leads"].leads.count_documents({}) == 0
    assert mongo[f"{db_prefix}leads"].outbox.count_documents({}) == 0


def test_a_wrong_check_digit_names_the_credit_code(leads, mongo, db_prefix):
    body = {**JIETAI, "company": {**JIETAI["company"], "credit_code": "91350100M000100Y44"}}
    with entrypoint_hook(leads, "create") as create:
        with pytest.raises(InvalidInput) as exc:
            create(body, "admin")
    assert exc.value.extra["errors"][0]["loc"] == ["body", "company", "credit_code"]
    assert "check digit" in exc.value.extra["errors"][0]["msg"]
    assert mongo[f"{db_prefix}leads"].leads.count_documents({}) == 0


def test_errors_cross_rpc_as_their_own_type(leads, config):
    with ServiceRpcProxy("leads", config) as rpc:
        with pytest.raises(NotFound):
            rpc.get("no-such-lead")
        assert rpc.health() == {"service": "leads", "database": True}
