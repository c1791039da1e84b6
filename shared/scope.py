"""Who may see and do what: one principal model and one rule per kind of object.

Every list, detail and embedded reference of the gateway and of the services that store the
objects asks these functions; nowhere else decides scope. Each kind has
- `<kind>_filter(principal)`: the MongoDB filter a list adds to the caller's own filters
  (field names of the owning service's documents, each backed by an index there), and
- `may_see_<kind>(principal, obj)`: the detail check (outside scope the route answers 404,
  so that ids leak nothing); `may_act_on_<kind>` where acting is narrower than reading.

Scope follows the lead's current team: policy requests, problems and sla clocks keep a copy
of the lead's `team_id` that their services update on every `lead_assigned` event (an indexed
`update_many` by lead id), so that lists stay single-index queries.

A department sees a lead only while it owes an item of one of the lead's open policy requests
or owns an unresolved problem on it (`department_leads`, found by the gateway from policy and
supervision), and then a reduced view (`lead_view_for`): no contact, no amounts.
"""
from __future__ import annotations

from typing import Iterable, Literal, Optional

from pydantic import BaseModel, ConfigDict

ROLES = ("admin", "leader", "team_member", "branch_member", "department", "inspector")
READ_ALL_ROLES = frozenset({"admin", "leader", "inspector"})
NOTHING = {"_id": "-"}  # a filter that matches no document (no id is "-")


class Principal(BaseModel):
    """The caller as the gateway authenticated it; services get it as a dict over RPC."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    username: str = ""
    role: Literal[ROLES]  # type: ignore[valid-type]
    team_id: Optional[str] = None
    branch_id: Optional[str] = None
    department: Optional[str] = None

    @classmethod
    def of(cls, value: "Principal | dict | None") -> "Principal":
        if isinstance(value, Principal):
            return value
        if not value:  # a service's own call (reports, timers): it reads everything
            return cls(username="system", role="admin")
        return cls.model_validate(value)

    @property
    def reads_all(self) -> bool:
        return self.role in READ_ALL_ROLES


# --- leads ---------------------------------------------------------------------------------

# What a department sees of a lead it owes work on: who and what, never contacts or amounts.
DEPARTMENT_LEAD_FIELDS = (
    "id", "title", "industry", "region", "stage", "stage_zh", "status", "status_zh", "major",
    "green_channel", "team_id", "team_name", "county_leader", "routing", "created_at",
    "project_lead", "planned_milestones",
)


def lead_filter(principal, department_leads: Optional[Iterable[str]] = None) -> dict:
    """The leads service's filter for the caller's list (indexes: team_stage, source_branch, _id)."""
    p = Principal.of(principal)
    if p.reads_all:
        return {}
    if p.role == "team_member":
        return {"team_id": p.team_id} if p.team_id else NOTHING
    if p.role == "branch_member":
        return {"source_branch_id": p.branch_id} if p.branch_id else NOTHING
    if p.role == "department":
        ids = sorted(set(department_leads or ()))
        return {"_id": {"$in": ids}} if ids else NOTHING
    return NOTHING


def may_read_lead(principal, lead: dict, department_leads: Optional[Iterable[str]] = None) -> bool:
    """Seeing, and also: whoever took a lead in keeps reading it, wherever it was routed."""
    p = Principal.of(principal)
    return may_see_lead(p, lead, department_leads) or (
        bool(p.username) and lead.get("created_by") == p.username)


def may_see_lead(principal, lead: dict, department_leads: Optional[Iterable[str]] = None) -> bool:
    p = Principal.of(principal)
    if p.reads_all:
        return True
    if p.role == "team_member":
        return bool(p.team_id) and lead.get("team_id") == p.team_id
    if p.role == "branch_member":
        return bool(p.branch_id) and lead.get("source_branch_id") == p.branch_id
    if p.role == "department":
        return (lead.get("id") or lead.get("_id")) in set(department_leads or ())
    return False


def leads_it(principal, lead: dict) -> bool:
    """The caller is the lead's county-level project lead (项目长) of its four ones."""
    p = Principal.of(principal)
    four_ones = lead.get("four_ones") or {}
    project_lead = four_ones.get("project_lead") or lead.get("project_lead")
    return isinstance(project_lead, dict) and project_lead.get("username") == p.username \
        or project_lead == p.username


