// RFC 9457 problems from the API, turned into what a form or a page can show.
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { loc: (string | number)[]; msg: string }[];
  allowed?: unknown;
  [key: string]: unknown;
}

export class ApiError extends Error {
  constructor(public status: number, public problem: Problem, public retryAfter?: number) {
    super(problem.detail || problem.title || `请求失败（${status}）`);
  }
}

const CJK = /[\u4e00-\u9fff]/;

// Validation messages that still arrive in English, said in Chinese.
const TRANSLATIONS: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^Field required/i, () => "此项必填"],
  [/at least (\d+) characters?/i, (m) => `至少 ${m[1]} 个字符`],
  [/at most (\d+) characters?/i, (m) => `最多 ${m[1]} 个字符`],
  [/at least (\d+) items?/i, (m) => `至少 ${m[1]} 项`],
  [/at most (\d+) items?/i, (m) => `最多 ${m[1]} 项`],
  [/greater than or equal to ([\d.]+)/i, (m) => `应不小于 ${m[1]}`],
  [/greater than ([\d.]+)/i, (m) => `应大于 ${m[1]}`],
  [/less than or equal to ([\d.]+)/i, (m) => `应不大于 ${m[1]}`],
  [/valid integer/i, () => "应为整数"],
  [/valid number/i, () => "应为数字"],
  [/valid date/i, () => "日期格式不正确"],
  [/Extra inputs are not permitted/i, () => "不允许的字段"],
  [/credit code/i, () => "统一社会信用代码无效（校验位不符）"],
  [/should match pattern/i, () => "格式不正确"],
  [/Input should be/i, () => "取值不在允许范围内"],
];

export function inChinese(msg: string): string {
  if (CJK.test(msg)) return msg;
  for (const [re, say] of TRANSLATIONS) {
    const m = msg.match(re);
    if (m) return say(m);
  }
  return `输入无效（${msg}）`;
}

/** Field errors keyed by their form path: loc ["body", "company", "name"] -> ["company", "name"]. */
export function fieldErrors(problem: Problem): { name: (string | number)[]; errors: string[] }[] {
  const byPath = new Map<string, { name: (string | number)[]; errors: string[] }>();
  for (const e of problem.errors ?? []) {
    const name = e.loc[0] === "body" || e.loc[0] === "query" ? e.loc.slice(1) : e.loc;
    if (!name.length) continue;
    const key = JSON.stringify(name);
    if (!byPath.has(key)) byPath.set(key, { name, errors: [] });
    byPath.get(key)!.errors.push(inChinese(e.msg));
  }
  return [...byPath.values()];
}

/** One sentence for a person: what went wrong and what to do. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    const p = error.problem;
    if (error.status === 503) return `服务暂时不可用，已填写的内容已保留，请稍后重试${error.retryAfter ? `（约 ${error.retryAfter} 秒后）` : ""}。`;
    if (error.status === 403) return "当前角色无权进行此操作。";
    if (p.detail && CJK.test(p.detail)) return p.detail;
    if (error.status === 404) return "未找到，或不在您的权限范围内。";
    if (error.status === 409) return "与已有数据冲突：可能重复，或当前状态不允许此操作。";
    if (error.status === 422) return p.errors?.length ? "请按提示修改标红的字段。" : `输入无效：${inChinese(p.detail ?? "")}`;
    if (error.status === 401) return "登录已失效，请重新登录。";
    if (error.status === 413) return "内容过大。";
    return `请求失败（${error.status}），请稍后重试。`;
  }
  if (error instanceof TypeError) return "无法连接服务器，请检查网络后重试。已填写的内容已保留。";
  return String(error);
}

/** Whether a save that failed may have been done after all, so that trying again must send the
 * same Idempotency-Key (no answer, a 5xx, or a 409 for a first try still running). A refusal
 * (any other 4xx) changed nothing, and the server keeps it as that key's answer for 24 hours:
 * the corrected form is a new request with a new key. */
export function keepsIdempotencyKey(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  if (error.status >= 500) return true;
  return error.status === 409 && error.problem.idempotency_key !== undefined;
}
