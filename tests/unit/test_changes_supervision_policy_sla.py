"""Each domain decision of supervision, policy and sla is one Change: the fields it sets and
the event that announces it are built together, so they agree (no nameko, no database)."""
import copy
from datetime import date, datetime, timedelta, timezone

import pytest

from services.policy import domain as policy
from services.sla import domain as sla
from services.supervision import domain as supervision
from shared.errors import Conflict
from shared.events import (
    PolicyItemPaused, PolicyItemReplied, PolicyRequestClosed, PolicyRequestReceived,
    ProblemFeedbackRecorded, ProblemPlanned, ProblemProgressReported, ProblemRaised,
    ProblemResolved, SlaWarning,
)

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
LEAD = {"id": "lead-1", "title": "高效太阳能电池片项目", "team_id": "new-energy",
        "four_ones": {"project_lead": {"name": "王项目长", "username": "wangxm"}}}


def applied(doc: dict, change) -> dict:
    """The document after a change's fields (top-level and dotted) and appends."""
    doc = copy.deepcopy(doc)
    for path, value in change.set.items():
        *parents, last = path.split(".")
        target = doc
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    for name, entries in change.append.items():
        doc[name] = [*doc.get(name, []), *entries]
    return doc


def raised_problem() -> dict:
    change = supervision.raised("p1", LEAD, "用电报装慢", "……", "县供电公司", "general", NOW,
                                "zhang", None, ["用电"], NOW)
    return dict(change.set)


class TestTheProblemLoop:
    def test_raising_sets_the_problem_and_announces_it_with_the_same_facts(self):
        change = supervision.raised("p1", LEAD, "用电报装慢", "……", "县供电公司", "complex",
                                    NOW, "zhang", None, ["用电"], NOW)
        (event,) = change.events
        assert isinstance(event, ProblemRaised)
        assert event.problem.problem_id == change.set["_id"] == "p1"
        assert event.problem.complexity == change.set["complexity"] == "complex"
        assert change.set["deadlines"]["solve"]["clock_id"] == "problem_complex:p1"
        assert event.problem.project_lead == change.set["project_lead"] == "wangxm"

    def test_feedback_sets_the_status_appends_the_step_and_announces_it(self):
        change = supervision.give_feedback(raised_problem(), "已受理", NOW, "gdgs")
        (event,) = change.events
        assert isinstance(event, ProblemFeedbackRecorded)
        assert change.set["status"] == "feedback_given" and change.set["updated_at"] == event.at
        assert change.append["history"] == ({"step": "feedback", "at": NOW, "by": "gdgs"},)
        assert event.by == change.set["feedback"]["by"] == "gdgs"

    def test_a_step_the_loop_does_not_allow_is_a_conflict_and_changes_nothing(self):
        with pytest.raises(supervision.StepNotAllowed) as caught:
            supervision.resolve(raised_problem(), "已解决", NOW, "gdgs")
        assert isinstance(caught.value, Conflict) and caught.value.extra["allowed"] == ["feedback"]

    def test_the_first_plan_starts_the_report_clock_its_event_names(self):
        problem = applied(raised_problem(), supervision.give_feedback(
            raised_problem(), "已受理", NOW, "gdgs"))
        problem = applied(problem, supervision.analyse(problem, "线路容量不足", "扩容", NOW, "gdgs"))
        first = supervision.plan(problem, [("扩容变电站", date(2026, 12, 30))], None,
                                 date(2026, 11, 20), NOW, "gdgs")
        (event,) = first.events
        assert isinstance(event, ProblemPlanned)
        assert first.set["deadlines.progress_report"]["clock_id"] == (
            f"plan_progress_report:{event.report_clock}")
        planned = applied(problem, first)
        revised = supervision.plan(planned, [("扩容变电站", date(2027, 1, 30))], "延期",
                                   date(2026, 11, 21), NOW, "gdgs")
        assert revised.events[0].report_clock is None
        assert "deadlines.progress_report" not in revised.set
        assert revised.set["plan"]["revision"] == 2

        reported = supervision.report_progress(planned, "已完成选址", [1], NOW, "gdgs")
        (event,) = reported.events
        assert isinstance(event, ProblemProgressReported)
        assert reported.append["progress_reports"][0]["n"] == event.n == 1
        assert reported.set["deadlines.progress_report"]["clock_id"] == (
            f"plan_progress_report:{event.next_clock}")
        assert reported.set["report_n"] == 2

        resolved = supervision.resolve(applied(planned, reported), "已通电", NOW, "gdgs")
        assert isinstance(resolved.events[0], ProblemResolved)
        assert resolved.events[0].report_clock == event.next_clock  # the month's open clock stops
        assert resolved.set["status"] == "resolved" and resolved.set["resolved_at"] == NOW


