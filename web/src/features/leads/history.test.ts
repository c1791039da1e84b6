import { describe, expect, it } from "vitest";
import { describeChange, shownValue } from "./history";

const TEAMS = { "new-energy": "新能源产业专业招商协作组", "electronic-info": "电子信息产业专业招商协作组" };

describe("a lead's change history", () => {
  it("names a team, not its id", () => {
    expect(describeChange({ action: "reassigned", fields: { team_id: { from: "new-energy", to: "electronic-info" } }, note: "转向储能芯片" }, TEAMS))
      .toBe("改派：招商组 新能源产业专业招商协作组 → 电子信息产业专业招商协作组（转向储能芯片）");
    expect(describeChange({ action: "assigned", fields: { team_id: { from: null, to: "new-energy" } } }, TEAMS))
      .toBe("分派招商组：招商组 空 → 新能源产业专业招商协作组");
  });
  it("keeps an id it cannot name, and says stages in Chinese", () => {
    expect(shownValue("team_id", "retired-team", TEAMS)).toBe("retired-team");
    expect(describeChange({ action: "stage", fields: { stage: { from: "lead", to: "negotiating" } } }, TEAMS)).toBe("变更阶段：阶段 线索 → 在谈");
  });
});
