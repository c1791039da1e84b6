// Money travels in yuan (integers); people read and type it in 万元 and 亿元.
export const WAN = 10_000;
export const YI = 100_000_000;

function trim(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.?0+$/, "");
}

/** 130亿元, 3,500万元, 8,000元: the largest unit that keeps the figure readable. */
export function formatCny(yuan: number | null | undefined): string {
  if (yuan === null || yuan === undefined || Number.isNaN(yuan)) return "—";
  const abs = Math.abs(yuan);
  if (abs >= YI) return `${trim(yuan / YI, 2)}亿元`;
  if (abs >= WAN) return `${Number(trim(yuan / WAN, 2)).toLocaleString("zh-CN")}万元`;
  return `${yuan.toLocaleString("zh-CN")}元`;
}

/** 万元 typed in a form -> yuan for the API (rounded to the yuan). */
export function wanToYuan(wan: number): number {
  return Math.round(wan * WAN);
}

export function yuanToWan(yuan: number): number {
  return yuan / WAN;
}

export function formatMu(mu: number | null | undefined): string {
  if (mu === null || mu === undefined) return "—";
  return `${trim(mu, 2)}亩`;
}
