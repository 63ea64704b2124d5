import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema.gen";
import { getTokens, refreshTokens, setTokens } from "./session";
import { problemFrom } from "./problem";

// The typed client: paths and shapes come from schema.gen.ts, generated from the platform's OpenAPI document.

function withToken(request: Request, token: string | undefined): Request {
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  return request;
}

// The access token is in memory only (session.ts); these routes are how it is obtained, so a 401 from them is final.
const SESSION_ROUTES = ["/auth/login", "/auth/refresh", "/auth/token"];

const auth: Middleware = {
  onRequest({ request }) {
    return withToken(request, getTokens()?.access_token);
  },
  async onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    if (response.status !== 401 || !getTokens() || SESSION_ROUTES.includes(path)) return response;
    if (request.method !== "GET" && request.method !== "HEAD") return response;
    const fresh = await refreshTokens();
    if (!fresh) return response;
    return fetch(withToken(new Request(request), fresh.access_token));
  },
};

// cache "no-cache": the browser revalidates a stored API answer (If-None-Match: a 304 while the data is unchanged)
// instead of reusing it for its max-age of 60 s, so that views invalidated after a load (an upload, a fetch from
// EPA) show the new data at once. React Query is the dashboard's cache.
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? "http://localhost", cache: "no-cache" });
api.use(auth);

/** The data of an openapi-fetch result, or an ApiError built from its problem+json body. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw problemFrom(result.response.status, result.error, result.response.statusText || "Request failed");
  }
  return result.data as T;
}

/** fetch with the session's token and one silent refresh, for downloads and uploads outside the typed client. */
export async function authFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const send = (token: string | undefined) => {
    const headers = new Headers(init.headers);
    if (token) headers.set("Authorization", `Bearer ${token}`);
    return fetch(url, { ...init, headers });
  };
  let response = await send(getTokens()?.access_token);
  if (response.status === 401 && getTokens()) {
    const fresh = await refreshTokens();
    if (fresh) response = await send(fresh.access_token);
  }
  if (!response.ok) {
    const type = response.headers.get("content-type") ?? "";
    const body = type.includes("json") ? await response.json().catch(() => undefined) : await response.text();
    throw problemFrom(response.status, body);
  }
  return response;
}

export function signOutLocally(): void {
  setTokens(null);
}
