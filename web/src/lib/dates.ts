import dayjs from "dayjs";
import utc from "dayjs/plugin/utc";
import timezone from "dayjs/plugin/timezone";
import "dayjs/locale/zh-cn";

dayjs.extend(utc);
dayjs.extend(timezone);
dayjs.locale("zh-cn");
// The county works in Asia/Shanghai whatever the browser's zone.
export const COUNTY_TZ = "Asia/Shanghai";
dayjs.tz.setDefault(COUNTY_TZ);

export { dayjs };

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return dayjs(iso).tz(COUNTY_TZ).format("YYYY-MM-DD HH:mm");
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  return dayjs(iso).tz(COUNTY_TZ).format("YYYY-MM-DD");
}

/** A local date and time (as typed in the county) as ISO 8601 with the +08:00 offset. */
export function countyIso(local: string): string {
  return dayjs.tz(local, COUNTY_TZ).format();
}

/** "剩余 5小时12分" / "已超时 1天3小时": a live countdown to `dueIso` from `nowMs`. */
export function countdown(dueIso: string, nowMs: number): { text: string; overdue: boolean; ms: number } {
  const ms = new Date(dueIso).getTime() - nowMs;
  const overdue = ms < 0;
  let rest = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  const body = `${days > 0 ? `${days}天` : ""}${hours}小时${pad(minutes)}分${pad(seconds)}秒`;
  return { text: overdue ? `已超时 ${body}` : `剩余 ${body}`, overdue, ms };
}
