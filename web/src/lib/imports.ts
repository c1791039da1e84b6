import { ApiError } from "./problems";

// An import's answer (POST /leads/import, /policy-requests/import), as the screens show it.
export interface RowError { row: number; column?: string | null; msg: string }
export interface RowDuplicate { row: number; existing_id?: string | null; msg: string }
export interface SheetAnswer { dry_run: boolean; rows: number; valid: number; errors: RowError[]; duplicates: RowDuplicate[] }

export interface RowErrors { row: number; columns: { column: string; msg: string }[] }

/** Each bad row once, with its columns' messages in the sheet's order of rows. */
export function errorsByRow(errors: RowError[]): RowErrors[] {
  const rows = new Map<number, RowErrors>();
  for (const e of errors) {
    if (!rows.has(e.row)) rows.set(e.row, { row: e.row, columns: [] });
    rows.get(e.row)!.columns.push({ column: e.column ?? "整行", msg: e.msg });
  }
  return [...rows.values()].sort((a, b) => a.row - b.row);
}

/** A refused import, split: the rows it names (loc body.file.<row>.<column>) and what is said
 * of the file as a whole or of another field (loc body.file, query.lead_id, ...). */
export function refusal(error: unknown): { rows: RowError[]; file: string[]; fields: { name: string; msg: string }[] } {
  const out = { rows: [] as RowError[], file: [] as string[], fields: [] as { name: string; msg: string }[] };
  if (!(error instanceof ApiError) || error.status !== 422) return out;
  const errors = error.problem.errors ?? [];
  for (const e of errors) {
    const [where, field, row, column] = e.loc.map(String);
    if ((where === "body") && (field === undefined || field === "file")) {
      if (row !== undefined && /^\d+$/.test(row)) out.rows.push({ row: Number(row), column: column ?? null, msg: e.msg });
      else out.file.push(e.msg);
    } else {
      out.fields.push({ name: field ?? where, msg: e.msg });
    }
  }
  if (!errors.length && error.problem.detail) out.file.push(error.problem.detail);
  return out;
}

/** Whether a dry run lets the commit go: at least one row to import, and (`whole` batches, whose
 * every row must be valid) no bad row. */
export function mayCommit(answer: SheetAnswer | null, whole: boolean): boolean {
  if (!answer || !answer.dry_run || answer.valid === 0) return false;
  return !whole || answer.errors.length === 0;
}
