// The closed problem loop's steps as the screens ask for them, and the bodies the API takes.
export type Step = "feedback" | "analysis" | "plan" | "progress_report" | "resolve";

export const STEP_LABELS: Record<Step, string> = {
  feedback: "反馈", analysis: "分析", plan: "制定解决计划", progress_report: "报告月度进展", resolve: "解决",
};
export const STEP_PATHS: Record<Step, string> = {
  feedback: "feedback", analysis: "analysis", plan: "plan", progress_report: "progress-report", resolve: "resolve",
};

/** A date picker's value (dayjs) or a typed string, as the API's YYYY-MM-DD. */
type DateLike = { format(f: string): string } | string | null | undefined;
const day = (d: DateLike): string | undefined => (d == null || d === "" ? undefined : typeof d === "string" ? d : d.format("YYYY-MM-DD"));
const text = (s: unknown): string | undefined => (typeof s === "string" && s.trim() ? s.trim() : undefined);

/** The steps the server allows next, in the loop's order (unknown ones left out). */
export function nextSteps(allowed: readonly string[] | undefined): Step[] {
  return (Object.keys(STEP_LABELS) as Step[]).filter((s) => allowed?.includes(s));
}

/** The body of one step from its form's values (empty optional fields left out). */
export function stepBody(step: Step, v: Record<string, any>): Record<string, unknown> {
  switch (step) {
    case "feedback": return { text: text(v.text) ?? "" };
    case "analysis": return { cause: text(v.cause) ?? "", approach: text(v.approach) ?? "" };
    case "resolve": return { resolution: text(v.resolution) ?? "" };
    case "plan": {
      const steps = ((v.steps ?? []) as { step?: string; due_date?: DateLike }[])
        .filter((s) => s && (text(s.step) || day(s.due_date)))
        .map((s) => ({ step: text(s.step) ?? "", due_date: day(s.due_date) ?? "" }));
      return { steps, ...(text(v.note) ? { note: text(v.note) } : {}) };
    }
    case "progress_report":
      return { text: text(v.text) ?? "", steps_done: [...new Set<number>(v.steps_done ?? [])].sort((a, b) => a - b) };
  }
}

/** The body of POST /problems from the raise form. */
export function raiseBody(v: { lead_id: string; title?: string; description?: string; owner_department?: string; complexity?: string; raised_at?: { format(): string } | null }): Record<string, unknown> {
  return {
    lead_id: v.lead_id, title: text(v.title) ?? "", description: text(v.description) ?? "",
    owner_department: v.owner_department ?? "", complexity: v.complexity ?? "general",
    ...(v.raised_at ? { raised_at: v.raised_at.format() } : {}),
  };
}

/** A plan's steps not yet done: what a progress report can mark done. */
export function openPlanSteps<S extends { n: number; step: string; done_at: string | null }>(plan: { steps: S[] } | null | undefined): S[] {
  return (plan?.steps ?? []).filter((s) => !s.done_at);
}
