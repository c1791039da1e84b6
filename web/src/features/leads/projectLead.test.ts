import { describe, expect, it } from "vitest";
import { initialLeader, leaderOptions, projectLeadFor, projectLeadText } from "./projectLead";

const LEADERS = [
  { username: "leader.chen", display_name: "陈国华" },
  { username: "leader.wang", display_name: "王县长" },
  { username: "leader.wang2", display_name: "王县长" },
];

describe("the project lead of the four ones", () => {
  it("stores the picked leader's account with the name", () => {
    expect(projectLeadFor("leader.chen", "常务副县长", LEADERS)).toEqual({ name: "陈国华", username: "leader.chen", title: "常务副县长" });
    expect(projectLeadFor("leader.chen", "", LEADERS)).toEqual({ name: "陈国华", username: "leader.chen" });
  });
  it("starts the editor from the stored account, or the one leader of a typed name", () => {
    expect(initialLeader({ name: "陈国华", username: "leader.chen" }, LEADERS)).toBe("leader.chen");
    expect(initialLeader({ name: "陈国华" }, LEADERS)).toBe("leader.chen");
    expect(initialLeader({ name: "王县长" }, LEADERS)).toBeUndefined(); // two of that name: picked anew
    expect(initialLeader({ name: "李某" }, LEADERS)).toBeUndefined();
    expect(initialLeader(null, LEADERS)).toBeUndefined();
  });
  it("reads the same picked or typed", () => {
    expect(projectLeadText({ name: "陈国华", title: "常务副县长" })).toBe("陈国华（常务副县长）");
    expect(projectLeadText({ name: "李某", username: null })).toBe("李某");
  });
  it("offers each leader by name and account", () => {
    expect(leaderOptions(LEADERS)[1]).toEqual({ value: "leader.wang", label: "王县长（leader.wang）" });
  });
});