def may_act_on_lead(principal, lead: dict) -> bool:
    """Change a lead (PATCH, stage, status, four ones, milestones, reassignment, meetings):
    admin; the own team's members; a leader for the own team's projects or those they lead;
    a branch member for the leads the branch sourced."""
    p = Principal.of(principal)
    if p.role == "admin":
        return True
    if p.role == "leader":  # a lead in triage has no team yet: any leader may dispatch it
        return (bool(p.team_id) and lead.get("team_id") == p.team_id) or leads_it(p, lead) \
            or (not lead.get("team_id") and lead.get("routing") != "assigned")
    if p.role in ("team_member", "branch_member"):
        return may_see_lead(p, lead)
    return False


def lead_view_for(principal, lead: dict) -> dict:
    """The lead as the caller may see it: a department's view is reduced."""
    p = Principal.of(principal)
    if p.role != "department":
        return lead
    view = {k: lead[k] for k in DEPARTMENT_LEAD_FIELDS if k in lead}
    if isinstance(lead.get("company"), dict):
        view["company"] = {"name": lead["company"].get("name")}
    if "four_ones" in lead and lead["four_ones"]:
        four = lead["four_ones"]
        view["four_ones"] = {"project_lead": without_phones(four.get("project_lead")),
                             "plan": four.get("plan", [])}
    return view


def without_phones(value):
    """The value with every `phone` left out (a department's view of a project's people)."""
    if isinstance(value, dict):
        return {k: without_phones(v) for k, v in value.items() if k != "phone"}
    if isinstance(value, list):
        return [without_phones(v) for v in value]
    return value


def lead_reference(principal, lead: dict, department_leads=None) -> dict:
    """A reference to another lead (a possible duplicate, a conflict) as the caller may see it:
    outside scope it says only that the company is followed elsewhere, and by whom."""
    if may_see_lead(principal, lead, department_leads):
        return lead
    team = lead.get("team_name") or lead.get("team_id")
    ask = lead.get("county_leader") or "县投资促进中心"
    return {
        "elsewhere": True, "matched_by": lead.get("matched_by"), "team_name": team,
        "ask": ask,
        "message": (f"该企业已有线索由{team}跟进，请联系{ask}" if team
                    else f"该企业已有线索在分派中，请联系{ask}"),
    }


# --- policy requests and their items ----------------------------------------------------------

def request_filter(principal) -> dict:
    """The policy service's filter (indexes: team_id+received_at, items.department+status)."""
    p = Principal.of(principal)
    if p.reads_all:
        return {}
    if p.role == "team_member":
        return {"team_id": p.team_id} if p.team_id else NOTHING
    if p.role == "department":
        return {"items.department": p.department} if p.department else NOTHING
    return NOTHING


def may_see_request(principal, request: dict) -> bool:
    p = Principal.of(principal)
    if p.reads_all:
        return True
    if p.role == "team_member":
        return bool(p.team_id) and request.get("team_id") == p.team_id
    if p.role == "department":
        return bool(p.department) and any(i.get("department") == p.department
                                          for i in request.get("items", ()))
    return False


def request_view_for(principal, request: dict) -> dict:
    """A department sees its own items only."""
    p = Principal.of(principal)
    if p.role == "department":
        return {**request, "items": [i for i in request["items"]
                                     if i.get("department") == p.department]}
    return request


def may_act_on_request(principal, request: dict) -> bool:
    """The joint meeting and the request as a whole: admin, the team, the project's leader."""
    p = Principal.of(principal)
    if p.role == "admin":
        return True
    if p.role == "team_member":
        return may_see_request(p, request)
    if p.role == "leader":
        return (bool(p.team_id) and request.get("team_id") == p.team_id) or \
            request.get("project_lead") == p.username
    return False


def may_act_on_item(principal, request: dict, item: dict) -> bool:
    """Reply, pause, resume: admin; the item's department; the lead's team (pauses only, which
    the route's roles narrow)."""
    p = Principal.of(principal)
    if p.role == "admin":
        return True
    if p.role == "department":
        return bool(p.department) and item.get("department") == p.department
    if p.role == "team_member":
        return may_see_request(p, request)
    return False


def owes(department: str, request: dict) -> bool:
    """The department still owes a reply on an item of this request."""
    return request.get("status") != "closed" and any(
        i.get("department") == department and i.get("status") != "replied"
        for i in request.get("items", ()))


# --- problems --------------------------------------------------------------------------------

