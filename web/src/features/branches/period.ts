// The period the branches' results and ranking are counted over (GET /branches/ranking?from=&to=).
export type PeriodKind = "month" | "quarter" | "year" | "all" | "custom";
export interface Period { from?: string; to?: string }

const pad = (n: number) => String(n).padStart(2, "0");
const iso = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate(); // m: 1-12

/** This month, quarter or year up to its last day, from the county's `today` (YYYY-MM-DD). */
export function periodOf(kind: Exclude<PeriodKind, "custom">, today: string): Period {
  const [y, m] = today.split("-").map(Number);
  if (kind === "month") return { from: iso(y, m, 1), to: iso(y, m, lastDay(y, m)) };
  if (kind === "quarter") {
    const first = Math.floor((m - 1) / 3) * 3 + 1;
    return { from: iso(y, first, 1), to: iso(y, first + 2, lastDay(y, first + 2)) };
  }
  if (kind === "year") return { from: iso(y, 1, 1), to: iso(y, 12, 31) };
  return {};
}

/** How the period reads in a card's title. */
export function periodLabel(p: Period): string {
  if (!p.from && !p.to) return "全部时间";
  if (p.from && p.to) return `${p.from} 至 ${p.to}`;
  return p.from ? `${p.from} 起` : `截至 ${p.to}`;
}
