"""Every event that crosses the broker: one pydantic model each, wrapped in one envelope.

Events are past tense and published on the topic exchange `<source>.events` with the
event type as routing key. `@event(source, type)` puts a model in `EVENTS`, the single
table of (source, type) -> data model; the README's event table mirrors it. Each service's
events have a section of their own below.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Optional

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from shared.errors import InvalidInput, invalid_from_pydantic


class EventData(BaseModel):
    # Unknown fields are refused: a producer and a consumer that disagree should fail loudly.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID
    type: str
    occurred_at: AwareDatetime
    source: str
    schema_version: int = 1
    data: dict


EVENTS: dict[tuple[str, str], type[EventData]] = {}


def event(source: str, event_type: str):
    """Register the decorated model as the data of `source`'s `event_type` events."""
    def register(model: type[EventData]) -> type[EventData]:
        if (source, event_type) in EVENTS:
            raise ValueError(f"{source}.{event_type} is declared twice")
        EVENTS[(source, event_type)] = model
        return model
    return register


# --- leads -------------------------------------------------------------------------------

@event("leads", "lead_created")
class LeadCreated(EventData):
    lead_id: str
    title: str
    company_name: str
    credit_code: Optional[str] = None
    industry: str
    investment_cny: int
    land_mu: Optional[float] = None
    source_branch_id: Optional[str] = None
    major: bool


@event("leads", "lead_stage_changed")
class LeadStageChanged(EventData):
    """A lead moved along lead -> negotiating -> signed -> land -> construction -> production."""

    lead_id: str
    title: str
    from_stage: str
    to_stage: str
    at: AwareDatetime
    by: str
    team_id: Optional[str] = None
    source_branch_id: Optional[str] = None
    investment_cny: int
    major: bool
    move: str = "forward"  # forward, skip or backward
    note: Optional[str] = None


@event("leads", "milestone_reached")
class MilestoneReached(EventData):
    """A milestone of the lead's plan happened (recorded, or reached by a stage move)."""

    lead_id: str
    title: str
    milestone: str
    label: str
    planned_date: Optional[date] = None
    actual_date: date
    days_late: Optional[int] = None  # actual minus planned; negative: early
    previous_actual_date: Optional[date] = None  # set when this corrects an earlier record
    team_id: Optional[str] = None
    major: bool
    by: str


@event("leads", "lead_status_changed")
class LeadStatusChanged(EventData):
    """active / stalled / lost, kept apart from the stage; losing a lead carries the reason."""

    lead_id: str
    title: str
    from_status: str
    to_status: str
    reason: Optional[str] = None
    at: AwareDatetime
    by: str
    team_id: Optional[str] = None
    stage: str
    investment_cny: int
    major: bool


@event("leads", "lead_updated")
class LeadUpdated(EventData):
    """Fields of a lead changed (PATCH); carries the values other services keep copies of."""

    lead_id: str
    title: str
    changed: list[str]
    industry: str
    investment_cny: int
    major: bool
    source_branch_id: Optional[str] = None
    by: str


@event("leads", "four_ones_recorded")
class FourOnesRecorded(EventData):
    """The "four ones" of a project were set or replaced: project lead, service group, plan."""

    lead_id: str
    title: str
    project_lead: str
    project_lead_username: Optional[str] = None
    milestones: list[str]
    team_id: Optional[str] = None
    major: bool
    by: str


# --- teams -------------------------------------------------------------------------------

@event("teams", "lead_assigned")
class LeadAssigned(EventData):
    lead_id: str
    title: str
    team_id: str
    team_name: str
    county_leader: str
    matched_keyword: str
    major: bool
    owner: Optional[str] = None  # the team member who follows the lead (fewest open leads)
    # Set on a reassignment by a leader or an admin (also out of triage).
    previous_team_id: Optional[str] = None
    assigned_by: Optional[str] = None
    reason: Optional[str] = None


@event("teams", "routing_rule_changed")
class RoutingRuleChanged(EventData):
    """An admin pointed an industry keyword at a team (team_id) or removed it (team_id None)."""

    keyword: str
    team_id: Optional[str] = None
    previous_team_id: Optional[str] = None
    by: str


@event("teams", "lead_unrouted")
class LeadUnrouted(EventData):
    """No routing rule covers the lead's industry: it waits in triage for an admin."""

    lead_id: str
    title: str
    industry: str


# --- branches ----------------------------------------------------------------------------

