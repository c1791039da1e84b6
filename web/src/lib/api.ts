import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./api-types";
import { ApiError, type Problem } from "./problems";
import { currentToken, saveSession } from "./session";

// One request layer: the bearer token, an Idempotency-Key on every POST, problems as ApiError,
// and an expired token sending the user to the login page and back to where they were.
export const client = createClient<paths>({ baseUrl: "" });

export function newIdempotencyKey(): string {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function onExpired(): void {
  const here = window.location.pathname + window.location.search;
  saveSession(null);
  if (!window.location.pathname.startsWith("/login")) {
    window.location.assign(`/login?expired=1&next=${encodeURIComponent(here)}`);
  }
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = currentToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    if (request.method === "POST" && !request.headers.has("Idempotency-Key")) {
      request.headers.set("Idempotency-Key", newIdempotencyKey());
    }
    return request;
  },
  async onResponse({ request, response }) {
    // A wrong password is a 401 too: that is the form's error, not an expired session.
    const asksPassword = request.url.endsWith("/api/v1/auth/token") || request.url.endsWith("/api/v1/me/password");
    if (response.status === 401 && !asksPassword) onExpired();
    return response;
  },
};
client.use(auth);

async function problemOf(response: Response, error: unknown): Promise<ApiError> {
  const problem = (error && typeof error === "object" ? error : { status: response.status, title: String(error ?? "") }) as Problem;
  const retry = Number(response.headers.get("Retry-After")) || undefined;
  return new ApiError(response.status, { ...problem, status: response.status }, retry);
}

/** The answer's data, or throws ApiError with the server's problem. */
export async function unwrap<T>(call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw await problemOf(response, error);
  return data as T;
}

/** A file answer (.xlsx, .pdf) as a blob, with the same token. */
export async function fetchBlob(path: string, query?: Record<string, string | undefined>): Promise<Blob> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") params.set(k, v);
  const url = params.size ? `${path}?${params}` : path;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${currentToken() ?? ""}` } });
  if (response.status === 401) onExpired();
  if (!response.ok) {
    let body: unknown = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    throw await problemOf(response, body);
  }
  return response.blob();
}

export async function download(path: string, filename: string, query?: Record<string, string | undefined>): Promise<void> {
  const blob = await fetchBlob(path, query);
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Query values without empties (the API validates every value it gets). */
export function cleanQuery<T extends object>(q: T): T {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== null && v !== "")) as T;
}

export const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** Sends a workbook (.xlsx) as the body of an import, with the token and a key of its own. */
export async function postWorkbook<T>(path: string, query: Record<string, string | undefined>, file: Blob): Promise<T> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, v);
  const response = await fetch(`${path}?${params}`, {
    method: "POST", body: file,
    headers: { Authorization: `Bearer ${currentToken() ?? ""}`, "Content-Type": XLSX_TYPE, "Idempotency-Key": newIdempotencyKey() },
  });
  if (response.status === 401) onExpired();
  let body: unknown = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) throw await problemOf(response, body);
  return body as T;
}
