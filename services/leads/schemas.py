"""The leads service's boundary models (RPC arguments and results)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from shared.company import credit_code_problem, normalise_credit_code
from services.leads.pipeline import STAGE_LABELS_ZH, STAGES, STATUS_LABELS_ZH, STATUSES
from services.leads.progress import duplicate_milestones
from shared.schemas import CountyDatetime, Day, Page, PageQuery, Strict, Timestamp, View, choice

Text = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
Note = Annotated[str, Field(max_length=1000)]
Username = Annotated[str, Field(min_length=1, max_length=64)]
MilestoneKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,49}$",
                                    description="e.g. signed, land_listed, groundbreaking")]


class Company(Strict):
    name: Text
    credit_code: Optional[str] = Field(
        default=None, description="统一社会信用代码: 18 characters with a GB 32100-2015 check digit"
    )

    @field_validator("credit_code")
    @classmethod
    def valid_credit_code(cls, value):
        if value is None:
            return None
        value = normalise_credit_code(value)
        problem = credit_code_problem(value)
        if problem:
            raise ValueError(f"无效：{problem}")
        return value


class Contact(Strict):
    name: Text
    phone: Optional[Annotated[str, Field(max_length=40)]] = None
    title: Optional[Annotated[str, Field(max_length=100)]] = None
    email: Optional[Annotated[str, Field(max_length=200)]] = None


Industry = Annotated[str, Field(min_length=1, max_length=50)]
Investment = Annotated[int, Field(ge=0, le=10**13, description="planned investment, yuan")]
LandMu = Annotated[float, Field(ge=0, le=10**6)]
BranchId = Annotated[str, Field(max_length=50)]


class LeadCreate(Strict):
    title: Text
    company: Company
    industry: Industry
    investment_cny: Investment
    land_mu: Optional[LandMu] = None
    region: Optional[Annotated[str, Field(max_length=100)]] = None
    source_branch_id: Optional[BranchId] = None
    contact: Optional[Contact] = None
    first_contact_at: Optional[CountyDatetime] = None
    notes: Optional[Annotated[str, Field(max_length=5000)]] = None
    major: Optional[bool] = Field(default=None, description="flag a major project below the threshold")


class LeadPatch(Strict):
    """Only the fields sent change; null clears an optional field."""

    title: Optional[Text] = None
    company: Optional[Company] = None
    industry: Optional[Industry] = None
    investment_cny: Optional[Investment] = None
    land_mu: Optional[LandMu] = None
    region: Optional[Annotated[str, Field(max_length=100)]] = None
    source_branch_id: Optional[BranchId] = None
    contact: Optional[Contact] = None
    first_contact_at: Optional[CountyDatetime] = None
    notes: Optional[Annotated[str, Field(max_length=5000)]] = None
    major: Optional[bool] = None

    @model_validator(mode="after")
    def something_and_no_null_required(self):
        if not self.model_fields_set:
            raise ValueError("请至少提交一个要修改的字段")
        for field in ("title", "company", "industry", "investment_cny"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} 不能为 null")
        return self


Stage = choice(STAGES, STAGE_LABELS_ZH)
Status = choice(STATUSES, STATUS_LABELS_ZH, {"活跃": "active", "在推进": "active", "流失": "lost"})
ROUTING_LABELS_ZH = {"pending": "待分派", "assigned": "已分派", "triage": "待甄别"}


class StageMove(Strict):
    stage: Stage
    at: Optional[CountyDatetime] = Field(default=None, description="when it happened; default now")
    note: Optional[Note] = Field(default=None, description="the reason; required for a skip or a move back")


class StatusChange(Strict):
    status: Status
    reason: Optional[Note] = Field(default=None, description="required to lose a lead or revive a lost one")


class ProjectLead(Strict):
    """The county-level project lead (县级项目长)."""

    name: ShortText
    title: Optional[ShortText] = None
    username: Optional[Username] = None


class ServiceGroupMember(Strict):
    name: ShortText
    department: Optional[ShortText] = None
    phone: Optional[Annotated[str, Field(max_length=40)]] = None
    username: Optional[Username] = None


class ServiceGroup(Strict):
    """The help-service group (帮办服务组) that does the enterprise's paperwork."""

    name: Optional[ShortText] = None
    members: Annotated[list[ServiceGroupMember], Field(min_length=1, max_length=50)]


