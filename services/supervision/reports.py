"""The four periodic reports, computed from facts as they stood at the period's instant (pure).

Every figure is taken "as of" the period (services/supervision/periods.py): a milestone counts
as reached if its actual date is on or before the period's last day, a problem is open if it
was raised before and resolved after the period's instant, a missed deadline counts in the
period its due time falls in. So a report regenerated later for a past period gives the same
result, unless someone corrected the facts themselves (a backdated milestone, a changed plan).

Facts come in as plain values: projects (leads with their plan against actual), problems
(this service's own), breaches (sla_breached events kept by this service) and policy
requests with their replies (policy events kept by this service).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from services.supervision.domain import FEEDBACK_CLOCK, REPORT_CLOCK, SOLVE_CLOCKS
from services.supervision.periods import COUNTY_TIME, Period

POLICY_REPLY = "policy_reply"
UNIT_KINDS = ("department", "town", "team")
UNIT_KIND_LABELS_ZH = {"department": "部门", "town": "镇街", "team": "专业招商协作组"}


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    planned_date: date
    actual_date: date | None

    def state_on(self, day: date) -> tuple[str, int | None]:
        """`reached` (on time or early), `late` (reached after plan), `overdue` (due, not
        reached) or `pending`, with the days late (actual or day minus planned)."""
        if self.actual_date is not None and self.actual_date <= day:
            days = (self.actual_date - self.planned_date).days
            return ("late" if days > 0 else "reached"), days
        if self.planned_date < day:
            return "overdue", (day - self.planned_date).days
        return "pending", None


@dataclass(frozen=True)
class Project:
    lead_id: str
    title: str
    team_id: str | None
    team_name: str | None
    major: bool
    investment_cny: int
    status: str
    milestones: tuple[Milestone, ...] = ()
    created_at: datetime | None = None  # a lead taken in after the period is not in its report

    def existed_at(self, moment: datetime) -> bool:
        return self.created_at is None or self.created_at <= moment


@dataclass(frozen=True)
class Breach:
    """A promise missed: the sla clock's kind, subject and due time, and who owed it."""

    kind: str
    subject_id: str
    due_at: datetime
    departments: tuple[str, ...]
    lead_id: str | None
    title: str


def within(moment: datetime | None, period: Period) -> bool:
    return moment is not None and period.start <= moment < period.end


def local_text(moment: datetime) -> str:
    return moment.astimezone(COUNTY_TIME).strftime("%Y-%m-%d %H:%M")


def unit_kind_of(name: str, towns: set[str]) -> str:
    return "town" if name in towns else "department"


# --- weekly inspection (按周督查项目进度) ------------------------------------------------------

def open_at(problem: dict, moment: datetime) -> bool:
    resolved = problem.get("resolved_at")
    return problem["raised_at"] <= moment and (resolved is None or resolved > moment)


def solve_breached(problem: dict, breaches: Iterable[Breach], moment: datetime) -> bool:
    return any(b.subject_id == problem["id"] and b.kind in SOLVE_CLOCKS.values()
               and b.due_at <= moment for b in breaches)


