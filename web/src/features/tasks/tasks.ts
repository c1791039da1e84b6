import dayjs, { type Dayjs } from "dayjs";
import isoWeek from "dayjs/plugin/isoWeek";
import type { components } from "../../lib/api-types";

dayjs.extend(isoWeek);

export type Task = components["schemas"]["TaskView"];
export type Weekly = components["schemas"]["WeeklyArrangement"];
export type Monthly = components["schemas"]["MonthlyExchange"];

// The five areas of a standing-committee member's tasks (县委常委五个方面任务), as the API names them.
export const AREAS: { value: string; label: string }[] = [
  { value: "investment", label: "招商引资" }, { value: "projects", label: "项目推进" }, { value: "factors", label: "要素保障" },
  { value: "business_environment", label: "营商环境" }, { value: "problems", label: "问题化解" },
];
export const TASK_STATUSES = [{ value: "open", label: "推进中" }, { value: "done", label: "已完成" }];
const ASSIGNERS = ["admin", "inspector"];

/** The ISO week the weekly arrangement asks for ("2026-W48"): Monday to Sunday, the week of its Thursday. */
export function isoWeekOf(d: Dayjs): string {
  return `${d.isoWeekYear()}-W${String(d.isoWeek()).padStart(2, "0")}`;
}

/** The month the monthly exchange asks for ("2026-11"). */
export function monthOf(d: Dayjs): string {
  return d.format("YYYY-MM");
}

/** Who assigns tasks and changes them: the supervision office and the admin (shared/scope.py). */
export function mayAssign(role: string): boolean {
  return ASSIGNERS.includes(role);
}

/** Who records a task's progress: its own leader, or an assigner. */
export function mayRecordProgress(task: Pick<Task, "leader">, me: { role: string; username: string }): boolean {
  return mayAssign(me.role) || (me.role === "leader" && task.leader === me.username);
}

/** The progress a leader records: a percentage, 100 when marked done, and what was done. */
export function progressBody(v: { progress_pct: number; progress_note?: string; done?: boolean }): { progress_pct: number; progress_note?: string } {
  const note = v.progress_note?.trim();
  return { progress_pct: v.done ? 100 : v.progress_pct, ...(note ? { progress_note: note } : {}) };
}
