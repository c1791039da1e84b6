"""The leads service in a container on a throwaway vhost, against the real database."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter, replace_dependencies

from services.leads.service import LeadsService
from shared.clock import SettableClock
from shared.errors import Conflict, InvalidInput, NotFound
from shared.events import LeadSourced, make_event

CST = timezone(timedelta(hours=8))
# The caller of an RPC, as the gateway sends it (shared/scope.py Principal, as a dict).
ADMIN = {"username": "admin", "role": "admin"}
ZHAO = {"username": "xny.zhao", "role": "team_member"}
CHEN = {"username": "chen", "role": "leader"}
JIETAI = {
    "title": "捷泰新能源高效电池片项目",
    "company": {"name": "捷泰新能源科技有限公司", "credit_code": "91350100M000100Y43"},
    "industry": "光伏电池",
    "investment_cny": 13_000_000_000,
    "land_mu": 879,
}


@pytest.fixture
def clock():
    return SettableClock(datetime(2026, 4, 20, 10, tzinfo=CST))


@pytest.fixture
def leads(config, container_factory, clock):  # config first: its vhost outlives the container
    container = container_factory(LeadsService, config)
    replace_dependencies(container, clock=clock)
    container.start()
    return container


@pytest.fixture
def rpc(leads, config):
    with ServiceRpcProxy("leads", config) as proxy:
        yield proxy


@pytest.fixture
def leads_db(mongo, db_prefix):
    return mongo[f"{db_prefix}leads"]


def sent(leads_db) -> list[str]:
    return [e["type"] for e in leads_db.outbox.find().sort("created_at", 1)]


def test_create_stores_the_lead_and_its_event(leads, leads_db):
    with entrypoint_hook(leads, "create") as create:
        lead = create(JIETAI, ADMIN)

    assert lead["stage"] == "lead" and lead["team_id"] is None
    assert lead["major"] is True and lead["green_channel"] is True  # 13 billion yuan
    assert lead["created_by"] == "admin" and lead["changes"][0]["action"] == "created"
    stored = leads_db.leads.find_one({"_id": lead["id"]})
    assert stored["company"]["name"] == "捷泰新能源科技有限公司"
    outbox = list(leads_db.outbox.find())
    assert [e["type"] for e in outbox] == ["lead_created"]
    assert outbox[0]["sent_at"] is not None  # published right after the commit
    assert outbox[0]["payload"]["data"]["lead_id"] == lead["id"]


def test_same_credit_code_and_title_is_a_conflict_naming_the_first(leads, leads_db):
    with entrypoint_hook(leads, "create") as create:
        first = create(JIETAI, ADMIN)
    with entrypoint_hook(leads, "create") as create:
        with pytest.raises(Conflict) as exc:
            create(JIETAI, ADMIN)
    assert exc.value.extra["existing_id"] == first["id"]
    assert leads_db.leads.count_documents({}) == 1
    assert leads_db.outbox.count_documents({}) == 1


@pytest.mark.parametrize("field,value", [
    ("investment_cny", -1),
    ("industry", ""),
    ("unknown_field", 1),
])
def test_bad_input_is_refused_and_changes_nothing(leads, leads_db, field, value):
    with entrypoint_hook(leads, "create") as create:
        with pytest.raises(InvalidInput) as exc:
            create({**JIETAI, field: value}, ADMIN)
    assert ["body", field] in [e["loc"] for e in exc.value.extra["errors"]]
    assert leads_db.leads.count_documents({}) == 0
    assert leads_db.outbox.count_documents({}) == 0


def test_a_wrong_check_digit_names_the_credit_code(leads, leads_db):
    body = {**JIETAI, "company": {**JIETAI["company"], "credit_code": "91350100M000100Y44"}}
    with entrypoint_hook(leads, "create") as create:
        with pytest.raises(InvalidInput) as exc:
            create(body, ADMIN)
    assert exc.value.extra["errors"][0]["loc"] == ["body", "company", "credit_code"]
    assert exc.value.extra["errors"][0]["msg"] == "统一社会信用代码：无效：校验码为 4，应为 3"
    assert leads_db.leads.count_documents({}) == 0


def test_errors_cross_rpc_as_their_own_type(rpc):
    with pytest.raises(NotFound):
        rpc.get("no-such-lead")
    assert rpc.health() == {"service": "leads", "database": True}


def test_a_similar_company_name_is_flagged_and_found_for_the_branches(rpc):
    first = rpc.create(JIETAI, ADMIN)
    second = rpc.create({**JIETAI, "title": "捷泰二期", "company": {"name": "捷泰 新能源科技"}}, ADMIN)
    assert [{k: d[k] for k in ("id", "title", "company_name", "matched_by")}
            for d in second["possible_duplicates"]] == [{
        "id": first["id"], "title": JIETAI["title"], "company_name": "捷泰新能源科技有限公司",
        "matched_by": "company_name"}]

    by_code = rpc.find_existing("９１３５０１００Ｍ０００１００Ｙ４３", "anything")
    assert (by_code["id"], by_code["matched_by"]) == (first["id"], "credit_code")
    by_name = rpc.find_existing(None, "捷泰新能源科技股份有限公司")
    assert (by_name["id"], by_name["matched_by"]) == (first["id"], "company_name")
    # Another credit code is another company: only the lead without a code may be it.
    assert rpc.find_existing("91110000600037341L", "捷泰新能源科技有限公司")["id"] == second["id"]
    assert rpc.find_existing(None, "巨石集团") is None


def test_a_first_contact_in_the_future_is_refused(rpc, leads_db):
    with pytest.raises(InvalidInput) as exc:
        rpc.create({**JIETAI, "first_contact_at": "2026-12-01T09:00:00+08:00"}, ADMIN)
    assert exc.value.extra["errors"][0]["loc"] == ["body", "first_contact_at"]
    assert leads_db.leads.count_documents({}) == 0


class TestStageMoves:
    def test_forward_moves_send_lead_stage_changed(self, rpc, leads_db):
        lead = rpc.create(JIETAI, ADMIN)
        moved = rpc.move_stage(lead["id"], {"stage": "negotiating"}, ZHAO)
        assert (moved["stage"], moved["stage_zh"]) == ("negotiating", "在谈")
        assert [h["stage"] for h in moved["stage_history"]] == ["lead", "negotiating"]
        event = leads_db.outbox.find_one({"type": "lead_stage_changed"})["payload"]["data"]
        assert (event["from_stage"], event["to_stage"], event["move"], event["by"]) == (
            "lead", "negotiating", "forward", "xny.zhao")
        assert event["investment_cny"] == 13_000_000_000 and event["major"] is True

    def test_a_forbidden_move_is_409_listing_the_allowed_and_changes_nothing(self, rpc, leads_db):
        lead = rpc.create(JIETAI, ADMIN)
        rpc.move_stage(lead["id"], {"stage": "negotiating"}, ADMIN)
        with pytest.raises(Conflict) as exc:
            rpc.move_stage(lead["id"], {"stage": "lead", "note": "重新评估"}, ZHAO)
        assert exc.value.extra["current"] == "negotiating"
        assert exc.value.extra["allowed"] == [
            {"stage": "signed", "kind": "forward"}, {"stage": "land", "kind": "skip"},
            {"stage": "construction", "kind": "skip"}, {"stage": "production", "kind": "skip"}]
        with pytest.raises(InvalidInput) as exc:
            rpc.move_stage(lead["id"], {"stage": "land"}, ZHAO)
        assert exc.value.extra["errors"][0]["loc"] == ["body", "note"]
        with pytest.raises(InvalidInput) as exc:
            rpc.move_stage(lead["id"], {"stage": "signed", "at": "2026-04-21T09:00:00+08:00"},
                           ZHAO)
        assert exc.value.extra["errors"][0]["loc"] == ["body", "at"]
        assert rpc.get(lead["id"])["stage"] == "negotiating"
        assert sent(leads_db) == ["lead_created", "lead_stage_changed"]

    def test_a_leader_moves_back_with_a_reason(self, rpc, leads_db):
        lead = rpc.create(JIETAI, ADMIN)
        rpc.move_stage(lead["id"], {"stage": "signed", "note": "一次谈成"}, ADMIN)
        back = rpc.move_stage(lead["id"], {"stage": "negotiating", "note": "合同重谈"}, CHEN)
        assert back["stage"] == "negotiating"
        assert back["stage_history"][-1]["kind"] == "backward"
        moves = [e["payload"]["data"]["move"] for e in leads_db.outbox.find({"type": "lead_stage_changed"})]
        assert moves == ["skip", "backward"]

    def test_status_is_kept_apart_and_a_lost_lead_is_frozen(self, rpc, leads_db):
        lead = rpc.create(JIETAI, ADMIN)
        with pytest.raises(InvalidInput) as exc:
            rpc.change_status(lead["id"], {"status": "lost"}, ADMIN)
        assert exc.value.extra["errors"][0]["loc"] == ["body", "reason"]
        lost = rpc.change_status(lead["id"], {"status": "lost", "reason": "企业转投外省"}, ADMIN)
        assert (lost["status"], lost["stage"]) == ("lost", "lead")
        with pytest.raises(Conflict) as exc:
            rpc.move_stage(lead["id"], {"stage": "negotiating"}, ADMIN)
        assert exc.value.extra["allowed"] == []
        with pytest.raises(Conflict) as exc:
            rpc.change_status(lead["id"], {"status": "stalled"}, ADMIN)
        assert exc.value.extra == {"current": "lost", "allowed": ["active"]}
        event = leads_db.outbox.find_one({"type": "lead_status_changed"})["payload"]["data"]
        assert (event["from_status"], event["to_status"], event["reason"]) == ("active", "lost", "企业转投外省")
        assert sent(leads_db) == ["lead_created", "lead_status_changed"]


class TestFourOnesAndProgress:
    PLAN = {
        "project_lead": {"name": "陈国华", "title": "常务副县长", "username": "chen"},
        "service_group": {"name": "捷泰项目帮办服务组",
                          "members": [{"name": "赵磊", "department": "县发展和改革委员会"}]},
        "plan": [
            {"milestone": "signed", "planned_date": "2026-01-31"},
            {"milestone": "relocation_done", "planned_date": "2026-02-10"},
            {"milestone": "land_listed", "planned_date": "2026-03-15"},
            {"milestone": "groundbreaking", "planned_date": "2026-03-31"},
            {"milestone": "trial_production", "planned_date": "2026-04-30"},
        ],
    }

    def test_jietai_plan_actuals_progress_and_cycle_times(self, rpc, leads_db):
        lead = rpc.create({**JIETAI, "first_contact_at": "2026-01-05T09:00:00+08:00"}, ADMIN)
        rpc.set_four_ones(lead["id"], self.PLAN, ADMIN)
        rpc.move_stage(lead["id"], {"stage": "negotiating", "at": "2026-01-08T10:00:00+08:00"}, ADMIN)
        rpc.move_stage(lead["id"], {"stage": "signed", "at": "2026-01-26T15:00:00+08:00"}, ADMIN)
        rpc.record_milestone(lead["id"], "relocation_done", {"actual_date": "2026-02-03"}, ADMIN)
        rpc.move_stage(lead["id"], {"stage": "land", "at": "2026-03-15T10:00:00+08:00"}, ADMIN)
        rpc.move_stage(lead["id"], {"stage": "construction", "at": "2026-03-18T10:00:00+08:00"}, ADMIN)

        days = {c["key"]: c["days"] for c in rpc.cycle_times(lead["id"])["cycle_times"]}
        assert (days["contact_to_signing"], days["signing_to_relocation"],
                days["signing_to_land_listed"], days["signing_to_groundbreaking"]) == (21, 8, 48, 51)

        table = rpc.progress(lead["id"])
        rows = {r["milestone"]: r for r in table["milestones"]}
        assert rows["signed"] == {"milestone": "signed", "label": "签约", "planned_date": "2026-01-31",
                                  "actual_date": "2026-01-26", "days_late": -5, "state": "early"}
        assert rows["groundbreaking"]["days_late"] == -13
        assert table["next_due"] == {"milestone": "trial_production", "label": "试生产",
                                     "planned_date": "2026-04-30", "days_left": 10}
        assert table["project_lead"]["name"] == "陈国华"

        reached = [e["payload"]["data"] for e in leads_db.outbox.find({"type": "milestone_reached"}).sort("created_at", 1)]
        assert [(r["milestone"], r["actual_date"], r["days_late"]) for r in reached] == [
            ("signed", "2026-01-26", -5), ("relocation_done", "2026-02-03", -7),
            ("land_listed", "2026-03-15", 0), ("groundbreaking", "2026-03-18", -13)]
        assert leads_db.outbox.count_documents({"type": "four_ones_recorded"}) == 1

    def test_a_milestone_not_in_the_plan_or_in_the_future_is_422_and_changes_nothing(self, rpc, leads_db):
        lead = rpc.create(JIETAI, ADMIN)
        with pytest.raises(InvalidInput) as exc:
            rpc.record_milestone(lead["id"], "signed", {"actual_date": "2026-01-26"}, ADMIN)
        assert exc.value.extra["errors"][0]["msg"] == \
            "节点：signed 不在该项目的计划节点中；计划节点：无（请先录入四个一）"
        rpc.set_four_ones(lead["id"], self.PLAN, ADMIN)
        before = leads_db.leads.find_one({"_id": lead["id"]})
        with pytest.raises(InvalidInput) as exc:
            rpc.record_milestone(lead["id"], "ribbon_cutting", {"actual_date": "2026-01-26"}, ADMIN)
        assert exc.value.extra["errors"][0]["loc"] == ["path", "milestone"]
        with pytest.raises(InvalidInput) as exc:
            rpc.record_milestone(lead["id"], "signed", {"actual_date": "2026-04-21"}, ADMIN)
        assert exc.value.extra["errors"][0]["loc"] == ["body", "actual_date"]
        assert leads_db.leads.find_one({"_id": lead["id"]}) == before
        assert sent(leads_db) == ["lead_created", "four_ones_recorded"]

    def test_a_plan_naming_a_milestone_twice_is_422(self, rpc, leads_db):
        lead = rpc.create(JIETAI, ADMIN)
        plan = {**self.PLAN, "plan": self.PLAN["plan"] + [{"milestone": "signed", "planned_date": "2026-02-01"}]}
        with pytest.raises(InvalidInput) as exc:
            rpc.set_four_ones(lead["id"], plan, ADMIN)
        assert exc.value.extra["errors"][0]["loc"] == ["body", "plan"]
        assert rpc.get(lead["id"])["four_ones"] is None


def test_patch_keeps_an_audit_trail_and_sends_lead_updated(rpc, leads_db):
    lead = rpc.create({**JIETAI, "investment_cny": 900_000_000}, ADMIN)
    assert lead["major"] is False
    patched = rpc.update(lead["id"], {"investment_cny": 13_000_000_000, "region": "上海"}, ZHAO)
    assert patched["major"] is True
    assert patched["changes"][-1]["fields"] == {
        "investment_cny": {"from": 900_000_000, "to": 13_000_000_000}, "region": {"from": None, "to": "上海"}}
    event = leads_db.outbox.find_one({"type": "lead_updated"})["payload"]["data"]
    assert event["changed"] == ["investment_cny", "region"] and event["major"] is True

    other = rpc.create({**JIETAI, "title": "捷泰二期"}, ADMIN)
    with pytest.raises(Conflict) as exc:
        rpc.update(other["id"], {"title": JIETAI["title"]}, ADMIN)
    assert exc.value.extra["existing_id"] == lead["id"]
    with pytest.raises(InvalidInput) as exc:
        rpc.update(other["id"], {"title": None}, ADMIN)
    assert leads_db.outbox.count_documents({"type": "lead_updated"}) == 1


class TestLists:
    def make(self, rpc):
        rows = [("巨石集团零碳智能制造基地", "巨石集团有限公司", 10_000_000_000, "b1"),
                ("捷泰新能源高效电池片项目", "捷泰新能源科技有限公司", 13_000_000_000, "b2"),
                ("今世缘南厂区技改扩能项目", "江苏今世缘酒业股份有限公司", 12_000_000_000, "b1"),
                ("电池材料小试线", "某某新材料有限公司", 50_000_000, "b2")]
        return [rpc.create({"title": t, "company": {"name": c}, "industry": "x", "investment_cny": i,
                            "source_branch_id": b}, ADMIN) for t, c, i, b in rows]

    def test_search_in_chinese_filters_sort_and_pages(self, rpc):
        made = self.make(rpc)
        assert [lead["title"] for lead in rpc.list({"q": "电池"})["items"]] == [
            "捷泰新能源高效电池片项目", "电池材料小试线"]  # major first
        assert [lead["title"] for lead in rpc.list({"q": "今世缘酒业"})["items"]] == ["今世缘南厂区技改扩能项目"]
        assert rpc.list({"q": "巨石 基地"})["total"] == 1
        assert rpc.list({"q": "石捷"})["total"] == 0
        # In order of creation the next page comes by its cursor; a cursor not of ours is a 422.
        first = rpc.list({"page_size": "3"})
        rest = rpc.list({"page_size": "3", "after": first["next_cursor"]})
        assert (first["total"], first["total_capped"], rest["total"], rest["next_cursor"]) == \
            (3, True, 4, None)
        assert {d["id"] for d in first["items"] + rest["items"]} == {d["id"] for d in made}
        with pytest.raises(InvalidInput) as exc:
            rpc.list({"after": "not-a-cursor"})
        assert exc.value.extra["errors"][0]["loc"] == ["query", "after"]
        assert exc.value.extra["errors"][0]["msg"] == "翻页位置：无效，请从第一页重新打开列表"
        by_money = rpc.list({"sort": "-investment_cny", "page_size": "2"})
        assert [lead["investment_cny"] for lead in by_money["items"]] == [13_000_000_000, 12_000_000_000]
        assert (by_money["total"], by_money["page_size"]) == (4, 2)
        page2 = rpc.list({"sort": "-investment_cny", "page_size": "2", "page": "2"})
        assert [lead["investment_cny"] for lead in page2["items"]] == [10_000_000_000, 50_000_000]
        assert rpc.list({"branch_id": "b1", "major": "true"})["total"] == 2
        assert "stage_history" not in page2["items"][0] and "search_keys" not in page2["items"][0]
        assert made[0]["id"] in {lead["id"] for lead in rpc.list({"branch_id": "b1"})["items"]}

    def test_bad_filters_are_422(self, rpc):
        for query, field in [({"sort": "color"}, "sort"), ({"stage": "done"}, "stage"), ({"q": " "}, "q")]:
            with pytest.raises(InvalidInput) as exc:
                rpc.list(query)
            assert ["query", field] in [e["loc"] for e in exc.value.extra["errors"]], query

    def test_a_search_reads_the_leads_of_one_key(self, rpc, leads_db):
        self.make(rpc)
        # The database is asked for one key's leads (by its index); the other keys are checked
        # on those: every query the lists send is explained by the query guard (tests/query_guard).
        plan = leads_db.leads.find({"search_keys": "电池"}).explain()["queryPlanner"]["winningPlan"]
        assert "IXSCAN" in str(plan) and "COLLSCAN" not in str(plan), plan
        assert rpc.list({"q": "电池 小试"})["total"] == 1


def test_a_lead_sourced_by_a_branch_is_created_once_with_its_branch(leads, leads_db, config):
    lead_id = uuid.uuid4().hex
    event = make_event("branches", LeadSourced(
        lead_id=lead_id, branch_id="shanghai", trip_id="t1", visit_id="v1", sourced_by="sh.li",
        title="某光伏组件项目", company_name="某光伏科技有限公司", industry="光伏",
        investment_cny=800_000_000, contact={"name": "王总"},
    ), datetime(2026, 4, 19, tzinfo=CST)).model_dump(mode="json")
    dispatch = event_dispatcher(config)
    for _ in range(2):
        with entrypoint_waiter(leads, "create_sourced", timeout=10):
            dispatch("branches", "lead_sourced", event)
    stored = leads_db.leads.find_one({"_id": lead_id})
    assert (stored["source_branch_id"], stored["created_by"], stored["source"]["visit_id"]) == (
        "shanghai", "sh.li", "v1")
    created = list(leads_db.outbox.find({"type": "lead_created"}))
    assert len(created) == 1 and created[0]["payload"]["data"]["source_branch_id"] == "shanghai"
