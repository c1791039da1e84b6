import { Alert, Button, type FormInstance } from "antd";
import { ApiError, describe, fieldErrors } from "../lib/problems";

/** Puts the server's field errors beside their fields; returns what is left for the page. */
export function applyProblem(form: FormInstance | null, error: unknown): void {
  if (form && error instanceof ApiError && error.status === 422) {
    const fields = fieldErrors(error.problem);
    const known = fields.filter((f) => form.getFieldInstance(f.name as never) !== undefined || true);
    form.setFields(known.map((f) => ({ name: f.name as never, errors: f.errors })));
  }
}

/** The error above a form: what went wrong, what is allowed (409), or try again (503). */
export function FormError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  let allowed: string | null = null;
  if (error instanceof ApiError && error.status === 409) {
    const p = error.problem as Record<string, unknown>;
    const list = (p.allowed ?? p.allowed_steps ?? p.allowed_moves) as unknown;
    if (Array.isArray(list)) {
      allowed = list.map((a) => (typeof a === "string" ? a : (a as { label_zh?: string; stage?: string }).label_zh ?? (a as { stage?: string }).stage)).join("、");
    }
  }
  const unavailable = error instanceof ApiError ? error.status === 503 : error instanceof TypeError;
  return (
    <Alert
      role="alert"
      type={unavailable ? "warning" : "error"}
      showIcon
      style={{ marginBottom: 12 }}
      message={describe(error)}
      description={allowed !== null ? `当前允许：${allowed || "无（请先调整状态）"}` : undefined}
      action={unavailable && onRetry ? <Button size="small" onClick={onRetry}>重试</Button> : undefined}
    />
  );
}
