import { countdown } from "../lib/dates";
import { useNow } from "../lib/useApi";

/** A live countdown to a deadline: red once past, orange in its last quarter. */
export function Countdown({ due, start, stopped }: { due: string; start?: string; stopped?: boolean }) {
  const now = useNow(1000);
  if (stopped) return <span>已停止计时</span>;
  const c = countdown(due, now);
  let soon = false;
  if (start && !c.overdue) {
    const total = new Date(due).getTime() - new Date(start).getTime();
    soon = total > 0 && c.ms / total < 0.25;
  }
  return <span className={c.overdue ? "overdue" : soon ? "due-soon" : undefined} role="timer" aria-live="off">{c.text}</span>;
}
