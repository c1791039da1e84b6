// Visits typed without signal wait in the browser (localStorage) and are sent when the
// connection is back, each with the Idempotency-Key it got when typed: never recorded twice.
export interface QueuedVisit { key: string; tripId: string; body: Record<string, unknown>; queuedAt: string }

export interface Store { getItem(k: string): string | null; setItem(k: string, v: string): void }
const KEY = "kuaiban.visitQueue";

export function readQueue(store: Store): QueuedVisit[] {
  try { return JSON.parse(store.getItem(KEY) || "[]") as QueuedVisit[]; } catch { return []; }
}

export function enqueue(store: Store, visit: QueuedVisit): void {
  const queue = readQueue(store).filter((q) => q.key !== visit.key);
  store.setItem(KEY, JSON.stringify([...queue, visit]));
}

function remove(store: Store, key: string): void {
  store.setItem(KEY, JSON.stringify(readQueue(store).filter((q) => q.key !== key)));
}

/** What the server said: sent (stored), kept (try again later) or refused (will never pass). */
export type Outcome = "sent" | "kept" | "refused";

/** Sends every queued visit once; a network failure or a 5xx keeps it, anything else removes it. */
export async function flush(store: Store, send: (v: QueuedVisit) => Promise<Response>): Promise<{ sent: number; kept: number; refused: QueuedVisit[] }> {
  let sent = 0, kept = 0;
  const refused: QueuedVisit[] = [];
  for (const visit of readQueue(store)) {
    let outcome: Outcome;
    try {
      const r = await send(visit);
      outcome = r.ok ? "sent" : r.status >= 500 || r.status === 401 || r.status === 429 ? "kept" : "refused";
    } catch {
      outcome = "kept";
    }
    if (outcome === "kept") { kept++; continue; }
    remove(store, visit.key);
    if (outcome === "sent") sent++; else refused.push(visit);
  }
  return { sent, kept, refused };
}
