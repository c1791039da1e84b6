import type { LeaderAccount } from "../../lib/reference";

export interface ProjectLead { name: string; title?: string | null; username?: string | null }

/** The project lead the four ones store: the picked leader's account, with the name shown. */
export function projectLeadFor(username: string, title: string | undefined, list: LeaderAccount[]): ProjectLead {
  const account = list.find((l) => l.username === username);
  return { name: account?.display_name ?? username, username, ...(title ? { title } : {}) };
}

/** The editor's first choice: the stored account; for a project lead typed as a name (older
 * leads), the one leader of that name if there is exactly one, else nothing (picked anew). */
export function initialLeader(stored: ProjectLead | null | undefined, list: LeaderAccount[]): string | undefined {
  if (!stored) return undefined;
  if (stored.username) return stored.username;
  const named = list.filter((l) => l.display_name === stored.name);
  return named.length === 1 ? named[0].username : undefined;
}

/** "陈国华（常务副县长）": how a project lead reads, whether picked or typed. */
export function projectLeadText(p: ProjectLead): string {
  return `${p.name}${p.title ? `（${p.title}）` : ""}`;
}

/** The options of the leaders' list: the name, and the account to tell two of one name apart. */
export function leaderOptions(list: LeaderAccount[]): { value: string; label: string }[] {
  return list.map((l) => ({ value: l.username, label: `${l.display_name}（${l.username}）` }));
}
