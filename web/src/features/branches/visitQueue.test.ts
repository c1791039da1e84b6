import { describe, expect, it } from "vitest";
import { enqueue, flush, readQueue, type QueuedVisit, type Store } from "./visitQueue";

function memory(): Store { const m = new Map<string, string>(); return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) }; }
const visit = (key: string): QueuedVisit => ({ key, tripId: "t1", body: { company: `公司${key}` }, queuedAt: "2026-12-01T10:00:00+08:00" });

describe("the offline visit queue", () => {
  it("keeps a visit while the network is down and sends it once when it is back", async () => {
    const store = memory();
    enqueue(store, visit("a"));
    const keys: string[] = [];
    expect(await flush(store, async () => { throw new TypeError("offline"); })).toMatchObject({ sent: 0, kept: 1 });
    expect(readQueue(store)).toHaveLength(1);
    await flush(store, async (v) => { keys.push(v.key); return new Response("{}", { status: 201 }); });
    await flush(store, async (v) => { keys.push(v.key); return new Response("{}", { status: 201 }); });
    expect(keys).toEqual(["a"]);
    expect(readQueue(store)).toEqual([]);
  });
  it("keeps a visit the server could not take now (503) and drops one it refuses (422)", async () => {
    const store = memory();
    enqueue(store, visit("a"));
    enqueue(store, visit("b"));
    const result = await flush(store, async (v) => new Response("{}", { status: v.key === "a" ? 503 : 422 }));
    expect(result.kept).toBe(1);
    expect(result.refused.map((v) => v.key)).toEqual(["b"]);
    expect(readQueue(store).map((v) => v.key)).toEqual(["a"]);
  });
  it("queues the same key once", () => {
    const store = memory();
    enqueue(store, visit("a"));
    enqueue(store, visit("a"));
    expect(readQueue(store)).toHaveLength(1);
  });
});
