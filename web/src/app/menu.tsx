import type { ReactNode } from "react";
import {
  AlertOutlined, AuditOutlined, BellOutlined, DashboardOutlined, FileTextOutlined,
  FlagOutlined, ProjectOutlined, ScheduleOutlined, SettingOutlined,
} from "@ant-design/icons";
import type { Role } from "../lib/session";

// The side menu, per role: each entry names who sees it (the API's own rules, mirrored).
export interface MenuEntry { key: string; label: string; icon: ReactNode; roles: Role[]; children?: { key: string; label: string; roles?: Role[] }[] }

const ALL: Role[] = ["admin", "leader", "team_member", "branch_member", "department", "inspector"];

export const MENU: MenuEntry[] = [
  { key: "/", label: "我的工作台", icon: <DashboardOutlined />, roles: ALL },
  { key: "/leads", label: "项目线索", icon: <ProjectOutlined />, roles: ["admin", "leader", "team_member", "branch_member", "inspector"],
    children: [
      { key: "/leads", label: "线索列表" },
      { key: "/leads/new", label: "新建线索", roles: ["admin", "leader", "team_member", "branch_member"] },
      { key: "/leads/import", label: "导入台账", roles: ["admin", "leader", "team_member"] },
    ] },
  { key: "/policy", label: "政策诉求", icon: <FileTextOutlined />, roles: ["admin", "leader", "team_member", "department", "inspector"],
    children: [
      { key: "/policy", label: "诉求列表" },
      { key: "/policy/new", label: "批量提交诉求", roles: ["admin", "leader", "team_member"] },
      { key: "/policy/import", label: "Excel 导入诉求", roles: ["admin", "leader", "team_member"] },
    ] },
  { key: "/problems", label: "问题闭环", icon: <AlertOutlined />, roles: ["admin", "leader", "team_member", "department", "inspector"],
    children: [
      { key: "/problems", label: "问题列表" },
      { key: "/problems/new", label: "提出问题", roles: ["admin", "leader", "team_member"] },
    ] },
  { key: "/tasks", label: "县领导任务", icon: <ScheduleOutlined />, roles: ["admin", "leader", "inspector"] },
  { key: "/supervision", label: "督查", icon: <AuditOutlined />, roles: ["admin", "leader", "inspector"] },
  { key: "/branches", label: "区域党支部", icon: <FlagOutlined />, roles: ["admin", "leader", "inspector", "branch_member"] },
  { key: "/notifications", label: "通知", icon: <BellOutlined />, roles: ALL },
  { key: "/admin", label: "管理", icon: <SettingOutlined />, roles: ["admin"],
    children: [
      { key: "/admin/users", label: "用户" },
      { key: "/admin/routing-rules", label: "分派规则" },
      { key: "/admin/policy-routes", label: "诉求路由" },
      { key: "/admin/holidays", label: "节假日" },
    ] },
];

export function menuFor(role: Role) {
  return MENU.filter((m) => m.roles.includes(role)).map((m) => ({
    key: m.key,
    icon: m.icon,
    label: m.label,
    children: m.children?.filter((c) => !c.roles || c.roles.includes(role)).map((c) => ({ key: c.key, label: c.label })),
  })).map((m) => (m.children && m.children.length ? m : { ...m, children: undefined }));
}

