// The login session: tokens kept in localStorage so a reload stays signed in, refreshed silently before they
// expire and once more on a 401. Refresh tokens rotate, so concurrent refreshes share one request.

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_at: number; // epoch ms
}

const KEY = "pa.session";
const REFRESH_MARGIN_MS = 60_000;
type Listener = (tokens: Tokens | null) => void;

let tokens: Tokens | null = load();
let refreshing: Promise<Tokens | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<Listener>();

function load(): Tokens | null {
  try {
    const text = globalThis.localStorage?.getItem(KEY);
    return text ? (JSON.parse(text) as Tokens) : null;
  } catch {
    return null;
  }
}

export function getTokens(): Tokens | null {
  return tokens;
}

export function setTokens(next: Tokens | null): void {
  tokens = next;
  if (next) globalThis.localStorage?.setItem(KEY, JSON.stringify(next));
  else globalThis.localStorage?.removeItem(KEY);
  schedule();
  for (const listener of listeners) listener(next);
}

export function onTokens(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function tokensFrom(body: { access_token: string; refresh_token: string; expires_in: number }): Tokens {
  return {
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    expires_at: Date.now() + body.expires_in * 1000,
  };
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  if (!tokens || typeof window === "undefined") return;
  const wait = Math.max(0, tokens.expires_at - Date.now() - REFRESH_MARGIN_MS);
  timer = setTimeout(() => void refreshTokens(), Math.min(wait, 2 ** 31 - 1));
}

/** Trades the refresh token for new tokens; signs out when the server refuses it. */
export function refreshTokens(): Promise<Tokens | null> {
  if (refreshing) return refreshing;
  const current = tokens;
  if (!current) return Promise.resolve(null);
  refreshing = (async () => {
    try {
      const response = await fetch("/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: current.refresh_token }),
      });
      if (!response.ok) {
        if (response.status === 400 || response.status === 401 || response.status === 403) setTokens(null);
        return null;
      }
      const next = tokensFrom(await response.json());
      setTokens(next);
      return next;
    } catch {
      return null; // offline: keep the session, the next request will retry
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

schedule();
