import { describe, expect, it } from "vitest";
import { clockLink, deadlines, queueSections, requestDue, shows } from "./work";

const clock = (id: string, due: string, kind = "policy_reply") => ({
  id, kind, label_zh: null, subject_id: id, started_at: "2026-11-30T00:00:00+08:00", due_at: due, elapsed_pct: 0.5,
  state: "warning" as const, estimated: false, fired: 0, paused: false, stopped_at: null, counted_hours: 1, context: null,
});

describe("my work", () => {
  it("lists the overdue first, then the due soon, each by its deadline", () => {
    const rows = deadlines({
      overdue: [clock("b", "2026-11-29T10:00:00+08:00"), clock("a", "2026-11-28T10:00:00+08:00")],
      due_soon: [clock("d", "2026-12-02T10:00:00+08:00"), clock("c", "2026-12-01T10:00:00+08:00")],
    });
    expect(rows.map((r) => [r.id, r.overdue])).toEqual([["a", true], ["b", true], ["c", false], ["d", false]]);
  });

  it("links a clock to what it measures", () => {
    expect(clockLink(clock("r1:2", "x"))).toBe("/policy/r1");
    expect(clockLink(clock("p1:report-2", "x", "plan_progress_report"))).toBe("/problems/p1");
    expect(clockLink(clock("p1", "x", "problem_feedback"))).toBe("/problems/p1");
  });

  it("gives each role's queue its sections", () => {
    const team = queueSections({ kind: "team", mine: [], leads: [], team_id: "t", department: null, branch_id: null, clocks: null, problems: null, requests: null });
    expect(team.map((s) => s.title)).toEqual(["我跟进的在办线索", "本组在办线索"]);
    const leader = queueSections({ kind: "team", mine: null, leads: [], team_id: "t", department: null, branch_id: null, clocks: null, problems: null, requests: null });
    expect(leader.map((s) => s.key)).toEqual(["team"]);
    const dept = queueSections({ kind: "department", mine: null, leads: null, team_id: null, department: "县供电公司", branch_id: null, clocks: null, problems: [], requests: [] });
    expect(dept.map((s) => s.kind)).toEqual(["requests", "problems"]);
    expect(queueSections({ kind: "breached", mine: null, leads: null, team_id: null, department: null, branch_id: null, clocks: [], problems: null, requests: null })[0].kind).toBe("clocks");
  });

  it("counts a request down to its earliest open item", () => {
    const r = { due_at: "2026-12-03T08:00:00+08:00", items: [
      { status: "replied", sla: { due_at: "2026-12-01T08:00:00+08:00" } },
      { status: "open", sla: { due_at: "2026-12-04T08:00:00+08:00" } },
      { status: "open", sla: { due_at: "2026-12-03T20:00:00+08:00" } },
    ] };
    expect(requestDue(r)).toBe("2026-12-03T20:00:00+08:00");
    expect(requestDue({ due_at: "2026-12-03T08:00:00+08:00", items: [{ status: "open" }] })).toBe("2026-12-03T08:00:00+08:00");
  });
});

describe("each role's workbench", () => {
  it("shows a department no projects card, a leader its projects and tasks", () => {
    expect(shows("projects", "department")).toBe(false);
    expect(shows("projects", "leader")).toBe(true);
    expect(shows("tasks", "leader")).toBe(true);
    expect(shows("tasks", "team_member")).toBe(false);
    expect(shows("projects", "team_member")).toBe(true);
  });
  it("leaves the supervision office's own deadlines out, and the green channel to those who watch it", () => {
    expect(shows("deadlines", "inspector")).toBe(false);
    expect(shows("green", "inspector")).toBe(true);
    expect(shows("green", "department")).toBe(false);
    expect(shows("deadlines", "branch_member")).toBe(false);
  });
  it("still shows what an account has, whatever its role", () => {
    expect(shows("projects", "department", 1)).toBe(true);
    expect(shows("deadlines", "inspector", 2)).toBe(true);
  });
});
