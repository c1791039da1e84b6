import { cleanQuery, client, fetchBlob, unwrap } from "../../lib/api";

export interface Pause { since: string; until: string | null; note?: string | null }
export interface Item {
  n: number; topic: string; category: string; text: string; department: string; status: string; pauses: Pause[];
  reply: { text: string; department: string; signer: string; reference_no: string; replied_at: string; replied_by: string } | null;
}
export interface PolicyRequest {
  id: string; lead_id: string; lead_title?: string; enterprise: string; received_at: string; due_at: string; status: string;
  closed_at: string | null; sla_state: string; project_lead?: string; items: Item[]; created_by: string;
  meeting: { held_at: string; chair: string; attendees: string[]; minutes: string } | null;
  sla?: { due_at: string; elapsed_pct: number; state: string; paused: boolean };
}
export interface Page<T> { items: T[]; total: number; page: number; page_size: number }
export const HOURS_48 = 48 * 3600 * 1000;

/** An item's own deadline: 48 hours from receipt, plus the time its own pauses held it. */
export function itemDueAt(request: Pick<PolicyRequest, "received_at">, item: Pick<Item, "pauses">, nowMs: number): { dueMs: number; paused: boolean } {
  let held = 0;
  let paused = false;
  for (const p of item.pauses) {
    const end = p.until ? new Date(p.until).getTime() : nowMs;
    if (!p.until) paused = true;
    held += end - new Date(p.since).getTime();
  }
  return { dueMs: new Date(request.received_at).getTime() + HOURS_48 + held, paused };
}

export const listRequests = (q: { status?: string; department?: string; sla_state?: string; lead_id?: string; page?: number; page_size?: number }) =>
  unwrap<Page<PolicyRequest>>(client.GET("/api/v1/policy-requests", { params: { query: cleanQuery(q) as never } }));
export const getRequest = (id: string) => unwrap<PolicyRequest>(client.GET("/api/v1/policy-requests/{request_id}", { params: { path: { request_id: id } } }));
export const submitRequest = (body: Record<string, unknown>, key: string) =>
  unwrap<PolicyRequest>(client.POST("/api/v1/policy-requests", { body: body as never, headers: { "Idempotency-Key": key } }));
export const replyItem = (id: string, n: number, body: { text: string; department: string; signer: string; reference_no: string }) =>
  unwrap<PolicyRequest>(client.POST("/api/v1/policy-requests/{request_id}/items/{n}/reply", { params: { path: { request_id: id, n } }, body: body as never }));
export const pauseItem = (id: string, n: number, note?: string) =>
  unwrap<PolicyRequest>(client.POST("/api/v1/policy-requests/{request_id}/items/{n}/pause", { params: { path: { request_id: id, n } }, body: (note ? { note } : {}) as never }));
export const resumeItem = (id: string, n: number) =>
  unwrap<PolicyRequest>(client.POST("/api/v1/policy-requests/{request_id}/items/{n}/resume", { params: { path: { request_id: id, n } } }));
export const recordMeeting = (id: string, body: { held_at: string; chair: string; attendees: string[]; minutes: string }) =>
  unwrap<PolicyRequest>(client.POST("/api/v1/policy-requests/{request_id}/meeting", { params: { path: { request_id: id } }, body: body as never }));
export const letterPdf = (id: string) => fetchBlob(`/api/v1/policy-requests/${encodeURIComponent(id)}/letter.pdf`);