def weekly_inspection(period: Period, projects: Iterable[Project], problems: list[dict],
                      breaches: list[Breach]) -> dict:
    """Per project: plan against actual milestones, days late, open and overdue problems and
    the replies that breached their 48 hours in the week."""
    day, moment = period.as_of_day, period.as_of
    rows: list[dict] = []
    for project in projects:
        if project.status == "lost" or not project.existed_at(moment):
            continue
        states = [(m, *m.state_on(day)) for m in sorted(
            project.milestones, key=lambda m: (m.planned_date, m.key))]
        mine = [p for p in problems if p["lead_id"] == project.lead_id and open_at(p, moment)]
        replies = [b for b in breaches if b.kind == POLICY_REPLY
                   and b.lead_id == project.lead_id and within(b.due_at, period)]
        if not states and not mine and not replies:
            continue  # no plan and nothing wrong: nothing to inspect
        late = [(m, days) for m, state, days in states if state in ("late", "overdue")]
        upcoming = [m for m, state, _ in states if state in ("pending", "overdue")]
        rows.append({
            "lead_id": project.lead_id, "title": project.title, "team_name": project.team_name,
            "major": project.major,
            "milestones_total": len(states),
            "milestones_reached": sum(state in ("reached", "late") for _, state, _ in states),
            "milestones_late": len(late),
            "max_days_late": max((days or 0 for _, days in late), default=0),
            "late_detail": "；".join(
                f"{m.label}（计划{m.planned_date.isoformat()}，"
                f"{'已完成' if m.actual_date and m.actual_date <= day else '未完成'}，"
                f"滞后{days}天）" for m, days in late) or None,
            "next_milestone": upcoming[0].label if upcoming else None,
            "next_planned_date": upcoming[0].planned_date.isoformat() if upcoming else None,
            "open_problems": len(mine),
            "overdue_problems": sum(solve_breached(p, breaches, moment) for p in mine),
            "breached_replies": len(replies),
        })
    rows.sort(key=lambda r: (not r["major"], -r["max_days_late"], r["title"], r["lead_id"]))
    return {"rows": rows}


# --- monthly yellow cards (按月评选黄牌单位) ---------------------------------------------------

@dataclass(frozen=True)
class Rule:
    points: int
    label_zh: str


RULES = {  # the transparent points: every point a unit gets names its rule and its subject
    "reply_breached": Rule(2, "政策和要素诉求超48小时未答复"),
    "problem_feedback_overdue": Rule(1, "问题超3日未反馈"),
    "problem_overdue": Rule(3, "问题超期未解决"),
    "progress_report_missed": Rule(1, "复杂问题未按月报告进展"),
    "milestone_lagging": Rule(1, "项目节点滞后"),
}
RULE_OF_CLOCK = {
    POLICY_REPLY: "reply_breached",
    FEEDBACK_CLOCK: "problem_feedback_overdue",
    SOLVE_CLOCKS["general"]: "problem_overdue",
    SOLVE_CLOCKS["complex"]: "problem_overdue",
    REPORT_CLOCK: "progress_report_missed",
}


def yellow_cards(period: Period, projects: Iterable[Project], breaches: list[Breach],
                 towns: set[str], team_names: dict[str, str], threshold: int) -> dict:
    """Score every unit for the month: each missed deadline due in the month counts against
    the departments that owed it, each milestone still lagging at the month's end against
    the project's team. Units at or above `threshold` points get a yellow card."""
    reasons: list[dict] = []
    for b in breaches:
        rule = RULE_OF_CLOCK.get(b.kind)
        if rule is None or not within(b.due_at, period):
            continue
        for department in b.departments:
            reasons.append({
                "unit_kind": unit_kind_of(department, towns), "unit_id": department,
                "unit_name": department, "rule": rule, "label_zh": RULES[rule].label_zh,
                "points": RULES[rule].points, "subject_id": b.subject_id, "title": b.title,
                "detail": f"应于{local_text(b.due_at)}前办结，已超期",
            })
    day = period.as_of_day
    for project in projects:
        if project.status == "lost" or not project.team_id or not project.existed_at(period.as_of):
            continue
        for m in project.milestones:
            state, days = m.state_on(day)
            if state == "overdue":
                reasons.append({
                    "unit_kind": "team", "unit_id": project.team_id,
                    "unit_name": team_names.get(project.team_id) or project.team_name
                    or project.team_id,
                    "rule": "milestone_lagging", "label_zh": RULES["milestone_lagging"].label_zh,
                    "points": RULES["milestone_lagging"].points, "subject_id": project.lead_id,
                    "title": project.title,
                    "detail": f"{m.label}计划{m.planned_date.isoformat()}完成，"
                              f"至{day.isoformat()}未完成，滞后{days}天",
                })
    reasons.sort(key=lambda r: (UNIT_KINDS.index(r["unit_kind"]), r["unit_id"], r["rule"],
                                r["subject_id"], r["detail"]))
    scores: dict[tuple[str, str], dict] = {}
    for r in reasons:
        unit = scores.setdefault((r["unit_kind"], r["unit_id"]), {
            "unit_kind": r["unit_kind"], "unit_id": r["unit_id"], "unit_name": r["unit_name"],
            "score": 0, "reasons": 0})
        unit["score"] += r["points"]
        unit["reasons"] += 1
    ranked = sorted(scores.values(), key=lambda u: (-u["score"], UNIT_KINDS.index(u["unit_kind"]),
                                                     u["unit_id"]))
    for unit in ranked:
        unit["yellow_card"] = unit["score"] >= threshold
    cards = [{
        "card_id": card_id(period.key, u["unit_kind"], u["unit_id"]),
        "unit_kind": u["unit_kind"], "unit_id": u["unit_id"], "unit_name": u["unit_name"],
        "score": u["score"],
        "reasons_text": "；".join(f"{r['label_zh']}：{r['title']}（{r['points']}分）"
                                 for r in reasons if (r["unit_kind"], r["unit_id"])
                                 == (u["unit_kind"], u["unit_id"])),
        "reasons": [r for r in reasons
                    if (r["unit_kind"], r["unit_id"]) == (u["unit_kind"], u["unit_id"])],
    } for u in ranked if u["yellow_card"]]
    return {
        "threshold": threshold,
        "rules": [{"rule": k, "label_zh": r.label_zh, "points": r.points}
                  for k, r in RULES.items()],
        "cards": cards, "scores": ranked, "reasons": reasons,
    }


