import { describe, expect, it } from "vitest";
import { ApiError, describe as say, fieldErrors, keepsIdempotencyKey } from "./problems";

describe("the server's problems, for people", () => {
  it("puts each field error under its form path, in Chinese", () => {
    const fields = fieldErrors({ status: 422, errors: [
      { loc: ["body", "company", "credit_code"], msg: "Value error, invalid unified social credit code: check digit is M, expected L" },
      { loc: ["body", "industry"], msg: "Field required" },
    ] });
    expect(fields).toEqual([
      { name: ["company", "credit_code"], errors: ["统一社会信用代码无效（校验位不符）"] },
      { name: ["industry"], errors: ["此项必填"] },
    ]);
  });
  it("keeps Chinese messages as they are", () => {
    expect(fieldErrors({ status: 422, errors: [{ loc: ["body", "title"], msg: "项目名称不能为空" }] })[0].errors).toEqual(["项目名称不能为空"]);
  });
  it("keeps what was typed on a 503 and says so", () => {
    expect(say(new ApiError(503, { status: 503, detail: "a database is unreachable" }, 5))).toContain("已填写的内容已保留");
  });
});

describe("a failed save's Idempotency-Key", () => {
  it("is kept when the save may have been done", () => {
    expect(keepsIdempotencyKey(new TypeError("Failed to fetch"))).toBe(true);
    expect(keepsIdempotencyKey(new ApiError(503, { status: 503 }))).toBe(true);
    expect(keepsIdempotencyKey(new ApiError(409, { status: 409, idempotency_key: "k" }))).toBe(true);
  });
  it("is renewed after a refusal, which the server keeps as that key's answer", () => {
    expect(keepsIdempotencyKey(new ApiError(422, { status: 422, errors: [] }))).toBe(false);
    expect(keepsIdempotencyKey(new ApiError(409, { status: 409, detail: "重复" }))).toBe(false);
    expect(keepsIdempotencyKey(new ApiError(404, { status: 404 }))).toBe(false);
  });
});
