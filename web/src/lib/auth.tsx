import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { loadSession, onSession, type Session } from "./session";

const AuthContext = createContext<Session | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  useEffect(() => onSession(setSession), []);
  // A token that runs out while the page is open: back to the login, and back here after.
  useEffect(() => {
    if (!session) return;
    const left = session.expiresAt - Date.now();
    const t = setTimeout(() => {
      const here = window.location.pathname + window.location.search;
      window.location.assign(`/login?expired=1&next=${encodeURIComponent(here)}`);
    }, Math.max(0, Math.min(left, 2 ** 31 - 1)));
    return () => clearTimeout(t);
  }, [session]);
  return <AuthContext.Provider value={session}>{children}</AuthContext.Provider>;
}

export function useSession(): Session | null {
  return useContext(AuthContext);
}
