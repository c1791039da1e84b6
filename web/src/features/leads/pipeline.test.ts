import { describe, expect, it } from "vitest";
import { allowedMoves } from "./pipeline";

describe("the stage moves offered, as the API allows them", () => {
  it("offers the next stage plainly and skips with a reason", () => {
    const moves = allowedMoves("negotiating", "active", "team_member");
    expect(moves[0]).toEqual({ stage: "signed", kind: "forward", needsReason: false });
    expect(moves.slice(1).every((m) => m.kind === "skip" && m.needsReason)).toBe(true);
    expect(moves.map((m) => m.stage)).not.toContain("lead");
  });
  it("lets only a leader or an admin move back", () => {
    expect(allowedMoves("signed", "active", "leader").filter((m) => m.kind === "backward").map((m) => m.stage)).toEqual(["lead", "negotiating"]);
    expect(allowedMoves("signed", "active", "team_member").some((m) => m.kind === "backward")).toBe(false);
  });
  it("offers nothing for a lost lead", () => {
    expect(allowedMoves("lead", "lost", "admin")).toEqual([]);
  });
});
