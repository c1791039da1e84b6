import { cleanQuery, client, unwrap } from "../../lib/api";

export interface Trip { id: string; branch_id: string; destination: string; start_date: string; end_date: string; members: string[]; targets: { company: string; notes?: string; questions?: string[] }[]; purpose?: string | null; status: string }
export interface Visit { id: string; trip_id: string; company: string; outcome?: string | null; interest?: string | null; next_step?: string | null; notes?: string | null; credit_code?: string | null; visited_at: string; day: string; visitors: string[]; lead_id: string | null }
export interface Summary { day: string; visits?: number; companies?: string[]; next_day_plan?: string | null; notes?: string | null; [k: string]: unknown }
export interface Results { branch_id: string; name_zh: string; visits: number; leads_sourced: number; signed: number; investment_signed_cny: number; conversion_rate: number | null; visit_to_lead_rate: number | null; rank?: number }
export interface Page<T> { items: T[]; total: number }

export const INTEREST: Record<string, string> = { high: "意向强", medium: "有意向", low: "意向弱", none: "无意向" };

export const listTrips = (branchId: string) => unwrap<Page<Trip>>(client.GET("/api/v1/branches/{branch_id}/trips", { params: { path: { branch_id: branchId }, query: { page_size: 50 } as never } }));
export const createTrip = (branchId: string, body: Record<string, unknown>) => unwrap<Trip>(client.POST("/api/v1/branches/{branch_id}/trips", { params: { path: { branch_id: branchId } }, body: body as never }));
export const getTrip = (id: string) => unwrap<Trip>(client.GET("/api/v1/trips/{trip_id}", { params: { path: { trip_id: id } } }));
export const listVisits = (id: string) => unwrap<Page<Visit>>(client.GET("/api/v1/trips/{trip_id}/visits", { params: { path: { trip_id: id }, query: { page_size: 200 } as never } }));
export const listSummaries = (id: string) => unwrap<Summary[] | Page<Summary>>(client.GET("/api/v1/trips/{trip_id}/summaries", { params: { path: { trip_id: id } } }));
export const amendSummary = (id: string, day: string, body: { next_day_plan?: string; notes?: string }) =>
  unwrap<Summary>(client.PATCH("/api/v1/trips/{trip_id}/summaries/{day}", { params: { path: { trip_id: id, day } }, body: body as never }));
export const visitToLead = (visitId: string, body: Record<string, unknown>) =>
  unwrap<{ lead_id: string }>(client.POST("/api/v1/visits/{visit_id}/lead", { params: { path: { visit_id: visitId } }, body: body as never }));
export const results = (branchId: string, q: { from?: string; to?: string } = {}) => unwrap<Results>(client.GET("/api/v1/branches/{branch_id}/results", { params: { path: { branch_id: branchId }, query: cleanQuery(q) as never } }));
export const updateVisit = (visitId: string, body: Record<string, unknown>) =>
  unwrap<Visit>(client.PATCH("/api/v1/visits/{visit_id}", { params: { path: { visit_id: visitId } }, body: body as never }));
export const ranking = (q: { from?: string; to?: string } = {}) => unwrap<{ items: Results[] }>(client.GET("/api/v1/branches/ranking", { params: { query: cleanQuery(q) as never } }));
