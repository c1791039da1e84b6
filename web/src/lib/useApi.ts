import { useCallback, useEffect, useRef, useState } from "react";

/** Loads `load()` now and whenever `deps` change; `reload()` loads again. */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const serial = useRef(0);
  const run = useCallback(() => {
    const mine = ++serial.current;
    setLoading(true);
    load().then(
      (d) => { if (mine === serial.current) { setData(d); setError(undefined); setLoading(false); } },
      (e) => { if (mine === serial.current) { setError(e); setLoading(false); } },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(run, [run]);
  return { data, error, loading, reload: run };
}

/** The current time, ticking every `everyMs` (live countdowns). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
