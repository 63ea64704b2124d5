import { afterEach, describe, expect, it, vi } from "vitest";
import { endSession, getTokens, refreshTokens, restoreSession, setTokens, tokensFrom } from "./session";

// The browser's side of the session (the server's side: tests/security/test_refresh_cookie.py; both together in
// Chromium: e2e/dashboard.e2e.mjs, "session").

function answer(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  setTokens(null);
  localStorage.clear();
  sessionStorage.clear();
});

describe("session", () => {
  it("keeps the access token in memory only", () => {
    setTokens(tokensFrom({ access_token: "eyJ.access", expires_in: 3600 }));
    expect(getTokens()?.access_token).toBe("eyJ.access");
    expect(localStorage.length + sessionStorage.length).toBe(0);
    expect(document.cookie).toBe("");
  });

  it("restores a session from the cookie with the CSRF header and no body", async () => {
    const fetch = vi.fn(async () => answer(200, { access_token: "eyJ.new", refresh_token: null, token_type: "bearer", expires_in: 3600 }));
    vi.stubGlobal("fetch", fetch);
    const tokens = await restoreSession();
    expect(tokens?.access_token).toBe("eyJ.new");
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/auth/refresh");
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("same-origin");
    expect(init.body).toBeUndefined();
    expect(new Headers(init.headers).get("X-Requested-With")).toBeTruthy();
  });

  it("is signed out when there is no session cookie", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => answer(401, { detail: "no refresh token" })));
    expect(await restoreSession()).toBeNull();
    expect(getTokens()).toBeNull();
  });

  it("shares one refresh between concurrent callers (refresh tokens work once)", async () => {
    setTokens(tokensFrom({ access_token: "eyJ.old", expires_in: 3600 }));
    const fetch = vi.fn(async () => answer(200, { access_token: "eyJ.new", refresh_token: null, expires_in: 3600 }));
    vi.stubGlobal("fetch", fetch);
    const [a, b] = await Promise.all([refreshTokens(), refreshTokens()]);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(a?.access_token).toBe("eyJ.new");
    expect(b?.access_token).toBe("eyJ.new");
  });

  it("keeps the session when the server cannot be reached", async () => {
    setTokens(tokensFrom({ access_token: "eyJ.old", expires_in: 3600 }));
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("offline"))));
    expect(await refreshTokens()).toBeNull();
    expect(getTokens()?.access_token).toBe("eyJ.old");
  });

  it("ends the session on the server, then here", async () => {
    setTokens(tokensFrom({ access_token: "eyJ.old", expires_in: 3600 }));
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal("fetch", fetch);
    await endSession();
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/auth/refresh");
    expect(init.method).toBe("DELETE");
    expect(new Headers(init.headers).get("X-Requested-With")).toBeTruthy();
    expect(getTokens()).toBeNull();
  });
});