def card_id(month: str, unit_kind: str, unit_id: str) -> str:
    return f"{month}:{unit_kind}:{unit_id}"


# --- quarterly tackling list (按季编排项目攻坚清单) ---------------------------------------------

def tackle_list(period: Period, projects: Iterable[Project]) -> dict:
    """The major (green-channel) projects with milestones due in the quarter, or carried over
    still lagging, and how far each has come at the quarter's start."""
    first = period.start.astimezone(COUNTY_TIME).date()
    after = period.end.astimezone(COUNTY_TIME).date()
    day = period.as_of_day
    rows: list[dict] = []
    for project in projects:
        if not project.major or project.status == "lost" or not project.existed_at(period.as_of):
            continue
        ordered = sorted(project.milestones, key=lambda m: (m.planned_date, m.key))
        states = [(m, *m.state_on(day)) for m in ordered]
        due = [m for m in ordered if first <= m.planned_date < after]
        carried = [(m, days) for m, state, days in states
                   if state == "overdue" and m.planned_date < first]
        if not due and not carried:
            continue
        reached = [m for m, state, _ in states if state in ("reached", "late")]
        upcoming = [m for m, state, _ in states if state in ("pending", "overdue")]
        rows.append({
            "lead_id": project.lead_id, "title": project.title, "team_name": project.team_name,
            "investment_cny": project.investment_cny,
            "milestones_due": "；".join(f"{m.label}（{m.planned_date.isoformat()}）" for m in due)
            or None,
            "carried_over": "；".join(f"{m.label}（计划{m.planned_date.isoformat()}，滞后{d}天）"
                                      for m, d in carried) or None,
            "milestones_reached": len(reached), "milestones_total": len(ordered),
            "progress_pct": round(100 * len(reached) / len(ordered)) if ordered else 0,
            "latest_reached": reached[-1].label if reached else None,
            "next_milestone": upcoming[0].label if upcoming else None,
            "next_planned_date": upcoming[0].planned_date.isoformat() if upcoming else None,
        })
    rows.sort(key=lambda r: (-r["investment_cny"], r["title"], r["lead_id"]))
    return {"rows": rows}


# --- bimonthly results (双月晒实绩) ------------------------------------------------------------

