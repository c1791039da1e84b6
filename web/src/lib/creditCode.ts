// GB 32100-2015, the same rule as the server (services/leads/domain.py): the unified social
// credit code has 18 characters from 31 (no I, O, Z, S, V); the 18th is a check over the first 17.
export const CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function normaliseCreditCode(code: string): string {
  return code.normalize("NFKC").trim().toUpperCase();
}

export function creditCodeCheckChar(first17: string): string {
  let total = 0;
  for (let i = 0; i < 17; i++) total += CREDIT_CODE_CHARSET.indexOf(first17[i]) * WEIGHTS[i];
  return CREDIT_CODE_CHARSET[(31 - (total % 31)) % 31];
}

/** Why the code is not valid, in Chinese; null when it is. Partial input says what is missing. */
export function creditCodeProblem(raw: string): string | null {
  const code = normaliseCreditCode(raw);
  const bad = [...new Set([...code].filter((ch) => !CREDIT_CODE_CHARSET.includes(ch)))];
  if (bad.length) return `含有信用代码不允许的字符：${bad.join("")}（不用 I、O、Z、S、V）`;
  if (code.length !== 18) return `应为 18 位，已输入 ${code.length} 位`;
  const expected = creditCodeCheckChar(code.slice(0, 17));
  if (code[17] !== expected) return `校验位为 ${code[17]}，按前 17 位应为 ${expected}`;
  return null;
}
