import { client, unwrap } from "./api";

// Lists every screen picks from (teams, branches, departments): loaded once per session.
export interface Team { id: string; name_zh: string; industries: string[]; leader?: { name: string; title?: string }; members: { username: string; name: string }[]; lead_department?: string; cooperating?: string[] }
export interface Branch { id: string; name_zh: string; regions: string[]; members: { username: string; name: string }[]; secretary?: { username: string; name: string } }
export interface Unit { name: string; kind: string }
export interface PolicyRoute { category: string; label_zh: string; department: string }

const cache = new Map<string, Promise<unknown>>();
function once<T>(key: string, load: () => Promise<T>): Promise<T> {
  if (!cache.has(key)) cache.set(key, load().catch((e) => { cache.delete(key); throw e; }));
  return cache.get(key) as Promise<T>;
}
export function forgetReference(): void { cache.clear(); }

export const teams = () => once("teams", () => unwrap<Team[]>(client.GET("/api/v1/teams")));
export const branches = () => once("branches", () => unwrap<Branch[]>(client.GET("/api/v1/branches")));
export const units = () => once("units", () => unwrap<Unit[]>(client.GET("/api/v1/units")));
export const policyRoutes = () => once("policy-routes", () => unwrap<PolicyRoute[]>(client.GET("/api/v1/policy-routes")));

export const STAGES = ["lead", "negotiating", "signed", "land", "construction", "production"] as const;
export type Stage = (typeof STAGES)[number];
export const STAGE_LABELS: Record<string, string> = {
  lead: "线索", negotiating: "在谈", signed: "签约", land: "供地", construction: "开工", production: "投产",
};
export const STATUS_LABELS: Record<string, string> = { active: "推进中", stalled: "停滞", lost: "已流失" };
export const CATEGORY_LABELS: Record<string, string> = {
  policy: "投资政策", land: "用地", power: "用电", water: "用水", gas: "用气", environment: "环保",
  permit: "审批许可", finance: "金融财税", talent: "人才", other: "其他",
};
export const SLA_LABELS: Record<string, { text: string; color: string }> = {
  on_track: { text: "正常", color: "green" },
  warning: { text: "预警", color: "orange" },
  breached: { text: "已超时", color: "red" },
  met: { text: "按时办结", color: "blue" },
  met_late: { text: "超时办结", color: "volcano" },
};

// The county leaders' accounts a project lead or a task names (GET /leaders).
export interface LeaderAccount { username: string; display_name: string }
export const leaders = () => once("leaders", () => unwrap<LeaderAccount[]>(client.GET("/api/v1/leaders")));
