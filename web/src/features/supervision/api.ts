import { cleanQuery, client, unwrap } from "../../lib/api";
import type { components } from "../../lib/api-types";
import { STEP_PATHS, type Step } from "./steps";

export interface Problem {
  id: string; lead_id: string; lead_title?: string; title: string; description: string; owner_department: string; complexity: string;
  status: string; raised_at: string; raised_by?: string; deadlines?: Record<string, { due_at: string; state?: string }>;
  steps?: { step: string; at: string; by: string; text?: string }[]; [k: string]: unknown;
}
export const STATUS: Record<string, string> = { raised: "已提出", feedback_given: "已反馈", analysed: "已分析", resolved: "已解决" };
export const COMPLEXITY: Record<string, string> = { general: "一般问题（7日内解决）", complex: "复杂问题（1个月内解决）" };

export const listProblems = (q: { status?: string; page?: number }) =>
  unwrap<{ items: Problem[]; total: number }>(client.GET("/api/v1/problems", { params: { query: cleanQuery({ ...q, page_size: 20 }) as never } }));
export const getProblem = (id: string) => unwrap<Problem>(client.GET("/api/v1/problems/{problem_id}", { params: { path: { problem_id: id } } }));
export type ProblemFull = components["schemas"]["ProblemView"];
export const getProblemFull = (id: string) => unwrap<ProblemFull>(client.GET("/api/v1/problems/{problem_id}", { params: { path: { problem_id: id } } }));
export const step = (id: string, what: Step, body: Record<string, unknown>) =>
  unwrap<ProblemFull>(client.POST(`/api/v1/problems/{problem_id}/${STEP_PATHS[what]}` as "/api/v1/problems/{problem_id}/feedback", { params: { path: { problem_id: id } }, body: body as never }));
export const raiseProblem = (body: Record<string, unknown>, key: string) =>
  unwrap<ProblemFull>(client.POST("/api/v1/problems", { body: body as never, headers: { "Idempotency-Key": key } }));
