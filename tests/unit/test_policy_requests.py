"""Policy request rules without nameko or a database: routing, scope, replies, pauses."""
from datetime import datetime, timedelta, timezone

import pytest

from services.policy import domain
from shared.errors import Conflict, InvalidInput, NotFound

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
LEAD = {"title": "高效太阳能电池片项目", "team_id": "new-energy",
        "four_ones": {"project_lead": {"name": "王项目长", "username": "wangxm"}}}


def request_of(*categories, received_at=None, **item):
    body = {"lead_id": "lead-1", "enterprise": "捷泰新能源科技有限公司", "received_at": received_at,
            "items": [{"topic": f"诉求{c}", "category": c, "text": "……", **item}
                      for c in categories]}
    return domain.new_request("r1", body, LEAD, dict(domain.DEFAULT_ROUTES), "admin", NOW)


def reply_body(department, reference_no="涟函〔2026〕1号"):
    return {"text": "同意", "department": department, "signer": "王局长",
            "reference_no": reference_no}


def apply(request, change):
    """Apply a change's fields (dotted paths) to a copy, as MongoDB would."""
    import copy
    doc = copy.deepcopy(request)
    for path, value in change.set.items():
        *parents, last = path.split(".")
        target = doc
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return doc


class TestIntake:
    def test_items_are_numbered_and_routed_by_category_unless_a_department_is_named(self):
        request = request_of("land", "power", "environment", "permit")
        assert [(i["n"], i["department"]) for i in request["items"]] == [
            (1, "县自然资源和规划局"), (2, "县供电公司"), (3, "县生态环境局"), (4, "县行政审批局")]
        named = request_of("other", department="县发展和改革委员会")
        assert named["items"][0]["department"] == "县发展和改革委员会"

    def test_the_promise_is_48_hours_from_receipt_and_the_project_lead_is_kept(self):
        request = request_of("land", received_at=NOW - timedelta(hours=47))
        assert request["due_at"] == NOW + timedelta(hours=1)
        assert request["project_lead"] == "wangxm" and request["team_id"] == "new-energy"

    def test_received_in_the_future_is_refused(self):
        with pytest.raises(InvalidInput) as caught:
            request_of("land", received_at=NOW + timedelta(minutes=1))
        assert caught.value.extra["errors"][0]["loc"] == ["body", "received_at"]


class TestScope:
    def test_a_department_sees_only_its_items_and_another_departments_item_is_404(self):
        request = request_of("land", "power")
        land = {"role": "department", "department": "县自然资源和规划局"}
        assert [i["n"] for i in domain.scoped(land, request)["items"]] == [1]
        with pytest.raises(NotFound):
            domain.item_for(land, request, 2)

    def test_a_team_member_of_another_team_and_a_branch_member_see_nothing(self):
        request = request_of("land")
        assert domain.may_see({"role": "team_member", "team_id": "new-energy"}, request)
        assert not domain.may_see({"role": "team_member", "team_id": "food-liquor"}, request)
        assert not domain.may_see({"role": "branch_member", "branch_id": "b1"}, request)
        assert domain.may_see({"role": "inspector"}, request)


class TestReplies:
    def test_the_last_reply_closes_the_request(self):
        request = request_of("land", "power")
        first = apply(request, domain.reply(request, request["items"][0],
                                            reply_body("县自然资源和规划局"), "zrj", NOW))
        assert first["status"] == "open" and first["items"][0]["status"] == "replied"
        changes = domain.reply(first, first["items"][1], reply_body("县供电公司"), "gdgs", NOW)
        assert changes.set["status"] == "closed" and changes.set["closed_at"] == NOW

    def test_a_second_reply_is_a_conflict_and_a_reply_from_another_department_is_404(self):
        request = request_of("land", "power")
        done = apply(request, domain.reply(request, request["items"][0],
                                           reply_body("县自然资源和规划局"), "zrj", NOW))
        with pytest.raises(Conflict):
            domain.reply(done, done["items"][0], reply_body("县自然资源和规划局"), "zrj", NOW)
        with pytest.raises(NotFound):
            domain.reply(done, done["items"][1], reply_body("县自然资源和规划局"), "zrj", NOW)

    def test_reference_numbers_are_unique_per_department_and_county_year(self):
        new_year_eve_utc = datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc)  # 1 Jan in the county
        assert domain.reference_key("县供电公司", "1号", new_year_eve_utc) == "县供电公司|2027|1号"
        assert (domain.reference_key("县供电公司", "1号", NOW)
                != domain.reference_key("县商务局", "1号", NOW))


class TestPauses:
    def test_pause_resume_and_a_reply_that_ends_a_pause(self):
        request = request_of("land")
        changes = domain.pause(request, request["items"][0], "等待补充材料", NOW)
        paused = apply(request, changes)
        key = changes.events[0].pause_key
        assert key == "item-1-1" and paused["items"][0]["status"] == "paused"
        with pytest.raises(Conflict) as caught:
            domain.pause(paused, paused["items"][0], None, NOW)
        assert caught.value.extra["allowed"] == ["resume"]
        replied = domain.reply(paused, paused["items"][0], reply_body("县自然资源和规划局"), "z", NOW)
        assert replied.set["items.0.pauses.0.until"] == NOW
        changes = domain.resume(paused, paused["items"][0], NOW + timedelta(hours=2))
        key = changes.events[0].pause_key
        assert key == "item-1-1" and changes.set["items.0.status"] == "open"

    def test_resuming_an_item_that_is_not_paused_is_a_conflict(self):
        request = request_of("land")
        with pytest.raises(Conflict):
            domain.resume(request, request["items"][0], NOW)


def test_the_list_state_follows_the_clock():
    assert domain.sla_state_after("sla_warning", {"threshold": 50}) is None
    assert domain.sla_state_after("sla_warning", {"threshold": 90}) == "warning"
    assert domain.sla_state_after("sla_breached", {}) == "breached"
    assert domain.sla_state_after("clock_stopped", {"state": "met_late"}) == "met_late"


class TestTheRequestsStateFollowsItsItems:
    def test_met_when_all_are_met_breached_when_any_is(self):
        assert domain.request_sla_state(["met", "met"]) == "met"
        assert domain.request_sla_state(["met", "met_late"]) == "met_late"
        assert domain.request_sla_state(["met", "on_track", "breached"]) == "breached"
        assert domain.request_sla_state(["met_late", "on_track"]) == "breached"
        assert domain.request_sla_state(["warning", None]) == "warning"
        assert domain.request_sla_state([None, "on_track"]) == "on_track"

    def test_an_items_state_never_goes_back(self):
        assert domain.later_state("met", "warning") == "met"
        assert domain.later_state("warning", "breached") == "breached"
        assert domain.later_state(None, "warning") == "warning"

    def test_subjects_name_the_item(self):
        assert domain.item_of_subject("abc123-16") == ("abc123", 16)
        assert domain.item_of_subject("abc123") == ("abc123", None)
