"""A visit becomes a lead: branches, leads and teams in containers on one throwaway vhost.

The Southern Jiangsu branch meets Jietai New Energy in Suzhou and reports it; the lead is
created by the leads service with the branch as source and assigned to the new-energy team.
The Zhejiang branch, meeting the same company a week later, gets 409 with the lead's id.
"""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter, replace_dependencies

from services.branches.service import BranchesService
from shared.company import credit_code_check_char
from services.leads.service import LeadsService
from services.teams.service import TeamsService
from shared.clock import SettableClock
from shared.errors import Conflict, InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUNAN = {"username": "sn.han", "role": "branch_member", "branch_id": "sunan"}
ZHEJIANG = {"username": "zj.yang", "role": "branch_member", "branch_id": "zhejiang"}
SOLAR = {"industry": "太阳能电池", "investment_cny": 13_000_000_000, "title": "高效电池片项目"}


JIETAI_CODE = "91320500MA1MABCD1" + credit_code_check_char("91320500MA1MABCD1")
WRONG_CHECK_DIGIT = JIETAI_CODE[:-1] + ("0" if JIETAI_CODE[-1] != "0" else "1")


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def runner(config, runner_factory):
    runner = runner_factory(config, BranchesService, LeadsService, TeamsService)
    branches = container(runner, "branches")
    # Branches' clock stands on the second day of a past trip, so the leads service's real
    # clock never sees a first contact in the future.
    replace_dependencies(branches, clock=SettableClock(local(date(2026, 11, 11), 18)))
    runner.start()
    return runner


def container(runner, name):
    return next(c for c in runner.containers if c.service_name == name)


@pytest.fixture
def rpc(config, runner):
    with ServiceRpcProxy("branches", config) as branches, \
            ServiceRpcProxy("leads", config) as leads:
        yield branches, leads


def trip_with_visit(branches, viewer, company, **visit):
    trip = branches.create_trip(viewer["branch_id"], {
        "destination": "苏州", "start_date": "2026-11-10", "end_date": "2026-11-12"}, viewer)
    return branches.log_visit(trip["id"], {"company": company, **visit}, viewer)


def test_a_visit_becomes_a_lead_of_the_branch_assigned_to_its_team(runner, rpc, mongo, db_prefix):
    branches, leads = rpc
    visit = trip_with_visit(branches, SUNAN, "捷泰新能源科技有限公司", credit_code=JIETAI_CODE,
                            visited_at="2026-11-10T10:00:00+08:00",
                            contact={"name": "张总", "title": "副总经理"})

    with entrypoint_waiter(container(runner, "leads"), "record_team", timeout=10), \
            entrypoint_waiter(container(runner, "branches"), "count_sourced_lead", timeout=10):
        sourced = branches.source_lead(visit["id"], SOLAR, SUNAN)
    lead = leads.get(sourced["lead_id"])
    assert lead["source_branch_id"] == "sunan"
    assert lead["company"]["name"] == "捷泰新能源科技有限公司"
    assert lead["company"]["credit_code"] == JIETAI_CODE
    assert lead["team_id"] == "new-energy"
    assert lead["region"] == "苏州" and lead["contact"] == {"name": "张总", "title": "副总经理"}
    assert branches.get_visit(visit["id"], SUNAN)["lead_id"] == sourced["lead_id"]
    assert branches.results("sunan", {})["leads_sourced"] == 1

    # The same visit again: it is that lead already.
    with pytest.raises(Conflict) as exc:
        branches.source_lead(visit["id"], SOLAR, SUNAN)
    assert exc.value.extra["existing_id"] == sourced["lead_id"]

    # Zhejiang reports the same company, written differently and without a code: 409.
    later = trip_with_visit(branches, ZHEJIANG, "捷泰新能源科技 有限公司")
    with pytest.raises(Conflict) as exc:
        branches.source_lead(later["id"], SOLAR, ZHEJIANG)
    assert exc.value.extra == {"existing_id": sourced["lead_id"], "branch_id": "sunan"}
    # By the credit code alone, under another name, too.
    by_code = trip_with_visit(branches, ZHEJIANG, "捷泰", credit_code=JIETAI_CODE)
    with pytest.raises(Conflict):
        branches.source_lead(by_code["id"], SOLAR, ZHEJIANG)

    db = mongo[f"{db_prefix}branches"]
    assert db.outbox.count_documents({"type": "lead_sourced"}) == 1
    assert db.lead_claims.count_documents({"branch_id": "zhejiang"}) == 0


def test_a_company_already_a_lead_in_the_leads_service_is_409(runner, rpc, mongo, db_prefix):
    branches, leads = rpc
    existing = leads.create({"title": "巨石集团零碳智能制造基地",
                             "company": {"name": "巨石集团有限公司"},
                             "industry": "玻璃纤维", "investment_cny": 10_000_000_000}, {"username": "admin", "role": "admin"})
    visit = trip_with_visit(branches, SUNAN, "巨石集团股份有限公司")
    with pytest.raises(Conflict) as exc:
        branches.source_lead(visit["id"], {"industry": "玻璃纤维", "investment_cny": 1}, SUNAN)
    assert exc.value.extra["existing_id"] == existing["id"]
    db = mongo[f"{db_prefix}branches"]
    assert db.lead_claims.count_documents({}) == 0 and db.outbox.count_documents({}) == 0


def test_a_lead_without_industry_is_refused_and_nothing_is_claimed(runner, rpc, mongo, db_prefix):
    branches, _ = rpc
    visit = trip_with_visit(branches, SUNAN, "某精密制造有限公司")
    with pytest.raises(InvalidInput) as exc:
        branches.source_lead(visit["id"], {"investment_cny": 5}, SUNAN)
    assert exc.value.extra["errors"][0]["loc"] == ["body", "industry"]
    with pytest.raises(InvalidInput):
        branches.source_lead(visit["id"], {**SOLAR, "credit_code": WRONG_CHECK_DIGIT}, SUNAN)
    db = mongo[f"{db_prefix}branches"]
    assert db.lead_claims.count_documents({}) == 0 and db.outbox.count_documents({}) == 0
    assert db.visits.find_one({"_id": visit["id"]})["lead_id"] is None
