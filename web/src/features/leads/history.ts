import { STAGE_LABELS, STATUS_LABELS } from "../../lib/reference";

// A lead's change history (GET /leads/{id} `changes`), as a person reads it.
export const MILESTONES = [
  { value: "signed", label: "签约" }, { value: "relocation_done", label: "居民搬迁完成" }, { value: "land_listed", label: "土地挂牌" },
  { value: "land_delivered", label: "交地" }, { value: "groundbreaking", label: "开工" }, { value: "trial_production", label: "试生产" },
  { value: "production", label: "投产" },
];
const FIELD_LABELS: Record<string, string> = {
  stage: "阶段", status: "状态", team_id: "招商组", owner: "跟进人", title: "项目名称", industry: "产业", investment_cny: "投资额",
  land_mu: "用地", region: "地区", notes: "备注", major: "重大项目", company: "企业", contact: "联系人", first_contact_at: "首次接触",
  ...Object.fromEntries(MILESTONES.map((m) => [m.value, m.label])),
};
const ACTIONS: Record<string, string> = {
  created: "登记线索", assigned: "分派招商组", four_ones: "设置四个一", stage: "变更阶段", status: "变更状态", milestone: "记录节点",
  updated: "修改信息", reassigned: "改派",
};

export interface Change { action: string; fields?: Record<string, { from?: unknown; to?: unknown }> | null; note?: string | null }

/** One value of a changed field: a team by its name, a stage or status by its label. */
export function shownValue(field: string, v: unknown, teamNames: Record<string, string>): string {
  if (v == null) return "空";
  if (typeof v === "object") return "已修改";
  const s = String(v);
  if (field === "team_id") return teamNames[s] ?? s;
  return STAGE_LABELS[s] ?? STATUS_LABELS[s] ?? s;
}

/** "改派：招商组 新能源产业专业招商协作组 → 电子信息产业专业招商协作组（原因）". */
export function describeChange(c: Change, teamNames: Record<string, string>): string {
  const fields = c.fields ? "：" + Object.entries(c.fields).map(([k, f]) =>
    `${FIELD_LABELS[k] ?? "其他"} ${shownValue(k, f.from, teamNames)} → ${shownValue(k, f.to, teamNames)}`).join("，") : "";
  return `${ACTIONS[c.action] ?? c.action}${fields}${c.note ? `（${c.note}）` : ""}`;
}
