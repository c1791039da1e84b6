import { describe, expect, it } from "vitest";
import { creditCodeCheckChar, creditCodeProblem, normaliseCreditCode } from "./creditCode";

describe("the credit code's check digit, as the server computes it", () => {
  it("accepts real codes", () => {
    expect(creditCodeProblem("91110000600037341L")).toBeNull();
    expect(creditCodeProblem("91320826MA1JT0013A")).toBeNull();
  });
  it("computes the 18th character from the first 17", () => {
    expect(creditCodeCheckChar("91110000600037341")).toBe("L");
    expect(creditCodeCheckChar("91320826MA1JT0013")).toBe("A");
  });
  it("says which check digit was expected", () => {
    expect(creditCodeProblem("91110000600037341M")).toBe("校验位为 M，按前 17 位应为 L");
  });
  it("says how many characters are still missing while typing", () => {
    expect(creditCodeProblem("9111000060")).toBe("应为 18 位，已输入 10 位");
  });
  it("names the letters a code never has", () => {
    expect(creditCodeProblem("91110000600037341O")).toContain("O");
  });
  it("reads full-width and lower-case input as the server does", () => {
    expect(normaliseCreditCode(" ９１110000600037341l ")).toBe("91110000600037341L");
    expect(creditCodeProblem("91110000600037341l")).toBeNull();
  });
});
