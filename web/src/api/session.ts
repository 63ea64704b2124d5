// The login session. The access token lives in this module's memory only: never in localStorage or sessionStorage,
// so a script injected into the page finds nothing stored to steal. The refresh token is an HttpOnly cookie that
// only /auth/refresh receives (the server sets it at login; no script of the page can read it). A reload starts
// with no access token and gets one from the cookie (restoreSession); tokens are refreshed silently before they
// expire and once more on a 401. Refresh tokens rotate, so refreshes are serialised: within a tab by one shared
// promise, across tabs by a Web Lock (two tabs refreshing at once would show the same refresh token twice, which
// the server treats as theft and ends the session).

export interface Tokens {
  access_token: string;
  expires_at: number; // epoch ms
}

/** The header the server asks of every request that uses the session cookie (its CSRF check; docs/security.md). */
export const CSRF_HEADERS = { "X-Requested-With": "fetch" } as const;
const LOCK = "pa.session.refresh";
const MAX_MARGIN_MS = 60_000;
type Listener = (tokens: Tokens | null) => void;

let tokens: Tokens | null = null;
let refreshing: Promise<Tokens | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<Listener>();

export function getTokens(): Tokens | null {
  return tokens;
}

export function setTokens(next: Tokens | null): void {
  tokens = next;
  schedule();
  for (const listener of listeners) listener(next);
}

export function onTokens(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function tokensFrom(body: { access_token: string; expires_in: number }): Tokens {
  return { access_token: body.access_token, expires_at: Date.now() + body.expires_in * 1000 };
}

/** Refresh a minute before expiry, or after four fifths of a short lifetime. */
function margin(lifetimeMs: number): number {
  return Math.min(MAX_MARGIN_MS, lifetimeMs / 5);
}

function schedule(): void {
  if (timer) clearTimeout(timer);
  if (!tokens || typeof window === "undefined") return;
  const left = tokens.expires_at - Date.now();
  const wait = Math.max(1_000, left - margin(left));
  timer = setTimeout(() => void refreshTokens(), Math.min(wait, 2 ** 31 - 1));
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  return locks ? locks.request(LOCK, work) : work();
}

/** POST /auth/refresh with the cookie: new tokens, or null when there is no session (or it ended). */
async function exchangeCookie(): Promise<Tokens | null | "offline"> {
  try {
    const response = await fetch("/auth/refresh", { method: "POST", credentials: "same-origin", headers: { ...CSRF_HEADERS } });
    if (!response.ok) return response.status === 401 || response.status === 403 ? null : "offline";
    return tokensFrom(await response.json());
  } catch {
    return "offline";
  }
}

function refresh(signOutOnRefusal: boolean): Promise<Tokens | null> {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      const next = await withLock(exchangeCookie);
      if (next === "offline") return null; // keep the session: a later request retries
      if (next || signOutOnRefusal) setTokens(next);
      return next;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Trades the session cookie for a new access token; signs out when the server refuses it. */
export function refreshTokens(): Promise<Tokens | null> {
  if (!tokens) return Promise.resolve(null);
  return refresh(true);
}

/** At start (a reload, a new tab): the session of the cookie, if there is one. */
export function restoreSession(): Promise<Tokens | null> {
  return refresh(true);
}

/** Ends the session on the server (revokes it and clears the cookie), then here. */
export async function endSession(): Promise<void> {
  try {
    await withLock(() => fetch("/auth/refresh", { method: "DELETE", credentials: "same-origin", headers: { ...CSRF_HEADERS } }));
  } catch {
    // offline: the cookie stays until it expires or the next logout; the tab forgets the session anyway
  }
  setTokens(null);
}
