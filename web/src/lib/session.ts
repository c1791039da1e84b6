// The signed-in session, kept in localStorage so that it survives a reload.
const KEY = "kuaiban.session";

export interface Me {
  username: string;
  display_name: string;
  role: Role;
  team_id?: string | null;
  branch_id?: string | null;
  department?: string | null;
}

export type Role = "admin" | "leader" | "team_member" | "branch_member" | "department" | "inspector";

export const ROLE_LABELS: Record<Role, string> = {
  admin: "系统管理员",
  leader: "县领导",
  team_member: "招商组成员",
  branch_member: "支部成员",
  department: "部门",
  inspector: "督查室",
};

export interface Session {
  token: string;
  expiresAt: number;
  me: Me;
}

type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return s.expiresAt > Date.now() ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  listeners.forEach((l) => l(s));
}

export function onSession(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function currentToken(): string | null {
  return loadSession()?.token ?? null;
}
