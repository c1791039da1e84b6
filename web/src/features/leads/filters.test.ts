import { describe, expect, it } from "vitest";
import { exportName, leadFilters } from "./filters";

describe("the lead list's filters", () => {
  it("reads the filters from the address, without pages or empties", () => {
    const p = new URLSearchParams("stage=signed&q=%20捷泰%20&team_id=&page=3&page_size=50&major=true&status=active");
    expect(leadFilters(p)).toEqual({ stage: "signed", q: "捷泰", major: "true", status: "active" });
  });

  it("drops a major filter other than the green channel", () => {
    expect(leadFilters(new URLSearchParams("major=false"))).toEqual({});
  });

  it("names the export after its filters and the day", () => {
    const labels = { stage: (v: string) => ({ signed: "签约" } as Record<string, string>)[v], team_id: () => "新能源产业专业招商协作组" };
    expect(exportName({ stage: "signed", team_id: "new-energy", major: "true", q: "捷/泰" }, labels, "2026-12-02"))
      .toBe("项目线索-新能源产业专业招商协作组-签约-绿色通道-捷泰-2026-12-02.xlsx");
    expect(exportName({}, {}, "2026-12-02")).toBe("项目线索-2026-12-02.xlsx");
  });
});
