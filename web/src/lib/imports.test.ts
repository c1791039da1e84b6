import { describe, expect, it } from "vitest";
import { ApiError } from "./problems";
import { errorsByRow, mayCommit, refusal } from "./imports";

describe("an import's errors", () => {
  it("are grouped by row, in the sheet's order", () => {
    expect(errorsByRow([
      { row: 5, column: "行业", msg: "第5行“行业”：无法分派" },
      { row: 3, column: "总投资（亿元）", msg: "第3行：不是金额" },
      { row: 5, column: "企业名称", msg: "第5行：必填" },
      { row: 7, msg: "第7行：空行" },
    ])).toEqual([
      { row: 3, columns: [{ column: "总投资（亿元）", msg: "第3行：不是金额" }] },
      { row: 5, columns: [{ column: "行业", msg: "第5行“行业”：无法分派" }, { column: "企业名称", msg: "第5行：必填" }] },
      { row: 7, columns: [{ column: "整行", msg: "第7行：空行" }] },
    ]);
  });
  it("of a refused commit are told by row and column, by file, and by field", () => {
    const error = new ApiError(422, { status: 422, detail: "有 1 行不能导入", errors: [
      { loc: ["body", "file", "4", "类别"], msg: "第4行“类别”：无法识别" },
      { loc: ["body", "file"], msg: "不是 Excel 工作簿（.xlsx）" },
      { loc: ["query", "lead_id"], msg: "没有该项目" },
    ] });
    expect(refusal(error)).toEqual({
      rows: [{ row: 4, column: "类别", msg: "第4行“类别”：无法识别" }],
      file: ["不是 Excel 工作簿（.xlsx）"],
      fields: [{ name: "lead_id", msg: "没有该项目" }],
    });
    expect(refusal(new ApiError(503, { status: 503 }))).toEqual({ rows: [], file: [], fields: [] });
  });
  it("lets the commit go after a dry run with rows to import (a whole batch: no bad row)", () => {
    const answer = { dry_run: true, rows: 3, valid: 2, errors: [{ row: 4, msg: "x" }], duplicates: [] };
    expect(mayCommit(answer, false)).toBe(true);
    expect(mayCommit(answer, true)).toBe(false);
    expect(mayCommit({ ...answer, valid: 0, errors: [] }, false)).toBe(false);
    expect(mayCommit({ ...answer, dry_run: false }, false)).toBe(false);
    expect(mayCommit(null, false)).toBe(false);
  });
});
