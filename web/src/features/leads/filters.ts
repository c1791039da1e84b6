// The lead list's filters live in the address (a filtered list can be bookmarked and shared);
// the list and its .xlsx export read them the same way, so the file holds what the screen shows.
export const FILTERS = ["team_id", "stage", "status", "branch_id", "major", "q"] as const;
export type Filter = (typeof FILTERS)[number];

/** The filters set in the address, as the API's query (empty ones left out; pages not included). */
export function leadFilters(params: URLSearchParams): Partial<Record<Filter, string>> {
  const out: Partial<Record<Filter, string>> = {};
  for (const f of FILTERS) {
    const v = params.get(f)?.trim();
    if (!v) continue;
    if (f === "major" && v !== "true") continue; // only "green channel only" is offered
    out[f] = v;
  }
  return out;
}

/** The export's file name: what was filtered, and the day (项目线索-签约-2026-12-02.xlsx). */
export function exportName(filters: Partial<Record<Filter, string>>, labels: Partial<Record<Filter, (v: string) => string | undefined>>, today: string): string {
  const parts = FILTERS.filter((f) => filters[f]).map((f) => (f === "major" ? "绿色通道" : labels[f]?.(filters[f]!) ?? filters[f]!));
  const safe = parts.map((p) => p.replace(/[\\/:*?"<>|]/g, "")).filter(Boolean);
  return ["项目线索", ...safe, today].join("-") + ".xlsx";
}
