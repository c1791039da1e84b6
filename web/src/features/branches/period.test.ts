import { describe, expect, it } from "vitest";
import { periodLabel, periodOf } from "./period";

describe("the results' period", () => {
  it("is this month, to its last day", () => {
    expect(periodOf("month", "2026-12-02")).toEqual({ from: "2026-12-01", to: "2026-12-31" });
    expect(periodOf("month", "2028-02-10")).toEqual({ from: "2028-02-01", to: "2028-02-29" });
  });
  it("is this quarter", () => {
    expect(periodOf("quarter", "2026-11-15")).toEqual({ from: "2026-10-01", to: "2026-12-31" });
    expect(periodOf("quarter", "2026-05-01")).toEqual({ from: "2026-04-01", to: "2026-06-30" });
  });
  it("is this year, or all time", () => {
    expect(periodOf("year", "2026-12-02")).toEqual({ from: "2026-01-01", to: "2026-12-31" });
    expect(periodOf("all", "2026-12-02")).toEqual({});
  });
  it("reads as dates", () => {
    expect(periodLabel({})).toBe("全部时间");
    expect(periodLabel({ from: "2026-10-01", to: "2026-12-31" })).toBe("2026-10-01 至 2026-12-31");
    expect(periodLabel({ from: "2026-10-01" })).toBe("2026-10-01 起");
  });
});