SHOWCASE_POINTS = {  # the score the ranking uses, shown with the report
    "reply_on_time": 1, "problem_solved_on_time": 2, "problem_solved_late": 1,
    "reply_breached": -2, "problem_overdue": -3,
}


def showcase(period: Period, units: list[dict], projects: dict[str, Project],
             problems: list[dict], breaches: list[Breach], requests: list[dict]) -> dict:
    """Per town and department for the two months: projects served and their investment,
    replies and how many on time, problems solved (on time), overdue ones; ranked by score
    within towns and within departments."""
    towns = {u["name"] for u in units if u["kind"] == "town"}
    late_replies = {(b.subject_id, d) for b in breaches if b.kind == POLICY_REPLY
                    for d in b.departments}
    figures: dict[str, dict] = {}

    def unit(name: str) -> dict:
        return figures.setdefault(name, {
            "unit_kind": unit_kind_of(name, towns), "unit_name": name, "lead_ids": set(),
            "replies": 0, "replies_on_time": 0, "breached_replies": 0,
            "problems_solved": 0, "problems_solved_on_time": 0, "problems_overdue": 0})

    for u in units:
        unit(u["name"])
    for request in requests:
        for item in request["items"]:
            if within(request["received_at"], period):
                unit(item["department"])["lead_ids"].add(request["lead_id"])
            if within(item.get("replied_at"), period):
                figures_of = unit(item["department"])
                figures_of["replies"] += 1
                on_time = (request["request_id"], item["department"]) not in late_replies
                figures_of["replies_on_time"] += on_time
    for problem in problems:
        owner = unit(problem["owner_department"])
        if within(problem["raised_at"], period):
            owner["lead_ids"].add(problem["lead_id"])
        if within(problem.get("resolved_at"), period):
            owner["problems_solved"] += 1
            owner["problems_solved_on_time"] += not solve_breached(
                problem, breaches, problem["resolved_at"])
    for b in breaches:
        if not within(b.due_at, period):
            continue
        for department in b.departments:
            if b.kind == POLICY_REPLY:
                unit(department)["breached_replies"] += 1
            elif b.kind in SOLVE_CLOCKS.values():
                unit(department)["problems_overdue"] += 1

    rows = []
    for f in figures.values():
        lead_ids = sorted(f.pop("lead_ids"))
        solved_late = f["problems_solved"] - f["problems_solved_on_time"]
        score = (SHOWCASE_POINTS["reply_on_time"] * f["replies_on_time"]
                 + SHOWCASE_POINTS["problem_solved_on_time"] * f["problems_solved_on_time"]
                 + SHOWCASE_POINTS["problem_solved_late"] * solved_late
                 + SHOWCASE_POINTS["reply_breached"] * f["breached_replies"]
                 + SHOWCASE_POINTS["problem_overdue"] * f["problems_overdue"])
        rows.append({
            "unit_kind": f["unit_kind"], "unit_name": f["unit_name"],
            "projects": len(lead_ids),
            "investment_cny": sum(projects[i].investment_cny for i in lead_ids if i in projects),
            "replies": f["replies"], "replies_on_time": f["replies_on_time"],
            "replies_on_time_pct": round(100 * f["replies_on_time"] / f["replies"])
            if f["replies"] else None,
            "breached_replies": f["breached_replies"],
            "problems_solved": f["problems_solved"],
            "problems_solved_on_time": f["problems_solved_on_time"],
            "problems_overdue": f["problems_overdue"],
            "score": score,
        })
    rows.sort(key=lambda r: (UNIT_KINDS.index(r["unit_kind"]), -r["score"], -r["projects"],
                             r["unit_name"]))
    for kind in UNIT_KINDS:  # competition ranking within towns and within departments: 1, 1, 3
        previous, rank = None, 0
        for position, row in enumerate((r for r in rows if r["unit_kind"] == kind), start=1):
            if row["score"] != previous:
                rank, previous = position, row["score"]
            row["rank"] = rank
    return {"score_rule": dict(SHOWCASE_POINTS), "rows": rows}
