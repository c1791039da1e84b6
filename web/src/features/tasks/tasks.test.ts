import { describe, expect, it } from "vitest";
import { dayjs } from "../../lib/dates";
import { isoWeekOf, mayAssign, mayRecordProgress, monthOf, progressBody } from "./tasks";

describe("the leaders' tasks", () => {
  it("asks for the ISO week of a day (the week of its Thursday)", () => {
    expect(isoWeekOf(dayjs("2026-11-25"))).toBe("2026-W48");
    expect(isoWeekOf(dayjs("2026-11-30"))).toBe("2026-W49"); // a Monday
    expect(isoWeekOf(dayjs("2027-01-01"))).toBe("2026-W53"); // a Friday: still 2026's last week
    expect(monthOf(dayjs("2026-11-25"))).toBe("2026-11");
  });
  it("lets the supervision office assign, and a leader record the own tasks only", () => {
    expect(mayAssign("inspector") && mayAssign("admin")).toBe(true);
    expect(mayAssign("leader")).toBe(false);
    expect(mayRecordProgress({ leader: "leader.chen" }, { role: "leader", username: "leader.chen" })).toBe(true);
    expect(mayRecordProgress({ leader: "leader.chen" }, { role: "leader", username: "leader.wang" })).toBe(false);
    expect(mayRecordProgress({ leader: "leader.chen" }, { role: "inspector", username: "dcs.sun" })).toBe(true);
  });
  it("sends 100% for a task marked done, and no empty note", () => {
    expect(progressBody({ progress_pct: 40, progress_note: "  " })).toEqual({ progress_pct: 40 });
    expect(progressBody({ progress_pct: 40, progress_note: "已签约", done: true })).toEqual({ progress_pct: 100, progress_note: "已签约" });
  });
});
