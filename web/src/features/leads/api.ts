import { cleanQuery, client, unwrap } from "../../lib/api";

// The leads area's requests, each declared once (typed paths from the OpenAPI document).
export interface Lead {
  id: string; title: string; company: { name: string; credit_code?: string | null }; industry: string;
  investment_cny: number; land_mu?: number | null; region?: string | null; source_branch_id?: string | null;
  stage: string; stage_zh?: string; status: string; status_zh?: string; team_id?: string | null; team_name?: string | null;
  owner?: string | null; routing?: string; major?: boolean; green_channel?: boolean; county_leader?: string | null;
  first_contact_at?: string | null; notes?: string | null; created_at: string; created_by?: string; updated_at?: string;
  contact?: { name: string; phone?: string | null; title?: string | null } | null;
  stage_history?: { stage: string; from: string | null; kind: string; at: string; by: string; note?: string | null }[];
  status_history?: { status: string; from?: string; at: string; by: string; reason?: string | null }[];
  changes?: { at: string; by: string; action: string; fields?: Record<string, { from: unknown; to: unknown }>; note?: string | null }[];
  four_ones?: FourOnes | null;
  milestones?: Record<string, { actual_date: string; note?: string | null }>;
  possible_duplicates?: { id: string; title: string; matched_by?: string }[];
  open_problems?: { id: string; title: string; status?: string; status_zh?: string; owner_department?: string }[] | null;
  open_requests?: { id: string; enterprise?: string; status?: string; due_at?: string; items?: unknown[] }[] | null;
}
export interface FourOnes {
  project_lead: { name: string; title?: string | null; username?: string | null };
  service_group: { name?: string | null; members: { name: string; department?: string | null; phone?: string | null }[] };
  plan: { milestone: string; planned_date: string; label?: string | null }[];
}
export interface Page<T> { items: T[]; total: number; page: number; page_size: number; total_capped?: boolean }
export interface Progress {
  milestones: { milestone: string; label: string; planned_date: string; actual_date: string | null; days_late: number | null; state: string }[];
  next_due?: { label: string; planned_date: string; days_left: number } | null; reached: number; late: number; total: number; today: string;
}
export interface CycleTimes { cycle_times: { key: string; label_zh: string; from_date: string | null; to_date: string | null; days: number | null }[] }

export interface LeadQuery {
  team_id?: string; stage?: string; status?: string; branch_id?: string; major?: boolean; q?: string; owner?: string;
  page?: number; page_size?: number; sort?: string;
}

export const listLeads = (q: LeadQuery) =>
  unwrap<Page<Lead>>(client.GET("/api/v1/leads", { params: { query: cleanQuery(q) as never } }));
export const getLead = (id: string) => unwrap<Lead>(client.GET("/api/v1/leads/{lead_id}", { params: { path: { lead_id: id } } }));
export const getProgress = (id: string) => unwrap<Progress>(client.GET("/api/v1/leads/{lead_id}/progress", { params: { path: { lead_id: id } } }));
export const getCycleTimes = (id: string) => unwrap<CycleTimes>(client.GET("/api/v1/leads/{lead_id}/cycle-times", { params: { path: { lead_id: id } } }));
export const createLead = (body: Record<string, unknown>, key: string) =>
  unwrap<Lead>(client.POST("/api/v1/leads", { body: body as never, headers: { "Idempotency-Key": key } }));
export const moveStage = (id: string, body: { stage: string; note?: string; at?: string }) =>
  unwrap<Lead>(client.POST("/api/v1/leads/{lead_id}/stage", { params: { path: { lead_id: id } }, body: body as never }));
export const changeStatus = (id: string, body: { status: string; reason?: string }) =>
  unwrap<Lead>(client.POST("/api/v1/leads/{lead_id}/status", { params: { path: { lead_id: id } }, body: body as never }));
export const putFourOnes = (id: string, body: FourOnes) =>
  unwrap<Lead>(client.PUT("/api/v1/leads/{lead_id}/four-ones", { params: { path: { lead_id: id } }, body: body as never }));
export const recordMilestone = (id: string, milestone: string, body: { actual_date: string; note?: string }) =>
  unwrap<Lead>(client.POST("/api/v1/leads/{lead_id}/milestones/{milestone}", { params: { path: { lead_id: id, milestone } }, body: body as never }));
export const reassign = (id: string, body: { team_id: string; owner?: string; reason: string }) =>
  unwrap<unknown>(client.POST("/api/v1/leads/{lead_id}/team", { params: { path: { lead_id: id } }, body: body as never }));