class PlanItem(Strict):
    milestone: MilestoneKey
    planned_date: date
    label: Optional[ShortText] = None


class FourOnes(Strict):
    """四个一: project lead, service group and plan; the progress table follows from the plan."""

    project_lead: ProjectLead
    service_group: ServiceGroup
    plan: Annotated[list[PlanItem], Field(min_length=1, max_length=50)]

    @field_validator("plan")
    @classmethod
    def milestones_once(cls, plan):
        twice = duplicate_milestones([item.model_dump() for item in plan])
        if twice:
            raise ValueError(f"节点重复：{'、'.join(twice)}")
        return plan


class MilestoneActual(Strict):
    actual_date: date
    note: Optional[Note] = None


SORTS = {
    # sort= value -> MongoDB sort after the green channel (major projects first)
    "-created_at": [("created_at", -1)],
    "created_at": [("created_at", 1)],
    "-updated_at": [("updated_at", -1)],
    "-investment_cny": [("investment_cny", -1)],
    "investment_cny": [("investment_cny", 1)],
    "stage": [("stage_index", 1)],
    "-stage": [("stage_index", -1)],
    "title": [("title", 1)],
}


class LeadFilter(PageQuery):
    team_id: Optional[Annotated[str, Field(max_length=50)]] = None
    stage: Optional[Stage] = None
    status: Optional[Status] = None
    branch_id: Optional[BranchId] = None
    major: Optional[bool] = None
    routing: Optional[choice(tuple(ROUTING_LABELS_ZH), ROUTING_LABELS_ZH)] = None
    owner: Optional[Username] = None
    q: Optional[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default=None, description="search in title, company name and credit code, contact name "
                                  "and phone (Chinese works)")
    sort: Literal[tuple(SORTS)] = "-created_at"  # type: ignore[valid-type]
    after: Optional[Annotated[str, Field(max_length=200)]] = Field(
        default=None, description="the page after the one whose `next_cursor` this is (lists in "
                                  "order of creation); `page` is then not used")


# -- results ----------------------------------------------------------------------------------
Stage = Literal[STAGES]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]


class CompanyView(View):
    name: str
    credit_code: Optional[str] = None


class ContactView(View):
    name: str
    phone: Optional[str] = None
    title: Optional[str] = None
    email: Optional[str] = None


class SourceView(View):
    """The branch visit a lead came from."""

    branch_id: Optional[str] = None
    trip_id: Optional[str] = None
    visit_id: Optional[str] = None


class StageEntry(View):
    stage: Stage
    from_: Optional[Stage] = Field(alias="from")
    kind: str
    at: Timestamp
    by: str
    note: Optional[str] = None


class StatusEntry(View):
    status: Status
    from_: Optional[Status] = Field(alias="from")
    at: Timestamp
    by: str
    reason: Optional[str] = None


class FieldChange(View):
    from_: Any = Field(default=None, alias="from")
    to: Any = None


class ChangeEntry(View):
    """One line of the lead's audit trail."""

    at: Timestamp
    by: str
    action: str
    fields: Optional[dict[str, FieldChange]] = None
    note: Optional[str] = None


class ProjectLeadView(View):
    name: str
    title: Optional[str] = None
    username: Optional[str] = None


class ServiceGroupMemberView(View):
    name: str
    department: Optional[str] = None
    phone: Optional[str] = None
    username: Optional[str] = None


class ServiceGroupView(View):
    name: Optional[str] = None
    members: list[ServiceGroupMemberView]


