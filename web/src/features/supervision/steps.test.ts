import { describe, expect, it } from "vitest";
import { nextSteps, openPlanSteps, raiseBody, stepBody } from "./steps";

const d = (s: string) => ({ format: (f?: string) => (f ? s : `${s}T10:00:00+08:00`) });

describe("the problem loop's steps", () => {
  it("offers the steps the server allows, in the loop's order", () => {
    expect(nextSteps(["resolve", "plan"])).toEqual(["plan", "resolve"]);
    expect(nextSteps(["progress_report", "resolve", "plan", "reopen"])).toEqual(["plan", "progress_report", "resolve"]);
    expect(nextSteps([])).toEqual([]);
    expect(nextSteps(undefined)).toEqual([]);
  });

  it("sends a plan's dated steps, leaving blank rows and an empty note out", () => {
    expect(stepBody("plan", { steps: [{ step: " 完成用地预审 ", due_date: d("2026-12-20") }, {}, { step: "" }], note: " " }))
      .toEqual({ steps: [{ step: "完成用地预审", due_date: "2026-12-20" }] });
    expect(stepBody("plan", { steps: [{ step: "报批", due_date: "2027-01-10" }], note: "分两步" }))
      .toEqual({ steps: [{ step: "报批", due_date: "2027-01-10" }], note: "分两步" });
  });

  it("sends a progress report's done steps once each, in order", () => {
    expect(stepBody("progress_report", { text: "预审已完成", steps_done: [2, 1, 2] })).toEqual({ text: "预审已完成", steps_done: [1, 2] });
    expect(stepBody("progress_report", { text: "推进中" })).toEqual({ text: "推进中", steps_done: [] });
  });

  it("sends the texts of feedback, analysis and resolution trimmed", () => {
    expect(stepBody("feedback", { text: " 已收到 " })).toEqual({ text: "已收到" });
    expect(stepBody("analysis", { cause: "指标不足", approach: "省厅争取" })).toEqual({ cause: "指标不足", approach: "省厅争取" });
    expect(stepBody("resolve", { resolution: "已解决" })).toEqual({ resolution: "已解决" });
  });

  it("raises a problem with its time only when one was picked", () => {
    const base = { lead_id: "L1", title: "用地指标", description: "缺 120 亩", owner_department: "县自然资源和规划局", complexity: "complex" };
    expect(raiseBody(base)).toEqual(base);
    expect(raiseBody({ ...base, raised_at: d("2026-11-28") }).raised_at).toBe("2026-11-28T10:00:00+08:00");
  });

  it("lists a plan's steps not yet done", () => {
    expect(openPlanSteps({ steps: [{ n: 1, step: "a", done_at: "2026-11-30T00:00:00Z" as string | null }, { n: 2, step: "b", done_at: null }] }).map((s) => s.n)).toEqual([2]);
    expect(openPlanSteps(null)).toEqual([]);
  });
});
