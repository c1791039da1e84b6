// Amending a visit (PATCH /visits/{id}): the API keeps what is omitted, and an empty field
// cannot clear a recorded one, so only what was changed to something is sent.
export const EDITABLE = ["interest", "outcome", "next_step", "notes", "credit_code"] as const;
export type Editable = (typeof EDITABLE)[number];

export function visitChanges(visit: Partial<Record<Editable, string | null>>, values: Partial<Record<Editable, string | null | undefined>>): Partial<Record<Editable, string>> {
  const out: Partial<Record<Editable, string>> = {};
  for (const k of EDITABLE) {
    const v = typeof values[k] === "string" ? values[k]!.trim() : values[k];
    if (!v) continue;
    const next = k === "credit_code" ? v.toUpperCase() : v;
    if (next !== (visit[k] ?? "")) out[k] = next;
  }
  return out;
}