def request_of(*categories) -> dict:
    body = {"lead_id": "lead-1", "enterprise": "捷泰新能源科技有限公司", "received_at": None,
            "items": [{"topic": f"诉求{c}", "category": c, "text": "……"} for c in categories]}
    return policy.new_request("r1", body, LEAD, dict(policy.DEFAULT_ROUTES), "admin", NOW)


def reply_body(department):
    return {"text": "同意", "department": department, "signer": "王局长",
            "reference_no": "涟函〔2026〕1号"}


class TestPolicyRequests:
    def test_a_submitted_request_announces_its_items_as_routed(self):
        request = request_of("land", "power")
        (event,) = policy.submitted(request, "admin").events
        assert isinstance(event, PolicyRequestReceived)
        assert [(i.n, i.department) for i in event.items] == [
            (i["n"], i["department"]) for i in request["items"]]
        assert event.due_at == request["due_at"]

    def test_the_last_reply_closes_the_request_and_says_so(self):
        request = request_of("land")
        change = policy.reply(request, request["items"][0], reply_body("县自然资源和规划局"),
                              "zrj", NOW)
        replied, closed = change.events
        assert isinstance(replied, PolicyItemReplied) and isinstance(closed, PolicyRequestClosed)
        assert change.set["status"] == "closed" and closed.closed_at == change.set["closed_at"]
        assert replied.department == change.set["items.0.reply"]["department"]

    def test_a_reply_that_is_not_the_last_closes_nothing(self):
        request = request_of("land", "power")
        change = policy.reply(request, request["items"][0], reply_body("县自然资源和规划局"),
                              "zrj", NOW)
        assert [type(e) for e in change.events] == [PolicyItemReplied]
        assert "status" not in change.set

    def test_a_pause_and_its_event_name_the_same_key_and_the_reply_ends_it(self):
        request = request_of("land")
        paused = policy.pause(request, request["items"][0], "等待补充材料", NOW)
        (event,) = paused.events
        assert isinstance(event, PolicyItemPaused)
        assert paused.set["items.0.pauses"][-1]["key"] == event.pause_key
        request["items"][0].update(status="paused", pauses=paused.set["items.0.pauses"])
        later = NOW + timedelta(hours=1)
        replied = policy.reply(request, request["items"][0], reply_body("县自然资源和规划局"),
                               "zrj", later)
        assert replied.events[0].ended_pause == event.pause_key
        assert replied.set["items.0.pauses.0.until"] == later


class TestClockEvaluation:
    def test_a_threshold_fired_is_recorded_with_the_warning_it_sends(self):
        started = NOW - timedelta(hours=44)  # 92% of 48 hours
        doc = {"_id": "policy_reply:r1-1", "kind": "policy_reply", "subject_id": "r1-1",
               "started_at": started, "target_seconds": 48 * 3600, "working_days": False,
               "thresholds": [50, 75, 90, 100], "fired": 75, "state": "warning",
               "alerts": {"90": ["team-leader"]}, "label_zh": "48小时答复",
               "context": {"title": "捷泰：第1项", "departments": ["县供电公司"]}}
        facts = sla.ClockFacts(started_at=started, target_seconds=48 * 3600, working_days=False,
                               thresholds=(50, 75, 90, 100), holds=(), stopped_at=None,
                               fired=75)
        result = sla.evaluate(facts, NOW, {})
        change = sla.settled(doc, facts, result, NOW)
        (event,) = change.events
        assert isinstance(event, SlaWarning) and event.threshold == 90
        assert change.set["fired"] == 90 and change.set["fired_at.90"] == NOW
        assert event.due_at == change.set["due_at"]
