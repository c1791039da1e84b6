import type { components } from "../../lib/api-types";

// GET /me/work, as the workbench shows it.
export type MyWork = components["schemas"]["MyWork"];
export type WorkClock = components["schemas"]["ClockView"];
export type WorkLead = components["schemas"]["LeadSummary"];
type Queue = components["schemas"]["WorkQueue"];

/** Where a clock's subject is read and acted on. */
export function clockLink(c: Pick<WorkClock, "kind" | "subject_id" | "context">): string {
  if (c.kind === "policy_reply") return `/policy/${c.subject_id.split(":")[0]}`;
  if (c.kind.startsWith("problem") || c.kind === "plan_progress_report") return `/problems/${c.subject_id.split(":report-")[0]}`;
  if (c.context?.lead_id) return `/leads/${c.context.lead_id}`;
  return "/";
}

/** The overdue clocks first (longest overdue first), then those due soon (nearest first). */
export function deadlines(work: Pick<MyWork, "overdue" | "due_soon">): (WorkClock & { overdue: boolean })[] {
  const byDue = (a: WorkClock, b: WorkClock) => (a.due_at ?? "").localeCompare(b.due_at ?? "");
  return [
    ...[...work.overdue].sort(byDue).map((c) => ({ ...c, overdue: true })),
    ...[...work.due_soon].sort(byDue).map((c) => ({ ...c, overdue: false })),
  ];
}

export interface QueueSection {
  key: string;
  title: string;
  kind: "leads" | "requests" | "problems" | "clocks";
  leads?: WorkLead[];
  requests?: NonNullable<Queue["requests"]>;
  problems?: NonNullable<Queue["problems"]>;
  clocks?: WorkClock[];
}

/** The role's queue as titled sections (team, department, branch, triage, breached). */
export function queueSections(queue: Queue): QueueSection[] {
  switch (queue.kind) {
    case "team":
      return [
        ...(queue.mine ? [{ key: "mine", title: "我跟进的在办线索", kind: "leads" as const, leads: queue.mine }] : []),
        { key: "team", title: "本组在办线索", kind: "leads", leads: queue.leads ?? [] },
      ];
    case "department":
      return [
        { key: "requests", title: "本部门待答复诉求（48小时）", kind: "requests", requests: queue.requests ?? [] },
        { key: "problems", title: "本部门未解决问题", kind: "problems", problems: queue.problems ?? [] },
      ];
    case "branch":
      return [{ key: "branch", title: "本支部引荐的在办线索", kind: "leads", leads: queue.leads ?? [] }];
    case "triage":
      return [{ key: "triage", title: "待人工分派的线索", kind: "leads", leads: queue.leads ?? [] }];
    case "breached":
      return [{ key: "breached", title: "全县已超时事项", kind: "clocks", clocks: queue.clocks ?? [] }];
    default:
      return [];
  }
}

/** The earliest open deadline of a department's request: its items' own clocks, else the request's. */
export function requestDue(r: { due_at: string; items: { status: string; sla?: { due_at?: string | null } | null }[] }): string {
  const open = r.items.filter((i) => i.status !== "replied").map((i) => i.sla?.due_at).filter((d): d is string => !!d).sort();
  return open[0] ?? r.due_at;
}

export type Part = "deadlines" | "projects" | "green" | "tasks";
// What each role works with: a department replies and solves (no projects of its own), the
// supervision office watches the county (no clocks of its own), a leader leads projects and tasks.
const PARTS: Record<string, Part[]> = {
  team_member: ["deadlines", "projects"],
  leader: ["deadlines", "projects", "green", "tasks"],
  department: ["deadlines"],
  branch_member: [],
  inspector: ["green"],
  admin: ["deadlines", "green"],
};

/** Whether the role's workbench shows `part`: what the role works with, or whatever the
 * account happens to have (a clock or a project it was named in) even so. */
export function shows(part: Part, role: string, count = 0): boolean {
  return (PARTS[role] ?? []).includes(part) || count > 0;
}
