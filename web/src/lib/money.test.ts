import { describe, expect, it } from "vitest";
import { formatCny, formatMu, wanToYuan } from "./money";

describe("money in 万元 and 亿元", () => {
  it("shows billions in 亿元", () => {
    expect(formatCny(13_000_000_000)).toBe("130亿元");
    expect(formatCny(1_250_000_000)).toBe("12.5亿元");
  });
  it("shows tens of thousands in 万元 with separators", () => {
    expect(formatCny(35_000_000)).toBe("3,500万元");
    expect(formatCny(12_345)).toBe("1.23万元");
  });
  it("shows small sums in 元 and nothing as a dash", () => {
    expect(formatCny(8000)).toBe("8,000元");
    expect(formatCny(null)).toBe("—");
  });
  it("turns 万元 typed in a form into whole yuan", () => {
    expect(wanToYuan(1_300_000)).toBe(13_000_000_000);
    expect(wanToYuan(0.01)).toBe(100);
  });
  it("shows land in 亩", () => {
    expect(formatMu(879)).toBe("879亩");
    expect(formatMu(12.5)).toBe("12.5亩");
  });
});