class PlanItemView(View):
    milestone: str
    planned_date: Day
    label: Optional[str] = None


class FourOnesView(View):
    project_lead: ProjectLeadView
    service_group: Optional[ServiceGroupView] = None  # not in a department's reduced view
    plan: list[PlanItemView]
    set_at: Optional[Timestamp] = None
    set_by: Optional[str] = None


class MilestoneRecord(View):
    actual_date: Day
    note: Optional[str] = None
    recorded_at: Optional[Timestamp] = None
    recorded_by: Optional[str] = None


class PossibleDuplicate(View):
    """A lead of the same company: named when the caller may see it, else only said to be
    followed elsewhere and by whom (`elsewhere`, shared/scope.py lead_reference)."""

    id: Optional[str] = None
    title: Optional[str] = None
    company_name: Optional[str] = None
    matched_by: Optional[Literal["credit_code", "company_name"]] = None
    team_name: Optional[str] = None
    county_leader: Optional[str] = None
    elsewhere: Optional[bool] = None
    ask: Optional[str] = None
    message: Optional[str] = None


class LeadSummary(View):
    """A lead as lists show it: without its histories."""

    id: str
    title: str
    company: CompanyView
    industry: str
    investment_cny: Optional[int] = None  # not in a department's reduced view
    land_mu: Optional[float] = None
    region: Optional[str] = None
    source_branch_id: Optional[str] = None
    source: Optional[SourceView] = None
    contact: Optional[ContactView] = None
    first_contact_at: Optional[Timestamp] = None
    notes: Optional[str] = None
    major: bool
    major_flag: Optional[bool] = None  # flagged major by hand, whatever the investment
    green_channel: bool
    stage: Stage
    stage_zh: str
    status: Status
    status_zh: str
    team_id: Optional[str]
    team_name: Optional[str] = None
    county_leader: Optional[str] = None
    owner: Optional[str] = None
    routing: Literal["pending", "assigned", "triage"]
    team_assigned_at: Optional[Timestamp] = None
    possible_duplicates: list[PossibleDuplicate] = []
    created_at: Timestamp
    created_by: Optional[str] = None
    updated_at: Optional[Timestamp] = None
    updated_by: Optional[str] = None


class LeadView(LeadSummary):
    """One lead with its stage and status history, four ones, milestones and audit trail (a
    department's reduced view has none of the histories: shared/scope.py)."""

    stage_history: Optional[list[StageEntry]] = None
    status_history: Optional[list[StatusEntry]] = None
    four_ones: Optional[FourOnesView] = None
    milestones: Optional[dict[str, MilestoneRecord]] = None
    changes: Optional[list[ChangeEntry]] = None


class LeadPage(Page):
    """In order of creation, `total` counts the leads up to this page's end and
    `total_capped` says more follow; `next_cursor` opens the next page at the cost of the first."""

    items: list[LeadSummary]
    next_cursor: Optional[str] = None


class ProgressRow(View):
    milestone: str
    label: str
    planned_date: Day
    actual_date: Optional[Day]
    days_late: Optional[int]
    state: Literal["early", "on_time", "late", "overdue", "pending"]


class NextDue(View):
    milestone: str
    label: str
    planned_date: Day
    days_left: int


class ProgressTable(View):
    """The dynamic progress table (动态进度表)."""

    lead_id: str
    title: str
    stage: Stage
    project_lead: Optional[ProjectLeadView]
    service_group: Optional[ServiceGroupView]
    today: Day
    milestones: list[ProgressRow]
    next_due: Optional[NextDue]
    reached: int
    late: int
    total: int


class CycleTime(View):
    key: str
    label_zh: str
    from_: str = Field(alias="from")
    to: str
    from_date: Optional[Day]
    to_date: Optional[Day]
    days: Optional[int]


class CycleTimes(View):
    lead_id: str
    title: str
    cycle_times: list[CycleTime]