def problem_filter(principal) -> dict:
    """The supervision service's filter (indexes: owner_department+status, team_id)."""
    p = Principal.of(principal)
    if p.reads_all:
        return {}
    if p.role == "department":
        return {"owner_department": p.department} if p.department else NOTHING
    if p.role == "team_member":
        return {"team_id": p.team_id} if p.team_id else NOTHING
    return NOTHING


def may_see_problem(principal, problem: dict) -> bool:
    p = Principal.of(principal)
    if p.reads_all:
        return True
    if p.role == "department":
        return bool(p.department) and problem.get("owner_department") == p.department
    if p.role == "team_member":
        return bool(p.team_id) and problem.get("team_id") == p.team_id
    return False


def may_act_on_problem(principal, problem: dict) -> bool:
    """The loop's steps: the owner department, or an admin."""
    p = Principal.of(principal)
    return p.role == "admin" or (p.role == "department" and bool(p.department)
                                 and problem.get("owner_department") == p.department)


# --- sla clocks: scoped like the objects they measure ---------------------------------------

def clock_filter(principal) -> dict:
    """The sla service's filter (indexes: context.team_id, context.departments)."""
    p = Principal.of(principal)
    if p.reads_all:
        return {}
    if p.role == "team_member":
        return {"context.team_id": p.team_id} if p.team_id else NOTHING
    if p.role == "department":
        return {"context.departments": p.department} if p.department else NOTHING
    return NOTHING  # branch members have no requests or problems, so no clocks


def may_see_clock(principal, clock: dict) -> bool:
    p = Principal.of(principal)
    context = clock.get("context") or {}
    if p.reads_all:
        return True
    if p.role == "team_member":
        return bool(p.team_id) and context.get("team_id") == p.team_id
    if p.role == "department":
        return bool(p.department) and p.department in (context.get("departments") or ())
    return False


# --- branches' trips and visits -----------------------------------------------------------------

def may_see_trip(principal, trip: dict) -> bool:
    """Trips, their visits and nightly summaries: the own branch, and those who read all."""
    p = Principal.of(principal)
    return p.reads_all or (p.role == "branch_member" and bool(p.branch_id)
                           and trip.get("branch_id") == p.branch_id)


def may_act_on_trip(principal, trip: dict) -> bool:
    """Plan trips, log visits, amend summaries: an admin, or the own branch's members."""
    p = Principal.of(principal)
    return p.role == "admin" or (p.role == "branch_member" and bool(p.branch_id)
                                 and trip.get("branch_id") == p.branch_id)


# --- county leaders' tasks (leading by example) -------------------------------------------------

TASK_ASSIGNERS = frozenset({"admin", "inspector"})  # the supervision office assigns and edits
TASK_PROGRESS_FIELDS = frozenset({"progress_pct", "progress_note"})


def task_filter(principal) -> dict:
    """The supervision service's filter for the task list: county leadership reads them all."""
    return {} if Principal.of(principal).reads_all else NOTHING


def may_see_task(principal, task: dict) -> bool:
    return Principal.of(principal).reads_all


def may_assign_tasks(principal) -> bool:
    """Create a task, or change its title, area, leader or due date: admin, inspector."""
    return Principal.of(principal).role in TASK_ASSIGNERS


def may_act_on_task(principal, task: dict, fields: Iterable[str]) -> bool:
    """Change `fields` of the task: an assigner any; the leader who owns it its progress only."""
    p = Principal.of(principal)
    if p.role in TASK_ASSIGNERS:
        return True
    return p.role == "leader" and bool(p.username) and task.get("leader") == p.username \
        and set(fields) <= TASK_PROGRESS_FIELDS


# --- notifications ---------------------------------------------------------------------------

def addresses_of(principal) -> list[str]:
    """Every address that reaches this user: an inbox shows what is addressed to one of them."""
    p = Principal.of(principal)
    found = [f"user:{p.username}", f"role:{p.role}"]
    for kind, value in (("team", p.team_id), ("branch", p.branch_id),
                        ("department", p.department)):
        if value:
            found.append(f"{kind}:{value}")
    if p.role == "leader" and p.team_id:
        found.append(f"team-leader:{p.team_id}")
    if p.role == "leader" and p.department:
        # A county leader's account may name the department they oversee (分管县领导).
        found.append(f"department-leader:{p.department}")
    return found
