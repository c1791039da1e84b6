import { describe, expect, it } from "vitest";
import { visitChanges } from "./visitEdit";

describe("amending a visit", () => {
  const visit = { interest: "medium", outcome: "初步接触", next_step: null, notes: "带去宣传册" };
  it("sends only what changed", () => {
    expect(visitChanges(visit, { interest: "high", outcome: "初步接触", next_step: " 月底来涟考察 ", notes: "带去宣传册" }))
      .toEqual({ interest: "high", next_step: "月底来涟考察" });
  });
  it("sends nothing for an unchanged or emptied form", () => {
    expect(visitChanges(visit, { ...visit })).toEqual({});
    expect(visitChanges(visit, { outcome: "", notes: "  " })).toEqual({});
  });
  it("sends a credit code in capitals", () => {
    expect(visitChanges(visit, { credit_code: "91320826ma1kx00424" })).toEqual({ credit_code: "91320826MA1KX00424" });
  });
});
