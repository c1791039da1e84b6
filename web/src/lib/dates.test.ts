import { describe, expect, it } from "vitest";
import { countdown, countyIso, formatTime } from "./dates";

const due = "2026-12-03T12:00:00+08:00";
const at = (iso: string) => new Date(iso).getTime();

describe("countdowns to a deadline", () => {
  it("counts hours, minutes and seconds in the last day", () => {
    expect(countdown(due, at("2026-12-03T06:29:30+08:00"))).toMatchObject({ text: "剩余 5小时30分30秒", overdue: false });
  });
  it("counts days when more than one is left", () => {
    expect(countdown(due, at("2026-12-01T10:00:00+08:00")).text).toBe("剩余 2天2小时00分00秒");
  });
  it("says how long a deadline has been missed", () => {
    expect(countdown(due, at("2026-12-03T13:05:00+08:00"))).toMatchObject({ text: "已超时 1小时05分00秒", overdue: true });
  });
});

describe("county time", () => {
  it("shows times in Asia/Shanghai whatever the offset given", () => {
    expect(formatTime("2026-12-01T16:30:00Z")).toBe("2026-12-02 00:30");
  });
  it("reads a local time as +08:00", () => {
    expect(countyIso("2026-12-01 09:00")).toBe("2026-12-01T09:00:00+08:00");
  });
});