@event("branches", "lead_sourced")
class LeadSourced(EventData):
    """A visit turned into a lead: leads creates it under `lead_id`, with the branch as source."""

    lead_id: str
    branch_id: str
    trip_id: str
    visit_id: str
    sourced_by: str
    title: str
    company_name: str
    credit_code: Optional[str] = None
    industry: str
    investment_cny: int
    land_mu: Optional[float] = None
    region: Optional[str] = None
    contact: Optional[dict] = None
    first_contact_at: Optional[AwareDatetime] = None
    notes: Optional[str] = None


@event("branches", "trip_day_unreported")
class TripDayUnreported(EventData):
    """A trip day passed its summary deadline with no visits and no summary."""

    branch_id: str
    trip_id: str
    day: date
    destination: str
    secretary: str  # the branch secretary's username: the alert goes to user:<secretary>

# --- policy ------------------------------------------------------------------------------

class PolicyItemRouted(EventData):
    """One numbered item of a request and the department that must answer it."""

    n: int
    topic: str
    category: str
    department: str


@event("policy", "policy_request_received")
class PolicyRequestReceived(EventData):
    """An enterprise's batch of requests arrived: sla starts the 48-hour clock at `received_at`."""

    request_id: str
    lead_id: str
    lead_title: str
    enterprise: str
    received_at: AwareDatetime
    due_at: AwareDatetime
    items: list[PolicyItemRouted]
    # Who hears of it at 90%: the team's county leader (team-leader:<team_id>) and the project lead.
    team_id: Optional[str] = None
    project_lead: Optional[str] = None


@event("policy", "policy_item_replied")
class PolicyItemReplied(EventData):
    """A stamped reply (盖章函复) to one item."""

    request_id: str
    n: int
    department: str
    reference_no: str
    signer: str
    replied_at: AwareDatetime
    # The item was paused when replied: that wait ends with the reply.
    ended_pause: Optional[str] = None


@event("policy", "policy_item_paused")
class PolicyItemPaused(EventData):
    """An item waits for the enterprise's documents: the request's clock stops counting."""

    request_id: str
    n: int
    pause_key: str  # unique per pause, e.g. "item-3-1": resumed names the same key
    paused_at: AwareDatetime
    note: Optional[str] = None


@event("policy", "policy_item_resumed")
class PolicyItemResumed(EventData):
    request_id: str
    n: int
    pause_key: str
    resumed_at: AwareDatetime


@event("policy", "policy_request_closed")
class PolicyRequestClosed(EventData):
    """Every item has its stamped reply: sla stops the clock."""

    request_id: str
    received_at: AwareDatetime
    closed_at: AwareDatetime
    items: int

# --- sla ---------------------------------------------------------------------------------

class ClockContext(EventData):
    """What the alert ladder needs to address an SLA alert, carried by the clock."""

    title: str
    lead_id: Optional[str] = None
    departments: list[str] = []  # the departments that still owe their part
    team_id: Optional[str] = None
    project_lead: Optional[str] = None


@event("sla", "sla_warning")
class SlaWarning(EventData):
    """A clock passed one of its warning thresholds (50, 75 or 90 percent of the target)."""

    clock_id: str
    kind: str
    label_zh: str  # the promise in the county's words, e.g. 政策和要素保障诉求48小时答复
    subject_id: str
    threshold: int
    elapsed_pct: float
    started_at: AwareDatetime
    due_at: AwareDatetime
    estimated: bool = False  # counted on Monday-Friday for a year with no holiday table
    notify: list[str]  # audiences of the ladder: department, team_leader, project_lead, supervision
    context: ClockContext


@event("sla", "sla_breached")
class SlaBreached(EventData):
    """A clock reached 100 percent of its target with the promise still open."""

    clock_id: str
    kind: str
    label_zh: str  # the promise in the county's words, e.g. 政策和要素保障诉求48小时答复
    subject_id: str
    elapsed_pct: float
    started_at: AwareDatetime
    due_at: AwareDatetime
    estimated: bool = False
    notify: list[str]
    context: ClockContext


@event("sla", "clock_stopped")
class ClockStopped(EventData):
    """The promise was kept (`met`) or kept late (`met_late`); `counted_seconds` excludes pauses."""

    clock_id: str
    kind: str
    subject_id: str
    state: str
    started_at: AwareDatetime
    stopped_at: AwareDatetime
    due_at: AwareDatetime
    counted_seconds: float


# --- supervision -------------------------------------------------------------------------

