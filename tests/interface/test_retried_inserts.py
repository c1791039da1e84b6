"""A POST retried with its Idempotency-Key while its first try was still on its way (a broker
restart: the first answer lost, the 503 retried) finds what the first try stored: the id comes
from the caller and the key, so the insert's duplicate `_id` is the retry, never a 409 or a 500.
The use case and repositories here are the real ones, on the real database."""
from __future__ import annotations

import uuid

import pytest
from pymongo import MongoClient

from services.branches.repository import BranchesRepository
from services.leads.repository import LeadsRepository
from services.leads.schemas import LeadCreate
from services.leads.usecases import LeadsUseCases
from shared.clock import utcnow
from shared.company import credit_code_check_char
from shared.errors import Conflict
from shared.scope import Principal

MEMBER = Principal.of({"username": "ne.member", "role": "team_member", "team_id": "new-energy"})
LEAD = {"title": "光伏组件二期", "company": {"name": "捷泰新能源科技有限公司"},
        "industry": "光伏", "investment_cny": 500_000_000}


@pytest.fixture
def database(mongo_uri, db_prefix):
    with MongoClient(mongo_uri, tz_aware=True) as client:
        yield client, client[f"{db_prefix}retried"]


def test_a_retried_create_answers_the_lead_its_first_try_stored(database):
    client, db = database
    repository = LeadsRepository(client, db)
    repository.ensure_indexes()
    cases = LeadsUseCases(repository, utcnow(), major_threshold_cny=1_000_000_000)
    lead_id = str(uuid.uuid4())

    first = cases.create(LeadCreate(**LEAD), MEMBER, lead_id, may_be_retry=True)
    # The retry's look for the id comes too late or not at all: the insert's duplicate answers.
    retried = cases.create(LeadCreate(**LEAD), MEMBER, lead_id, may_be_retry=True)

    assert retried["_id"] == first["_id"] == lead_id
    assert db.leads.count_documents({}) == 1
    assert db.outbox.count_documents({"type": "lead_created"}) == 1  # its event once


def test_without_a_key_the_same_company_and_title_is_still_409(database):
    client, db = database
    repository = LeadsRepository(client, db)
    repository.ensure_indexes()
    cases = LeadsUseCases(repository, utcnow(), major_threshold_cny=1_000_000_000)
    code = "91320826MA1MCB6X6" + credit_code_check_char("91320826MA1MCB6X6")
    lead = {**LEAD, "company": {**LEAD["company"], "credit_code": code}}
    first = cases.create(LeadCreate(**lead), MEMBER, str(uuid.uuid4()), may_be_retry=False)

    with pytest.raises(Conflict) as refused:
        cases.create(LeadCreate(**lead), MEMBER, str(uuid.uuid4()), may_be_retry=True)
    assert refused.value.extra["existing_id"] == first["_id"]
    assert db.leads.count_documents({}) == 1


def test_a_retried_trip_or_visit_answers_the_one_stored(database):
    client, db = database
    repository = BranchesRepository(client, db)
    repository.ensure_indexes()
    trip = {"_id": str(uuid.uuid4()), "branch_id": "shanghai", "title": "上海招商行",
            "start_date": "2026-12-01", "end_date": "2026-12-03"}
    assert repository.insert_trip(dict(trip)) == trip
    assert repository.insert_trip({**trip, "title": "重试"}) == trip  # the stored one
    visit = {"_id": str(uuid.uuid4()), "trip_id": trip["_id"], "company": "某某电子科技有限公司"}
    assert repository.insert_visit(dict(visit)) == visit
    assert repository.insert_visit({**visit, "company": "重试"}) == visit
    assert db.trips.count_documents({}) == 1 and db.visits.count_documents({}) == 1