class ProblemRef(EventData):
    """Who and what a problem is about: enough for sla's clock context and the notifier."""

    problem_id: str
    lead_id: str
    lead_title: str
    title: str
    owner_department: str
    complexity: str  # general (7 days) or complex (1 month)
    team_id: Optional[str] = None
    project_lead: Optional[str] = None


@event("supervision", "problem_raised")
class ProblemRaised(EventData):
    """sla starts the 3-day feedback clock and the 7-day or 1-month solve clock at raised_at."""

    problem: ProblemRef
    raised_at: AwareDatetime
    by: str


@event("supervision", "problem_feedback_recorded")
class ProblemFeedbackRecorded(EventData):
    """The owner department answered: sla stops the feedback clock."""

    problem: ProblemRef
    at: AwareDatetime
    by: str


@event("supervision", "problem_analysed")
class ProblemAnalysed(EventData):
    problem: ProblemRef
    at: AwareDatetime
    by: str


class PlanStep(EventData):
    step: str
    due_date: date


@event("supervision", "problem_planned")
class ProblemPlanned(EventData):
    """A plan for a problem that cannot be solved soon; the first plan makes sla start the
    monthly progress-report clock `report_clock` (a revised plan leaves it running: None)."""

    problem: ProblemRef
    at: AwareDatetime
    by: str
    steps: list[PlanStep]
    report_clock: Optional[str] = None


@event("supervision", "problem_progress_reported")
class ProblemProgressReported(EventData):
    """A monthly progress report: sla stops clock `stopped_clock` and starts `next_clock`."""

    problem: ProblemRef
    at: AwareDatetime
    by: str
    n: int
    stopped_clock: str
    next_clock: str


@event("supervision", "problem_resolved")
class ProblemResolved(EventData):
    """Solved: sla stops the solve clock and the progress-report clock `report_clock` if any."""

    problem: ProblemRef
    at: AwareDatetime
    by: str
    report_clock: Optional[str] = None


@event("supervision", "problem_deadline_missed")
class ProblemDeadlineMissed(EventData):
    """A problem's deadline (feedback, solve or monthly progress report) passed: the notifier
    tells its department (sla's own breach alert goes to the supervision office)."""

    problem: ProblemRef
    deadline: str  # feedback, solve or progress_report
    kind: str
    label_zh: str
    due_at: AwareDatetime


@event("supervision", "report_published")
class ReportPublished(EventData):
    """A periodic report was produced (once per period) or regenerated on request."""

    report: str  # weekly_inspection, yellow_cards, tackle_list or showcase
    period: str
    label_zh: str
    generated_at: AwareDatetime
    version: int
    rows: int
    regenerated: bool = False


class YellowCardReason(EventData):
    rule: str
    label_zh: str
    points: int
    subject_id: str
    title: str
    detail: str


@event("supervision", "yellow_card_issued")
class YellowCardIssued(EventData):
    """A unit (department, town or team) reached the month's yellow-card threshold."""

    card_id: str
    month: str
    unit_kind: str  # department, town or team
    unit_id: str
    unit_name: str
    score: int
    threshold: int
    reasons: list[YellowCardReason]


# --- reading and writing -----------------------------------------------------------------

def event_model(source: str, event_type: str) -> type[EventData]:
    try:
        return EVENTS[(source, event_type)]
    except KeyError:
        raise LookupError(f"unknown event {source}.{event_type}: add it to shared.events.EVENTS")


def make_event(source: str, data: EventData, occurred_at: datetime) -> Envelope:
    """Wrap `data` in a new envelope; the type is looked up from the table, never typed twice."""
    for (src, event_type), model in EVENTS.items():
        if src == source and type(data) is model:
            return Envelope(
                event_id=uuid.uuid4(),
                type=event_type,
                occurred_at=occurred_at,
                source=source,
                data=data.model_dump(mode="json"),
            )
    raise LookupError(f"{type(data).__name__} is not an event of {source}")


def parse_event(source: str, event_type: str, payload: dict) -> tuple[Envelope, EventData]:
    """Validate an incoming payload: the envelope, its source and type, and its data."""
    try:
        envelope = Envelope.model_validate(payload)
        if (envelope.source, envelope.type) != (source, event_type):
            raise InvalidInput(
                f"expected {source}.{event_type}, got {envelope.source}.{envelope.type}"
            )
        data = event_model(source, event_type).model_validate(envelope.data)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc) from None
    return envelope, data
